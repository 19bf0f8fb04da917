// SPDX-License-Identifier: BSD-2-Clause
/* Reading a pcap or pcapng capture with libpcap, record by record. */
#include "replay.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>

#include "capture_raw.h"
#include "log.h"

#define RAW_DATA_MAX 65536

static int open_capture(const char *path, pcap_t **out)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);

	if (!p) {
		pr_err("cannot read capture \"%s\" (--pcap): %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		pr_err("capture \"%s\" (--pcap) has link type %s; only Ethernet captures can be replayed\n",
		       path, pcap_datalink_val_to_name(pcap_datalink(p)) ?: "unknown");
		pcap_close(p);
		return -1;
	}
	*out = p;
	return 0;
}

struct record {
	const uint8_t *data;
	size_t data_len;
	uint32_t caplen;
};

/* libpcap's view of the record, corrected by the record header itself. */
static void record_lengths(const struct capture_raw *raw, off_t start, off_t end,
			   const struct pcap_pkthdr *hdr, const u_char *data,
			   struct record *rec)
{
	static uint8_t buf[RAW_DATA_MAX];
	uint32_t caplen;
	size_t got;

	rec->data = data;
	rec->data_len = hdr->caplen;
	rec->caplen = hdr->caplen;
	if (start < 0 || end < 0 ||
	    capture_raw_record(raw, start, end, buf, sizeof(buf), &caplen, &got) ||
	    caplen <= hdr->caplen)
		return;
	rec->data = buf;
	rec->data_len = got;
	rec->caplen = caplen;
}

int replay_file(int prog_fd, const char *path, struct replay_result *res)
{
	struct capture_raw raw = { .fd = -1 };
	struct pcap_pkthdr *hdr;
	struct record rec;
	const u_char *data;
	pcap_t *p;
	off_t start;
	int rc, err = 0;

	res->records = 0;
	res->opened = 0;
	if (open_capture(path, &p))
		return -1;
	res->opened = 1;
	capture_raw_open(&raw, path, pcap_is_swapped(p));
	for (;;) {
		start = ftello(pcap_file(p));
		rc = pcap_next_ex(p, &hdr, &data);
		if (rc != 1)
			break;
		record_lengths(&raw, start, ftello(pcap_file(p)), hdr, data, &rec);
		err = replay_frame(prog_fd, rec.data, rec.data_len, rec.caplen);
		if (err) {
			pr_err("replaying record %llu of \"%s\": %s\n",
			       (unsigned long long)res->records + 1, path, strerror(-err));
			break;
		}
		res->records++;
	}
	if (rc == PCAP_ERROR) {
		pr_err("capture \"%s\" (--pcap) is damaged after record %llu: %s\n",
		       path, (unsigned long long)res->records, pcap_geterr(p));
		err = -1;
	}
	capture_raw_close(&raw);
	pcap_close(p);
	return err ? -1 : 0;
}
