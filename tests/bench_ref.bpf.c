// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * The yardsticks of scripts/bench-dataplane.sh, not part of the exporter.
 *
 * bench_ref: the least a TC flow counter can do under the rules of
 * doc/flow-key.md. It parses as tcflow does (Ethernet, two VLAN tags,
 * IPv4 with IHL and fragments, up to eight IPv6 extension headers, ports)
 * but only by direct packet access, with no fallback for headers outside
 * the linear data, then looks up or inserts the flow in one LRU hash and
 * adds packets and bytes atomically. No interface totals, no timestamps, no
 * events, no loss counters: what tcflow does beyond this is what the
 * benchmark's ratio prices.
 *
 * bench_empty: returns at once; its bpf_stats time is the cost of being
 * called and timed at all.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tcflow.h"

struct ref_value {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCFLOW_DEFAULT_FLOW_ENTRIES);
	/* The exporter's key without owners (it stops before the cgroup id),
	 * so that both hash as many bytes. */
	__uint(key_size, TCFLOW_KEY_SIZE_NO_OWNER);
	__uint(value_size, sizeof(struct ref_value));
} ref_flows SEC(".maps");

struct vlan_hdr_ {
	__be16 tci;
	__be16 proto;
};

struct ip4_ {
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

struct ip6_ {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Offsets past this are not followed: keeps the verifier's bounds small. */
#define REF_MAX_OFF 2048

static __always_inline void ports(void *data, void *end, __u32 off, struct flow_key *k)
{
	__be16 *p;

	if (k->protocol != IPPROTO_TCP && k->protocol != IPPROTO_UDP &&
	    k->protocol != IPPROTO_DCCP && k->protocol != IPPROTO_SCTP &&
	    k->protocol != IPPROTO_UDPLITE)
		return;
	if (off > REF_MAX_OFF)
		return;
	p = data + off;
	if ((void *)(p + 2) > end)
		return;
	k->src_port = bpf_ntohs(p[0]);
	k->dst_port = bpf_ntohs(p[1]);
}

static __always_inline int parse4(void *data, void *end, __u32 off, struct flow_key *k)
{
	struct ip4_ *ip = data + off;
	__u32 hlen;

	if ((void *)(ip + 1) > end)
		return -1;
	hlen = (ip->ver_ihl & 0x0f) * 4;
	if ((ip->ver_ihl >> 4) != 4 || hlen < sizeof(*ip))
		return -1;
	k->family = TCFLOW_FAM_IPV4;
	k->protocol = ip->protocol;
	__builtin_memcpy(k->src_addr, &ip->saddr, 4);
	__builtin_memcpy(k->dst_addr, &ip->daddr, 4);
	if (!(bpf_ntohs(ip->frag_off) & 0x1fff))
		ports(data, end, off + hlen, k);
	return 0;
}

static __always_inline int parse6(void *data, void *end, __u32 off, struct flow_key *k)
{
	struct ip6_ *ip = data + off;
	__u8 nh, *h;
	int i;

	if ((void *)(ip + 1) > end || (bpf_ntohl(ip->ver_tc_flow) >> 28) != 6)
		return -1;
	k->family = TCFLOW_FAM_IPV6;
	__builtin_memcpy(k->src_addr, ip->saddr, 16);
	__builtin_memcpy(k->dst_addr, ip->daddr, 16);
	nh = ip->nexthdr;
	off += sizeof(*ip);
#pragma unroll
	for (i = 0; i < 8; i++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_AH && nh != IPPROTO_FRAGMENT)
			break;
		if (off > REF_MAX_OFF)
			goto noports;
		h = data + off;
		if ((void *)(h + 8) > end)
			goto noports;
		if (nh == IPPROTO_FRAGMENT) {
			if ((h[2] << 8 | h[3]) & 0xfff8) {
				nh = h[0];
				goto noports;
			}
			off += 8;
		} else {
			off += nh == IPPROTO_AH ? (h[1] + 2) * 4 : (h[1] + 1) * 8;
		}
		nh = h[0];
	}
	k->protocol = nh;
	ports(data, end, off, k);
	return 0;
noports:
	k->protocol = nh;
	return 0;
}

SEC("tc")
int bench_ref(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr_ *tag;
	struct flow_key k;
	struct ref_value init, *v;
	__u32 off = sizeof(*eth);
	__u16 proto;
	int i, err;

	if ((void *)(eth + 1) > end)
		return TC_ACT_UNSPEC;
	__builtin_memset(&k, 0, sizeof(k));
	proto = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (i = 0; i < 2; i++) {
		if (proto != 0x8100 && proto != 0x88A8)
			break;
		tag = data + off;
		if ((void *)(tag + 1) > end)
			return TC_ACT_UNSPEC;
		proto = bpf_ntohs(tag->proto);
		off += sizeof(*tag);
	}
	if (proto == ETH_P_IP)
		err = parse4(data, end, off, &k);
	else if (proto == ETH_P_IPV6)
		err = parse6(data, end, off, &k);
	else
		return TC_ACT_UNSPEC;
	if (err)
		return TC_ACT_UNSPEC;
	k.ifindex = skb->ifindex;
	v = bpf_map_lookup_elem(&ref_flows, &k);
	if (!v) {
		init.packets = 1;
		init.bytes = skb->len;
		bpf_map_update_elem(&ref_flows, &k, &init, BPF_NOEXIST);
		return TC_ACT_UNSPEC;
	}
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, skb->len);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int bench_empty(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
