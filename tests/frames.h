/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small frame builder for the tests: Ethernet with VLAN tags, IPv4 with
 * options and fragments, IPv6 with extension headers, and the first bytes
 * of the transport headers. Every builder appends to the frame, so a test
 * reads top to bottom like the packet it makes. No libpcap and no libbpf:
 * the same frames go to BPF_PROG_TEST_RUN, to libpcap and to hand-written
 * capture files.
 *
 * Only documentation addresses are used: 198.18.0.0/15 and 2001:db8::/32.
 */
#ifndef TCFLOW_TESTS_FRAMES_H
#define TCFLOW_TESTS_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Large enough for a 65535-byte record and its headers. */
#define FRAME_MAX 65536

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88A8

/* IP protocol numbers, spelled out so no system header is needed. */
enum {
	P_HOPOPTS = 0, P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_DCCP = 33,
	P_ROUTING = 43, P_FRAGMENT = 44, P_GRE = 47, P_AH = 51, P_ICMPV6 = 58,
	P_NONE = 59, P_DSTOPTS = 60, P_SCTP = 132, P_UDPLITE = 136,
};

struct frame {
	size_t len;
	size_t l3;		/* offset of the IP header, for frame_finish() */
	int l3_version;		/* 4 or 6 once an IP header was added, else 0 */
	uint8_t data[FRAME_MAX];
};

/* The test addresses: 198.18.0.N and 2001:db8::N. */
extern const uint8_t ip4_1[4], ip4_2[4], ip4_3[4];
extern const uint8_t ip6_1[16], ip6_2[16];

void frame_init(struct frame *f);
/* Appends n zero bytes and returns them; aborts past FRAME_MAX. */
uint8_t *frame_put(struct frame *f, size_t n);
/* Appends n bytes of value fill (a payload that is easy to spot). */
void frame_fill(struct frame *f, size_t n, uint8_t fill);
/* Cuts the frame to len bytes (no-op when it is shorter). */
void frame_truncate(struct frame *f, size_t len);

/* Layer 2: the Ethernet header, then one tag per call: each carries the
 * ethertype that follows it. */
void frame_eth(struct frame *f, uint16_t ethertype);
void frame_vlan(struct frame *f, uint16_t vid, uint16_t next_ethertype);

/* IPv4. ihl 0 means 5; options (ihl > 5) are filled with NOP (1) so that
 * reading ports from them would give 257, never the real ports. */
struct ipv4_spec {
	uint8_t version;	/* 0 means 4 */
	uint8_t ihl;
	uint8_t protocol;
	uint8_t ttl;		/* 0 means 64 */
	uint8_t tos;
	uint16_t frag_offset;	/* in 8-byte units */
	int more_fragments;
	int dont_fragment;
	const uint8_t *src, *dst;
};
void frame_ipv4(struct frame *f, const struct ipv4_spec *s);

/* IPv6 with a version other than 6 when version is not 0. */
void frame_ipv6(struct frame *f, uint8_t version, uint8_t nexthdr,
		const uint8_t *src, const uint8_t *dst);
/* Hop-by-Hop, Routing, Destination Options ((hdr_len+1)*8 bytes) or AH
 * ((hdr_len+2)*4 bytes). The body is filled with 0xEE. */
void frame_ip6_ext(struct frame *f, uint8_t type, uint8_t nexthdr, uint8_t hdr_len);
/* Fragment header: offset in 8-byte units, more = the M flag. */
void frame_ip6_frag(struct frame *f, uint8_t nexthdr, uint16_t offset, int more);
/* The length of an extension header as built above. */
size_t ip6_ext_len(uint8_t type, uint8_t hdr_len);

/* Transport headers of protocols with ports: TCP 20 bytes, UDP and
 * UDP-Lite 8, DCCP 16, SCTP 12; the first 4 bytes are the ports. */
void frame_l4(struct frame *f, uint8_t protocol, uint16_t sport, uint16_t dport);
/* ICMP or ICMPv6 echo request: 8 bytes. */
void frame_icmp_echo(struct frame *f, int v6);
/* ARP request without padding: 28 bytes after the Ethernet header. */
void frame_arp(struct frame *f);

/* Sets the IP length fields and the IPv4 checksum from the frame's length.
 * The data plane ignores them; they keep the captures readable in tcpdump. */
void frame_finish(struct frame *f);

/*
 * Capture files written by hand, for what libpcap cannot write: pcapng
 * (SHB, one IDB, EPBs, little-endian) and pcap records whose captured
 * length exceeds the file's snapshot length, in either byte order.
 */
struct capfile {
	FILE *f;
	int pcapng;
	int big_endian;		/* pcap only */
	int err;
};

struct capfile_opts {
	int pcapng;
	int big_endian;
	uint32_t snaplen;	/* 0 means 65535 */
	uint16_t linktype;	/* 0 means Ethernet (1) */
};

/* Each returns 0, or -1 with errno set; capfile_close() always closes. */
int capfile_open(struct capfile *c, const char *path, const struct capfile_opts *o);
int capfile_record(struct capfile *c, const uint8_t *data, uint32_t caplen, uint32_t origlen);
int capfile_close(struct capfile *c);

#endif
