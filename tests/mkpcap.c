// SPDX-License-Identifier: BSD-2-Clause
/*
 * mkpcap [--pcapng] OUT: writes the "known flows" capture the shell tests
 * replay, and prints nothing on success. Ten Ethernet records, in order:
 *
 *   1-3  UDP  198.18.0.1:40000 -> 198.18.0.2:53, 100 bytes payload  142 bytes each
 *   4-5  TCP  [2001:db8::1]:443 -> [2001:db8::2]:50000, 20-byte
 *             header, no payload                                   74 bytes each
 *   6    ICMP echo request 198.18.0.2 -> 198.18.0.1 (8 bytes)       42 bytes
 *   7    ARP request (non-IP)                                      42 bytes
 *   8    IPv4 with IHL 4 (malformed), 20-byte header, nothing else 34 bytes
 *   9    runt: the first 10 bytes of an Ethernet header (non-IP)   10 bytes
 *   10   UDP 198.18.0.1 -> 198.18.0.3, last fragment at offset 185
 *        (1480 bytes), 100 bytes of data, no ports                134 bytes
 *
 * Replayed (interface "pcap", i.e. ifindex 0, direction ingress) they make
 * exactly these flows:
 *
 *   udp    198.18.0.1:40000 -> 198.18.0.2:53       3 packets  426 bytes
 *   tcp    2001:db8::1:443  -> 2001:db8::2:50000   2 packets  148 bytes
 *   icmp   198.18.0.2:0     -> 198.18.0.1:0        1 packet    42 bytes
 *   udp    198.18.0.1:0     -> 198.18.0.3:0        1 packet   134 bytes
 *
 * and these interface totals: ipv4 6 packets 636 bytes (the four IPv4
 * flows' 602 plus the malformed 34), ipv6 2 packets 148 bytes, other 2
 * packets 52 bytes (ARP 42 + runt 10), malformed 1. Cutting the file
 * inside the last record leaves 9 records counted.
 *
 * The default output is a classic pcap written by libpcap; --pcapng
 * writes the same records as a little-endian pcapng (SHB, IDB, EPBs).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "frames.h"

static struct frame fr;

static void udp_dns(struct frame *f)
{
	frame_eth(f, ETHERTYPE_IPV4);
	frame_ipv4(f, &(struct ipv4_spec){ .protocol = P_UDP, .src = ip4_1, .dst = ip4_2 });
	frame_l4(f, P_UDP, 40000, 53);
	frame_fill(f, 100, 0x5a);
}

static void tcp6_https(struct frame *f)
{
	frame_eth(f, ETHERTYPE_IPV6);
	frame_ipv6(f, 0, P_TCP, ip6_1, ip6_2);
	frame_l4(f, P_TCP, 443, 50000);
}

static void icmp_echo(struct frame *f)
{
	frame_eth(f, ETHERTYPE_IPV4);
	frame_ipv4(f, &(struct ipv4_spec){ .protocol = P_ICMP, .src = ip4_2, .dst = ip4_1 });
	frame_icmp_echo(f, 0);
}

static void arp(struct frame *f)
{
	frame_eth(f, ETHERTYPE_ARP);
	frame_arp(f);
}

static void ihl4(struct frame *f)
{
	frame_eth(f, ETHERTYPE_IPV4);
	frame_ipv4(f, &(struct ipv4_spec){ .ihl = 4, .protocol = P_UDP, .src = ip4_1,
					   .dst = ip4_2 });
}

static void runt(struct frame *f)
{
	frame_eth(f, ETHERTYPE_IPV4);
	frame_truncate(f, 10);
}

static void later_fragment(struct frame *f)
{
	frame_eth(f, ETHERTYPE_IPV4);
	frame_ipv4(f, &(struct ipv4_spec){ .protocol = P_UDP, .src = ip4_1, .dst = ip4_3,
					   .frag_offset = 185 });
	frame_fill(f, 100, 0x5a);
}

/* The records in file order: the table at the top of this file. */
static void (*const records[])(struct frame *) = {
	udp_dns, udp_dns, udp_dns, tcp6_https, tcp6_https, icmp_echo, arp, ihl4, runt,
	later_fragment,
};

#define N_RECORDS (sizeof(records) / sizeof(records[0]))

static const struct frame *build(size_t i)
{
	frame_init(&fr);
	records[i](&fr);
	frame_finish(&fr);
	return &fr;
}

static int write_pcap(const char *out)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = p ? pcap_dump_open(p, out) : NULL;
	int rc = 0;

	if (!d) {
		/* errno is fopen()'s: pcap_geterr() would name the file twice. */
		fprintf(stderr, "mkpcap: cannot write %s: %s\n", out,
			p ? strerror(errno) : "out of memory");
		if (p)
			pcap_close(p);
		return 1;
	}
	for (size_t i = 0; i < N_RECORDS; i++) {
		const struct frame *f = build(i);
		struct pcap_pkthdr h = { .caplen = (bpf_u_int32)f->len, .len = (bpf_u_int32)f->len };

		h.ts.tv_sec = (time_t)i;
		pcap_dump((u_char *)d, &h, f->data);
	}
	/* pcap_dump() reports nothing: a full disk shows up at the flush. */
	if (pcap_dump_flush(d)) {
		fprintf(stderr, "mkpcap: cannot write %s: %s\n", out, strerror(errno));
		rc = 1;
	}
	pcap_dump_close(d);
	pcap_close(p);
	return rc;
}

static int write_pcapng(const char *out)
{
	struct capfile c;
	int err = capfile_open(&c, out, &(struct capfile_opts){ .pcapng = 1 });

	for (size_t i = 0; i < N_RECORDS && !err; i++) {
		const struct frame *f = build(i);

		err = capfile_record(&c, f->data, (uint32_t)f->len, (uint32_t)f->len);
	}
	if (c.f && capfile_close(&c))
		err = -1;
	if (err)
		fprintf(stderr, "mkpcap: cannot write %s: %s\n", out, strerror(errno));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	int pcapng = argc == 3 && strcmp(argv[1], "--pcapng") == 0;

	if (argc != 2 + pcapng || argv[argc - 1][0] == '-') {
		fprintf(stderr, "usage: mkpcap [--pcapng] OUT\n");
		return 2;
	}
	return pcapng ? write_pcapng(argv[2]) : write_pcap(argv[1]);
}
