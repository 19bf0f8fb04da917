// SPDX-License-Identifier: BSD-2-Clause
#include "capture_raw.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <byteswap.h>

#define PCAPNG_SHB_MAGIC 0x0A0D0D0A
#define PCAP_REC_HDR 16
#define BLOCK_PB 2	/* obsolete Packet Block */
#define BLOCK_SPB 3	/* Simple Packet Block */
#define BLOCK_EPB 6	/* Enhanced Packet Block */

int capture_raw_open(struct capture_raw *rc, const char *path, int swapped)
{
	uint32_t magic = 0;

	rc->fd = open(path, O_RDONLY | O_CLOEXEC);
	rc->swapped = swapped;
	if (rc->fd < 0)
		return -1;
	if (pread(rc->fd, &magic, sizeof(magic), 0) != sizeof(magic)) {
		capture_raw_close(rc);
		return -1;
	}
	rc->pcapng = magic == PCAPNG_SHB_MAGIC;
	return 0;
}

void capture_raw_close(struct capture_raw *rc)
{
	if (rc->fd >= 0)
		close(rc->fd);
	rc->fd = -1;
}

static int read_u32(const struct capture_raw *rc, off_t off, uint32_t *v)
{
	if (pread(rc->fd, v, sizeof(*v), off) != sizeof(*v))
		return -1;
	if (rc->swapped)
		*v = bswap_32(*v);
	return 0;
}

/* Where a pcapng packet block's data starts and how long it says it is. */
static int pcapng_packet(const struct capture_raw *rc, off_t block, uint32_t type,
			 uint32_t block_len, off_t *data, uint32_t *caplen)
{
	switch (type) {
	case BLOCK_EPB:
	case BLOCK_PB:
		*data = block + 28;
		return read_u32(rc, block + 20, caplen);
	case BLOCK_SPB:
		/* No captured length field: the block's room, capped by the original. */
		*data = block + 12;
		if (read_u32(rc, block + 8, caplen))
			return -1;
		if (block_len >= 16 && *caplen > block_len - 16)
			*caplen = block_len - 16;
		return 0;
	}
	return -1;
}

static int find_pcapng(const struct capture_raw *rc, off_t start, off_t end,
		       off_t *data, uint32_t *caplen)
{
	uint32_t type, len;
	int found = -1;

	while (start + 12 <= end) {
		if (read_u32(rc, start, &type) || read_u32(rc, start + 4, &len) || len < 12)
			return -1;
		if (pcapng_packet(rc, start, type, len, data, caplen) == 0)
			found = 0;
		start += len;
	}
	return found;
}

int capture_raw_record(const struct capture_raw *rc, off_t start, off_t end,
		       uint8_t *buf, size_t cap, uint32_t *caplen, size_t *got)
{
	off_t data;
	ssize_t n;

	if (rc->fd < 0)
		return -1;
	if (rc->pcapng) {
		if (find_pcapng(rc, start, end, &data, caplen))
			return -1;
	} else {
		data = start + PCAP_REC_HDR;
		if (read_u32(rc, start + 8, caplen))
			return -1;
	}
	/* Never trust a length that runs past what libpcap consumed. */
	if (data > end || (uint64_t)*caplen > (uint64_t)(end - data))
		return -1;
	n = pread(rc->fd, buf, *caplen < cap ? *caplen : cap, data);
	if (n < 0)
		return -1;
	*got = (size_t)n;
	return 0;
}
