// SPDX-License-Identifier: BSD-2-Clause
/* The frame builder and the hand-written capture files of frames.h. */
#include "frames.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const uint8_t ip4_1[4] = { 198, 18, 0, 1 };
const uint8_t ip4_2[4] = { 198, 18, 0, 2 };
const uint8_t ip4_3[4] = { 198, 18, 0, 3 };
const uint8_t ip6_1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
const uint8_t ip6_2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void frame_init(struct frame *f)
{
	f->len = 0;
	f->l3 = 0;
	f->l3_version = 0;
}

uint8_t *frame_put(struct frame *f, size_t n)
{
	uint8_t *p;

	/* A test that builds past the buffer is broken: stop it loudly. */
	if (n > FRAME_MAX - f->len) {
		fprintf(stderr, "frame_put: %zu + %zu bytes exceed FRAME_MAX\n", f->len, n);
		abort();
	}
	p = f->data + f->len;
	memset(p, 0, n);
	f->len += n;
	return p;
}

void frame_fill(struct frame *f, size_t n, uint8_t fill)
{
	memset(frame_put(f, n), fill, n);
}

void frame_truncate(struct frame *f, size_t len)
{
	if (len < f->len)
		f->len = len;
}

void frame_eth(struct frame *f, uint16_t ethertype)
{
	/* Locally administered unicast MACs: 02:00:00:00:00:02 <- :01. */
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	uint8_t *p = frame_put(f, 14);

	memcpy(p, macs, sizeof(macs));
	be16(p + 12, ethertype);
}

void frame_vlan(struct frame *f, uint16_t vid, uint16_t next_ethertype)
{
	uint8_t *p = frame_put(f, 4);

	be16(p, vid & 0x0fff);
	be16(p + 2, next_ethertype);
}

void frame_ipv4(struct frame *f, const struct ipv4_spec *s)
{
	uint8_t ihl = s->ihl ? s->ihl : 5;
	uint16_t frag = (uint16_t)((s->frag_offset & 0x1fff) |
				   (s->more_fragments ? 0x2000 : 0) |
				   (s->dont_fragment ? 0x4000 : 0));
	size_t hlen = ihl < 5 ? 20 : (size_t)ihl * 4;
	uint8_t *p;

	f->l3 = f->len;
	f->l3_version = 4;
	p = frame_put(f, hlen);
	p[0] = (uint8_t)(((s->version ? s->version : 4) << 4) | (ihl & 0x0f));
	p[1] = s->tos;
	be16(p + 4, 0x1234);	/* identification */
	be16(p + 6, frag);
	p[8] = s->ttl ? s->ttl : 64;
	p[9] = s->protocol;
	memcpy(p + 12, s->src, 4);
	memcpy(p + 16, s->dst, 4);
	memset(p + 20, 1, hlen - 20);	/* NOP options */
}

void frame_ipv6(struct frame *f, uint8_t version, uint8_t nexthdr,
		const uint8_t *src, const uint8_t *dst)
{
	uint8_t *p;

	f->l3 = f->len;
	f->l3_version = 6;
	p = frame_put(f, 40);
	p[0] = (uint8_t)((version ? version : 6) << 4);
	p[6] = nexthdr;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

size_t ip6_ext_len(uint8_t type, uint8_t hdr_len)
{
	return type == P_AH ? ((size_t)hdr_len + 2) * 4 : ((size_t)hdr_len + 1) * 8;
}

void frame_ip6_ext(struct frame *f, uint8_t type, uint8_t nexthdr, uint8_t hdr_len)
{
	size_t len = ip6_ext_len(type, hdr_len);
	uint8_t *p = frame_put(f, len);

	/* A body of 0xEE: misreading it as ports gives 61166, never a real one. */
	memset(p, 0xEE, len);
	p[0] = nexthdr;
	p[1] = hdr_len;
}

void frame_ip6_frag(struct frame *f, uint8_t nexthdr, uint16_t offset, int more)
{
	uint8_t *p = frame_put(f, 8);

	p[0] = nexthdr;
	be16(p + 2, (uint16_t)((offset << 3) | (more ? 1 : 0)));
	p[4] = 0xab;	/* identification */
}

static size_t l4_len(uint8_t protocol)
{
	switch (protocol) {
	case P_TCP:
		return 20;
	case P_DCCP:
		return 16;
	case P_SCTP:
		return 12;
	default:
		return 8;	/* UDP, UDP-Lite */
	}
}

void frame_l4(struct frame *f, uint8_t protocol, uint16_t sport, uint16_t dport)
{
	uint8_t *p = frame_put(f, l4_len(protocol));

	be16(p, sport);
	be16(p + 2, dport);
	if (protocol == P_TCP) {
		p[12] = 5 << 4;		/* data offset: 20 bytes */
		p[13] = 0x10;		/* ACK */
		be16(p + 14, 65535);	/* window */
	} else if (protocol == P_DCCP) {
		p[4] = 4;		/* data offset: 16 bytes */
	}
}

void frame_icmp_echo(struct frame *f, int v6)
{
	uint8_t *p = frame_put(f, 8);

	p[0] = v6 ? 128 : 8;
	be16(p + 4, 0x4242);	/* identifier */
	be16(p + 6, 1);		/* sequence */
}

void frame_arp(struct frame *f)
{
	uint8_t *p = frame_put(f, 28);

	be16(p, 1);			/* Ethernet */
	be16(p + 2, ETHERTYPE_IPV4);
	p[4] = 6;
	p[5] = 4;
	be16(p + 6, 1);			/* request */
	memcpy(p + 8, (const uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6);
	memcpy(p + 14, ip4_1, 4);
	memcpy(p + 24, ip4_2, 4);
}

static uint16_t ipv4_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP length field, where the transport header directly follows. */
static void finish_udp(struct frame *f, size_t l4, uint8_t protocol)
{
	if (protocol == P_UDP && l4 + 8 <= f->len)
		be16(f->data + l4 + 4, (uint16_t)(f->len - l4));
}

void frame_finish(struct frame *f)
{
	uint8_t *p = f->data + f->l3;
	size_t hlen;

	if (f->l3_version == 6 && f->l3 + 40 <= f->len) {
		be16(p + 4, (uint16_t)(f->len - f->l3 - 40));
		finish_udp(f, f->l3 + 40, p[6]);
	}
	if (f->l3_version != 4 || f->l3 + 20 > f->len)
		return;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	be16(p + 2, (uint16_t)(f->len - f->l3));
	if (hlen < 20 || f->l3 + hlen > f->len)
		return;
	if (!(p[6] & 0x1f) && !p[7])	/* no transport header in later fragments */
		finish_udp(f, f->l3 + hlen, p[9]);
	be16(p + 10, 0);
	be16(p + 10, ipv4_checksum(p, hlen));
}

/* ---- capture files ------------------------------------------------------ */

static void put(struct capfile *c, const void *data, size_t n)
{
	if (!c->err && n && fwrite(data, 1, n, c->f) != n)
		c->err = errno ? errno : EIO;
}

static void put16(struct capfile *c, uint16_t v)
{
	uint8_t b[2];

	if (c->big_endian)
		be16(b, v);
	else
		b[0] = (uint8_t)v, b[1] = (uint8_t)(v >> 8);
	put(c, b, 2);
}

static void put32(struct capfile *c, uint32_t v)
{
	if (c->big_endian) {
		put16(c, (uint16_t)(v >> 16));
		put16(c, (uint16_t)v);
	} else {
		put16(c, (uint16_t)v);
		put16(c, (uint16_t)(v >> 16));
	}
}

static void pcap_header(struct capfile *c, uint32_t snaplen, uint16_t linktype)
{
	put32(c, 0xa1b2c3d4);	/* microsecond timestamps */
	put16(c, 2);
	put16(c, 4);
	put32(c, 0);		/* thiszone */
	put32(c, 0);		/* sigfigs */
	put32(c, snaplen);
	put32(c, linktype);
}

/* Section Header Block and one Interface Description Block. */
static void pcapng_header(struct capfile *c, uint32_t snaplen, uint16_t linktype)
{
	put32(c, 0x0A0D0D0A);
	put32(c, 28);
	put32(c, 0x1A2B3C4D);	/* byte-order magic */
	put16(c, 1);
	put16(c, 0);
	put32(c, 0xffffffff);	/* section length unknown (64 bits) */
	put32(c, 0xffffffff);
	put32(c, 28);
	put32(c, 1);
	put32(c, 20);
	put16(c, linktype);
	put16(c, 0);
	put32(c, snaplen);
	put32(c, 20);
}

int capfile_open(struct capfile *c, const char *path, const struct capfile_opts *o)
{
	uint32_t snaplen = o->snaplen ? o->snaplen : 65535;
	uint16_t linktype = o->linktype ? o->linktype : 1;

	c->pcapng = o->pcapng;
	c->big_endian = o->pcapng ? 0 : o->big_endian;
	c->err = 0;
	c->f = fopen(path, "wb");
	if (!c->f)
		return -1;
	if (c->pcapng)
		pcapng_header(c, snaplen, linktype);
	else
		pcap_header(c, snaplen, linktype);
	return c->err ? -1 : 0;
}

/* An Enhanced Packet Block: data padded to 32 bits, length at both ends. */
static void pcapng_record(struct capfile *c, const uint8_t *data, uint32_t caplen,
			  uint32_t origlen)
{
	static const uint8_t zero[4];
	uint32_t pad = (4 - caplen % 4) % 4;
	uint32_t total = 32 + caplen + pad;

	put32(c, 6);
	put32(c, total);
	put32(c, 0);		/* interface 0 */
	put32(c, 0);		/* timestamp, high and low */
	put32(c, 0);
	put32(c, caplen);
	put32(c, origlen);
	put(c, data, caplen);
	put(c, zero, pad);
	put32(c, total);
}

int capfile_record(struct capfile *c, const uint8_t *data, uint32_t caplen, uint32_t origlen)
{
	if (c->pcapng) {
		pcapng_record(c, data, caplen, origlen);
	} else {
		put32(c, 0);	/* ts_sec, ts_usec */
		put32(c, 0);
		put32(c, caplen);
		put32(c, origlen);
		put(c, data, caplen);
	}
	if (c->err)
		errno = c->err;
	return c->err ? -1 : 0;
}

int capfile_close(struct capfile *c)
{
	int rc = c->err ? -1 : 0;

	if (c->f && fclose(c->f))
		rc = -1;
	c->f = NULL;
	return rc;
}
