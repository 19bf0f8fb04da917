// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * "Another tool's" TC filter for tests/test-coexist.sh: it counts what it
 * sees and lets every packet through (TC_ACT_OK). The test attaches it with
 * plain tc (`tc filter add ... bpf da obj other.bpf.o sec tc`) behind, or in
 * the place of, the exporter's filter, and reads the map with bpftool.
 *
 * Each tc filter add loads its own copy of the object, so the ingress and
 * the egress filter each have their own other_counts map; the test tells
 * them apart through the map ids of the filter's program.
 *
 * Packets are counted as tcflow counts them (doc/flow-key.md): a GSO
 * packet is gso_segs packets, its bytes are skb->len, so that the two
 * filters' counts on one hook can be compared one to one.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct other_count {
	__u64 packets;	/* segments, as tcflow counts them */
	__u64 bytes;	/* skb->len, L2 header included */
	__u64 skbs;	/* one per program run */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct other_count);
} other_counts SEC(".maps");

SEC("tc")
int other_count(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct other_count *c = bpf_map_lookup_elem(&other_counts, &zero);
	__u64 segs = skb->gso_segs > 1 ? skb->gso_segs : 1;

	if (c) {
		__sync_fetch_and_add(&c->packets, segs);
		__sync_fetch_and_add(&c->bytes, (__u64)skb->len);
		__sync_fetch_and_add(&c->skbs, 1);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
