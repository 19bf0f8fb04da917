/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Frame parser for the TC programs: the rules of spec/flow-key.md.
 *
 * Contract: every read goes through bpf_skb_load_bytes() and is bounded by
 * cur->limit, the captured length of the frame. Reading through the helper
 * instead of direct packet access keeps non-linear skbs (GRO on veth, say)
 * exact; the limit lets capture replay say "this record ends here" even
 * when the kernel padded it. Each parse_* step advances cur->off and
 * returns the next protocol, or a negative value when the bytes it needs
 * are not there.
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

#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8

enum parse_verdict {
	PARSE_FLOW = 0,		/* a flow key was filled */
	PARSE_NONIP = 1,	/* family other, no flow */
	PARSE_MALFORMED = 2,	/* IPv4/IPv6 too broken to be a flow */
};

struct cursor {
	__u32 off;
	__u32 limit;
};

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

static __always_inline int load(struct __sk_buff *skb, const struct cursor *cur,
				__u32 off, void *to, __u32 len)
{
	if (off > cur->limit || cur->limit - off < len)
		return -1;
	return bpf_skb_load_bytes(skb, off, to, len);
}

/* Ethernet II with up to VLAN_MAX_DEPTH tags: returns the ethertype. */
static __always_inline int parse_ethernet(struct __sk_buff *skb, struct cursor *cur)
{
	struct ethhdr eth;
	struct vlan_tag tag;
	__u16 proto;
	int i;

	if (load(skb, cur, 0, &eth, sizeof(eth)))
		return -1;
	cur->off = sizeof(eth);
	proto = bpf_ntohs(eth.h_proto);
#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (proto != ETH_P_8021Q_ && proto != ETH_P_8021AD_)
			break;
		if (load(skb, cur, cur->off, &tag, sizeof(tag)))
			return -1;
		cur->off += sizeof(tag);
		proto = bpf_ntohs(tag.proto);
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
static __always_inline void parse_ports(struct __sk_buff *skb, const struct cursor *cur,
					struct flow_key *key)
{
	__be16 ports[2];

	if (!has_ports(key->protocol) || load(skb, cur, cur->off, ports, sizeof(ports)))
		return;
	key->src_port = bpf_ntohs(ports[0]);
	key->dst_port = bpf_ntohs(ports[1]);
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, struct cursor *cur,
				      struct flow_key *key)
{
	struct ipv4_fixed iph;
	__u32 hlen;

	if (load(skb, cur, cur->off, &iph, sizeof(iph)))
		return PARSE_MALFORMED;
	hlen = (iph.ver_ihl & 0x0f) * 4;
	if ((iph.ver_ihl >> 4) != 4 || hlen < sizeof(iph) ||
	    cur->limit - cur->off < hlen)
		return PARSE_MALFORMED;

	key->protocol = iph.protocol;
	__builtin_memcpy(key->src_addr, &iph.saddr, 4);
	__builtin_memcpy(key->dst_addr, &iph.daddr, 4);
	cur->off += hlen;
	/* A later fragment carries no transport header. */
	if (!(bpf_ntohs(iph.frag_off) & 0x1fff))
		parse_ports(skb, cur, key);
	return PARSE_FLOW;
}

/*
 * One step of the IPv6 extension header walk. Returns 1 to go on with
 * *nexthdr updated, 0 when *nexthdr is the protocol and the transport
 * header may follow at cur->off, -1 when the protocol is final and there
 * are no ports (missing bytes, a later fragment).
 */
static __always_inline int ipv6_ext_step(struct __sk_buff *skb, struct cursor *cur,
					 __u8 *nexthdr)
{
	struct ipv6_frag frag;
	__u8 hdr[2];

	switch (*nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
		if (load(skb, cur, cur->off, hdr, sizeof(hdr)))
			return -1;
		cur->off += *nexthdr == IPPROTO_AH ? (hdr[1] + 2) * 4 : (hdr[1] + 1) * 8;
		*nexthdr = hdr[0];
		return 1;
	case IPPROTO_FRAGMENT:
		if (load(skb, cur, cur->off, &frag, sizeof(frag)))
			return -1;
		*nexthdr = frag.nexthdr;
		if (bpf_ntohs(frag.frag_off) & 0xfff8)
			return -1;
		cur->off += sizeof(frag);
		return 1;
	default:
		return 0;
	}
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, struct cursor *cur,
				      struct flow_key *key)
{
	struct ipv6_fixed ip6h;
	__u8 nexthdr;
	int i, step = 0;

	if (load(skb, cur, cur->off, &ip6h, sizeof(ip6h)))
		return PARSE_MALFORMED;
	if ((bpf_ntohl(ip6h.ver_tc_flow) >> 28) != 6)
		return PARSE_MALFORMED;

	__builtin_memcpy(key->src_addr, ip6h.saddr, 16);
	__builtin_memcpy(key->dst_addr, ip6h.daddr, 16);
	cur->off += sizeof(ip6h);
	nexthdr = ip6h.nexthdr;
	for (i = 0; i < IPV6_EXT_MAX_DEPTH; i++) {
		step = ipv6_ext_step(skb, cur, &nexthdr);
		if (step <= 0)
			break;
	}
	key->protocol = nexthdr;
	if (step >= 0)
		parse_ports(skb, cur, key);
	return PARSE_FLOW;
}

/* Fills key (zeroed by the caller) from the frame; returns a parse_verdict. */
static __always_inline int parse_frame(struct __sk_buff *skb, __u32 limit,
				       struct flow_key *key)
{
	struct cursor cur = { .off = 0, .limit = limit };
	int proto = parse_ethernet(skb, &cur);

	/* The family is set first: a malformed packet still counts under it. */
	if (proto == ETH_P_IP) {
		key->family = TCFLOW_FAM_IPV4;
		return parse_ipv4(skb, &cur, key);
	}
	if (proto == ETH_P_IPV6) {
		key->family = TCFLOW_FAM_IPV6;
		return parse_ipv6(skb, &cur, key);
	}
	key->family = TCFLOW_FAM_OTHER;
	return PARSE_NONIP;
}

#endif /* PARSE_BPF_H */
