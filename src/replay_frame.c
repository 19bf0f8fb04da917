// SPDX-License-Identifier: BSD-2-Clause
/* Running one frame through the ingress program with BPF_PROG_TEST_RUN.
 * Kept apart from the capture reader: libpcap's and the kernel's headers
 * both define struct bpf_insn. */
#include "replay.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "tcflow.h"

/* The kernel's test run refuses an IPv4 or IPv6 frame shorter than its
 * fixed header: every frame is padded to at least this, and the caplen in
 * cb[] keeps the padding from being parsed. */
#define PAD_MIN 64

/*
 * The kernel's skb test run takes between ETH_HLEN and about a page minus
 * its headroom and shared info. Records outside that range still count with
 * their own length: the frame is padded or cut to fit, and the captured
 * length goes along in cb[], which the program uses both as the byte count
 * and as the end of the data it may parse. So a runt's padding is never
 * parsed; of a large frame the headers within the first ~3.5 KiB are.
 */
static uint32_t max_data;

static uint32_t initial_max_data(void)
{
	long page = sysconf(_SC_PAGESIZE);

	/* NET_SKB_PAD + NET_IP_ALIGN headroom, ~320 bytes of skb_shared_info. */
	return (uint32_t)(page > 0 ? page : 4096) - 64 - 2 - 384;
}

static int test_run(int prog_fd, const uint8_t *buf, uint32_t size, uint32_t caplen)
{
	struct __sk_buff ctx;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = size,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	memset(&ctx, 0, sizeof(ctx));
	ctx.cb[TCFLOW_CB_CAPLEN] = caplen;
	return bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
}

int replay_frame(int prog_fd, const uint8_t *data, size_t data_len, uint32_t caplen)
{
	static uint8_t buf[65536];
	uint32_t size;
	size_t copy;
	int err;

	if (!max_data)
		max_data = initial_max_data();
	for (;;) {
		size = caplen < PAD_MIN ? PAD_MIN : caplen;
		if (size > max_data)
			size = max_data;
		if (size > sizeof(buf))
			size = sizeof(buf);
		copy = data_len < size ? data_len : size;
		memcpy(buf, data, copy);
		memset(buf + copy, 0, size - copy);
		err = test_run(prog_fd, buf, size, caplen);
		/* A kernel with less room than we guessed: shrink once, remember. */
		if (err != -EINVAL || size < max_data || max_data <= 1514)
			return err;
		max_data -= 64;
	}
}

