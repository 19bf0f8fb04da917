// SPDX-License-Identifier: BSD-2-Clause
/*
 * mkflows [--many=N] OUT: writes a pcap capture of many known flows for the
 * cardinality tests (tests/test-cardinality.sh), and prints nothing on
 * success. Only documentation addresses: 198.18.0.0/15 and 2001:db8::/32.
 *
 * Without --many, the fixed set below: clients with ephemeral ports above
 * 32768 talking to DNS (53), HTTP (80) and HTTPS (443) servers, both
 * directions, plus the edge cases of the "services" preset (equal ports,
 * a zero port, ICMP). Frame sizes: Ethernet 14 + IPv4 20 or IPv6 40 +
 * UDP 8 or TCP 20 (or ICMP echo 8) + payload.
 *
 *   #    proto  src                      dst                      pkts  size  bytes
 *   F1   udp    198.18.0.10:40001        198.19.0.1:53               2    72    144
 *   F2   udp    198.19.0.1:53            198.18.0.10:40001           2   142    284
 *   F3   udp    198.18.0.11:40002        198.19.0.1:53               1    72     72
 *   F4   udp    198.19.0.1:53            198.18.0.11:40002           1   142    142
 *   F5   tcp    198.18.0.10:50000        198.19.0.2:443              5   154    770
 *   F6   tcp    198.19.0.2:443           198.18.0.10:50000           4  1054   4216
 *   F7   tcp    198.18.0.11:50001        198.19.0.2:443              3    54    162
 *   F8   tcp    198.18.1.20:33000        198.19.0.2:80               2   254    508
 *   F9   tcp    198.19.0.2:80            198.18.1.20:33000           1  1454   1454
 *   F10  tcp    198.18.0.10:50002        198.19.0.2:443              2   154    308
 *   F11  tcp    [2001:db8:1::10]:40000   [2001:db8:2::1]:443         3   124    372
 *   F12  tcp    [2001:db8:2::1]:443      [2001:db8:1::10]:40000      2   574   1148
 *   F13  udp    [2001:db8:1::11]:45000   [2001:db8:2::1]:53          1   102    102
 *   F14  udp    [2001:db8:2::1]:53       [2001:db8:1::11]:45000      1   182    182
 *   F15  icmp   198.18.0.10 (echo)       198.19.0.1                  1    42     42
 *   F16  udp    198.18.0.11:5353         198.18.0.12:5353            1    92     92
 *   F17  udp    198.18.0.12:0            198.19.0.1:53               1    62     62
 *
 * Payloads: F1/F3 30, F2/F4 100, F5/F10 100, F6 1000, F7 0, F8 200,
 * F9 1400, F11 50, F12 500, F13 40, F14 120, F16 50, F17 20 bytes.
 * Totals: 17 flows, 33 packets, 10060 bytes; IPv4 13 flows, 26 packets,
 * 8256 bytes; IPv6 4 flows, 7 packets, 1804 bytes; no non-IP frame.
 * The records are interleaved (round r writes the r-th packet of every
 * flow that has one), which changes nothing in the counts.
 *
 * With --many=N (1 to 64000): N one-way UDP flows instead; flow i
 * (0-based) is
 *
 *   198.18.(i / 250).(i % 250 + 1):(32769 + i % 32000) -> 198.19.0.(i % 3 + 1):53
 *
 * with 1 + i % 3 packets of 42 + i % 50 bytes each (payload i % 50). The
 * source addresses are all different, so the N flows are distinct.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

struct flow {
	uint8_t proto;		/* P_UDP, P_TCP or P_ICMP */
	int v6;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	unsigned packets;
	size_t payload;
};

#define V4(a, b, c, d) { a, b, c, d }
#define V6(g3, last) { 0x20, 0x01, 0x0d, 0xb8, 0, (g3), [15] = (last) }

/* The table at the top of this file, F1 to F17. */
static const struct flow fixed[] = {
	{ P_UDP, 0, V4(198, 18, 0, 10), V4(198, 19, 0, 1), 40001, 53, 2, 30 },
	{ P_UDP, 0, V4(198, 19, 0, 1), V4(198, 18, 0, 10), 53, 40001, 2, 100 },
	{ P_UDP, 0, V4(198, 18, 0, 11), V4(198, 19, 0, 1), 40002, 53, 1, 30 },
	{ P_UDP, 0, V4(198, 19, 0, 1), V4(198, 18, 0, 11), 53, 40002, 1, 100 },
	{ P_TCP, 0, V4(198, 18, 0, 10), V4(198, 19, 0, 2), 50000, 443, 5, 100 },
	{ P_TCP, 0, V4(198, 19, 0, 2), V4(198, 18, 0, 10), 443, 50000, 4, 1000 },
	{ P_TCP, 0, V4(198, 18, 0, 11), V4(198, 19, 0, 2), 50001, 443, 3, 0 },
	{ P_TCP, 0, V4(198, 18, 1, 20), V4(198, 19, 0, 2), 33000, 80, 2, 200 },
	{ P_TCP, 0, V4(198, 19, 0, 2), V4(198, 18, 1, 20), 80, 33000, 1, 1400 },
	{ P_TCP, 0, V4(198, 18, 0, 10), V4(198, 19, 0, 2), 50002, 443, 2, 100 },
	{ P_TCP, 1, V6(1, 0x10), V6(2, 1), 40000, 443, 3, 50 },
	{ P_TCP, 1, V6(2, 1), V6(1, 0x10), 443, 40000, 2, 500 },
	{ P_UDP, 1, V6(1, 0x11), V6(2, 1), 45000, 53, 1, 40 },
	{ P_UDP, 1, V6(2, 1), V6(1, 0x11), 53, 45000, 1, 120 },
	{ P_ICMP, 0, V4(198, 18, 0, 10), V4(198, 19, 0, 1), 0, 0, 1, 0 },
	{ P_UDP, 0, V4(198, 18, 0, 11), V4(198, 18, 0, 12), 5353, 5353, 1, 50 },
	{ P_UDP, 0, V4(198, 18, 0, 12), V4(198, 19, 0, 1), 0, 53, 1, 20 },
};

#define N_FIXED (sizeof(fixed) / sizeof(fixed[0]))
#define MANY_MAX 64000UL

static struct frame fr;

static const struct frame *build(const struct flow *fl)
{
	frame_init(&fr);
	if (fl->v6) {
		frame_eth(&fr, ETHERTYPE_IPV6);
		frame_ipv6(&fr, 0, fl->proto, fl->src, fl->dst);
	} else {
		frame_eth(&fr, ETHERTYPE_IPV4);
		frame_ipv4(&fr, &(struct ipv4_spec){ .protocol = fl->proto, .src = fl->src,
						     .dst = fl->dst });
	}
	if (fl->proto == P_ICMP)
		frame_icmp_echo(&fr, 0);
	else
		frame_l4(&fr, fl->proto, fl->sport, fl->dport);
	if (fl->payload)
		frame_fill(&fr, fl->payload, 0x5a);
	frame_finish(&fr);
	return &fr;
}

/* Flow i of --many=N, as documented above. */
static void many_flow(unsigned long i, struct flow *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->proto = P_UDP;
	memcpy(fl->src, (const uint8_t[]){ 198, 18, (uint8_t)(i / 250), (uint8_t)(i % 250 + 1) }, 4);
	memcpy(fl->dst, (const uint8_t[]){ 198, 19, 0, (uint8_t)(i % 3 + 1) }, 4);
	fl->sport = (uint16_t)(32769 + i % 32000);
	fl->dport = 53;
	fl->packets = 1 + (unsigned)(i % 3);
	fl->payload = i % 50;
}

static void dump(pcap_dumper_t *d, const struct frame *f, unsigned long n)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)f->len, .len = (bpf_u_int32)f->len };

	h.ts.tv_sec = (time_t)(n / 1000);
	h.ts.tv_usec = (suseconds_t)(n % 1000);
	pcap_dump((u_char *)d, &h, f->data);
}

int main(int argc, char **argv)
{
	unsigned long many = 0, n = 0;
	const char *out;
	pcap_t *p;
	pcap_dumper_t *d;
	char *end;
	int rc = 0;

	if (argc == 3 && !strncmp(argv[1], "--many=", 7)) {
		errno = 0;
		many = strtoul(argv[1] + 7, &end, 10);
		if (errno || *end || !argv[1][7] || many < 1 || many > MANY_MAX) {
			fprintf(stderr, "mkflows: --many wants a number from 1 to %lu\n", MANY_MAX);
			return 2;
		}
	} else if (argc != 2) {
		fprintf(stderr, "usage: mkflows [--many=N] OUT\n");
		return 2;
	}
	out = argv[argc - 1];
	if (out[0] == '-') {
		fprintf(stderr, "usage: mkflows [--many=N] OUT\n");
		return 2;
	}
	p = pcap_open_dead(DLT_EN10MB, 65535);
	d = p ? pcap_dump_open(p, out) : NULL;
	if (!d) {
		fprintf(stderr, "mkflows: cannot write %s: %s\n", out,
			p ? strerror(errno) : "out of memory");
		if (p)
			pcap_close(p);
		return 1;
	}
	if (many) {
		struct flow fl;

		for (unsigned long i = 0; i < many; i++) {
			many_flow(i, &fl);
			for (unsigned k = 0; k < fl.packets; k++)
				dump(d, build(&fl), n++);
		}
	} else {
		/* Round r writes the r-th packet of every flow that has one. */
		for (unsigned r = 0;; r++) {
			int wrote = 0;

			for (size_t i = 0; i < N_FIXED; i++)
				if (r < fixed[i].packets) {
					dump(d, build(&fixed[i]), n++);
					wrote = 1;
				}
			if (!wrote)
				break;
		}
	}
	if (pcap_dump_flush(d)) {
		fprintf(stderr, "mkflows: cannot write %s: %s\n", out, strerror(errno));
		rc = 1;
	}
	pcap_dump_close(d);
	pcap_close(p);
	return rc;
}
