/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Frame parser for the TC programs: the rules of doc/flow-key.md.
 *
 * Contract: every read is bounded by cur->limit, the captured length of
 * the frame (capture replay says "this record ends here" with it, even
 * when the kernel padded the record). The parser runs in two builds of the
 * same code: direct (headers read in place between skb->data and
 * data_end, the fast path) and loaded (every header copied out by
 * bpf_skb_load_bytes(), which sees the paged part of a non-linear skb,
 * GRO on veth, say). The direct build gives up with cur->retry set as soon
 * as a header is not all in the linear data, and the caller parses again
 * with the loaded build, so both count exactly the same. Each parse_* step
 * advances cur->off and returns the next protocol, or a negative value
 * when the bytes it needs are not there.
 */
#ifndef PARSE_BPF_H
#define PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tcflow.h"

#ifndef VLAN_MAX_DEPTH
#define VLAN_MAX_DEPTH 2
#endif
#ifndef IPV6_EXT_MAX_DEPTH
#define IPV6_EXT_MAX_DEPTH 8
#endif

enum parse_verdict {
	PARSE_FLOW = 0,		/* a flow key was filled */
	PARSE_NONIP = 1,	/* family other, no flow */
	PARSE_MALFORMED = 2,	/* IPv4/IPv6 too broken to be a flow */
};

struct cursor {
	__u32 off;
	__u32 limit;
	void *data;		/* skb->data and data_end, for the direct build */
	void *end;
	int retry;		/* the direct build met a header outside the linear data */
};

/* Direct reads stop here: keeps the verifier's packet offsets bounded. */
#define PARSE_DIRECT_MAX_OFF 0x3fff

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

struct ipv4_fixed {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
};

struct ipv6_fixed {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset << 3 | M */
	__be32 id;
};

/*
 * The len bytes at off: in place (direct) or copied into buf (loaded).
 * NULL when the frame has no such bytes, or, in the direct build, when
 * they are not all in the linear data (then cur->retry is set).
 */
static __always_inline const void *hdr(struct __sk_buff *skb, struct cursor *cur, __u32 off,
				       void *buf, __u32 len, const int direct)
{
	void *p;

	/* The direct build runs only live, where the limit is skb->len, past
	 * the linear data: checking the linear data's end below is enough. */
	if (!direct) {
		if (off > cur->limit || cur->limit - off < len)
			return NULL;
		return bpf_skb_load_bytes(skb, off, buf, len) ? NULL : buf;
	}
	if (off > PARSE_DIRECT_MAX_OFF)
		goto retry;
	p = cur->data + off;
	if (p + len > cur->end)
		goto retry;
	return p;
retry:
	cur->retry = 1;
	return NULL;
}

/* Ethernet II with up to VLAN_MAX_DEPTH tags: returns the ethertype. */
static __always_inline int parse_ethernet(struct __sk_buff *skb, struct cursor *cur,
					  const int direct)
{
	struct ethhdr eth_buf;
	struct vlan_tag tag_buf;
	const struct ethhdr *eth;
	const struct vlan_tag *tag;
	__u16 proto;
	int i;

	eth = hdr(skb, cur, 0, &eth_buf, sizeof(eth_buf), direct);
	if (!eth)
		return -1;
	cur->off = sizeof(*eth);
	proto = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		tag = hdr(skb, cur, cur->off, &tag_buf, sizeof(tag_buf), direct);
		if (!tag)
			return -1;
		cur->off += sizeof(*tag);
		proto = bpf_ntohs(tag->proto);
	}
	return proto;
}

static __always_inline int has_ports(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ||
	       protocol == IPPROTO_DCCP || protocol == IPPROTO_SCTP ||
	       protocol == IPPROTO_UDPLITE;
}

/* Ports are the first 4 bytes of the transport header when present. */
static __always_inline void parse_ports(struct __sk_buff *skb, struct cursor *cur,
					struct flow_key *key, const int direct)
{
	__be16 buf[2];
	const __be16 *ports;

	if (!has_ports(key->protocol))
		return;
	ports = hdr(skb, cur, cur->off, buf, sizeof(buf), direct);
	if (!ports)
		return;
	key->src_port = bpf_ntohs(ports[0]);
	key->dst_port = bpf_ntohs(ports[1]);
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, struct cursor *cur,
				      struct flow_key *key, const int direct)
{
	struct ipv4_fixed buf;
	const struct ipv4_fixed *iph;
	__u32 hlen;

	iph = hdr(skb, cur, cur->off, &buf, sizeof(buf), direct);
	if (!iph)
		return PARSE_MALFORMED;
	hlen = (iph->ver_ihl & 0x0f) * 4;
	if ((iph->ver_ihl >> 4) != 4 || hlen < sizeof(*iph) ||
	    cur->limit - cur->off < hlen)
		return PARSE_MALFORMED;

	key->protocol = iph->protocol;
	__builtin_memcpy(key->src_addr, &iph->saddr, 4);
	__builtin_memcpy(key->dst_addr, &iph->daddr, 4);
	cur->off += hlen;
	/* A later fragment carries no transport header. */
	if (!(bpf_ntohs(iph->frag_off) & 0x1fff))
		parse_ports(skb, cur, key, direct);
	return PARSE_FLOW;
}

/*
 * One step of the IPv6 extension header walk. Returns 1 to go on with
 * *nexthdr updated, 0 when *nexthdr is the protocol and the transport
 * header may follow at cur->off, -1 when the protocol is final and there
 * are no ports (missing bytes, a later fragment).
 */
static __always_inline int ipv6_ext_step(struct __sk_buff *skb, struct cursor *cur,
					 __u8 *nexthdr, const int direct)
{
	struct ipv6_frag frag_buf;
	const struct ipv6_frag *frag;
	__u8 ext_buf[2];
	const __u8 *ext;

	switch (*nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
		ext = hdr(skb, cur, cur->off, ext_buf, sizeof(ext_buf), direct);
		if (!ext)
			return -1;
		cur->off += *nexthdr == IPPROTO_AH ? (ext[1] + 2) * 4 : (ext[1] + 1) * 8;
		*nexthdr = ext[0];
		return 1;
	case IPPROTO_FRAGMENT:
		frag = hdr(skb, cur, cur->off, &frag_buf, sizeof(frag_buf), direct);
		if (!frag)
			return -1;
		*nexthdr = frag->nexthdr;
		if (bpf_ntohs(frag->frag_off) & 0xfff8)
			return -1;
		cur->off += sizeof(*frag);
		return 1;
	default:
		return 0;
	}
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, struct cursor *cur,
				      struct flow_key *key, const int direct)
{
	struct ipv6_fixed buf;
	const struct ipv6_fixed *ip6h;
	__u8 nexthdr;
	int i, step = 0;

	ip6h = hdr(skb, cur, cur->off, &buf, sizeof(buf), direct);
	if (!ip6h)
		return PARSE_MALFORMED;
	if ((bpf_ntohl(ip6h->ver_tc_flow) >> 28) != 6)
		return PARSE_MALFORMED;

	__builtin_memcpy(key->src_addr, ip6h->saddr, 16);
	__builtin_memcpy(key->dst_addr, ip6h->daddr, 16);
	cur->off += sizeof(*ip6h);
	nexthdr = ip6h->nexthdr;
	for (i = 0; i < IPV6_EXT_MAX_DEPTH; i++) {
		step = ipv6_ext_step(skb, cur, &nexthdr, direct);
		if (step <= 0)
			break;
	}
	key->protocol = nexthdr;
	if (step >= 0)
		parse_ports(skb, cur, key, direct);
	return PARSE_FLOW;
}

/* One build of the parser: fills key (zeroed by the caller), returns a
 * parse_verdict; meaningless when cur->retry is set on return. */
static __always_inline int parse_with(struct __sk_buff *skb, struct cursor *cur,
				      struct flow_key *key, const int direct)
{
	int proto = parse_ethernet(skb, cur, direct);

	/* The family is set first: a malformed packet still counts under it. */
	if (proto == ETH_P_IP) {
		key->family = TCFLOW_FAM_IPV4;
		return parse_ipv4(skb, cur, key, direct);
	}
	if (proto == ETH_P_IPV6) {
		key->family = TCFLOW_FAM_IPV6;
		return parse_ipv6(skb, cur, key, direct);
	}
	key->family = TCFLOW_FAM_OTHER;
	return PARSE_NONIP;
}

/*
 * Fills the flow fields of key (zeroed by the caller, who owns ifindex and
 * direction) from the first limit bytes of the frame; returns a
 * parse_verdict. Direct reads first; the loaded build only for a frame
 * whose headers are not all in the linear data, or for every frame when
 * loaded_reads is set (tests) or replay is: in capture replay through
 * BPF_PROG_TEST_RUN, limit (the captured length) may end before the data
 * does, and only the loaded build checks it, so that the live path does
 * not. Both are load-time constants at the call site: the verifier drops
 * the build a program never runs.
 */
static __always_inline int parse_frame(struct __sk_buff *skb, __u32 limit,
				       struct flow_key *key, int replay, int loaded_reads)
{
	struct cursor cur = {
		.limit = limit,
		.data = (void *)(long)skb->data,
		.end = (void *)(long)skb->data_end,
	};
	__u32 ifindex = key->ifindex;
	__u8 direction = key->direction;
	int verdict;

	if (!loaded_reads && !replay) {
		verdict = parse_with(skb, &cur, key, 1);
		if (!cur.retry)
			return verdict;
		__builtin_memset(key, 0, sizeof(*key));
		key->ifindex = ifindex;
		key->direction = direction;
		cur.off = 0;
	}
	return parse_with(skb, &cur, key, 0);
}

#endif /* PARSE_BPF_H */
