/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Raw per-packet events into a BPF ring buffer, one per cfg_events_sample
 * counted packets per CPU. Wakeups are the expensive part (microseconds
 * each), so records are committed with BPF_RB_NO_WAKEUP and user space is
 * woken only once cfg_wakeup_bytes have piled up; the consumer also polls
 * on a short timer, so a quiet host's events still arrive promptly.
 * Included by tcflow.bpf.c after cfg_replay and count_loss().
 */
#ifndef EVENTS_BPF_H
#define EVENTS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcflow.h"

const volatile __u32 cfg_events_sample = TCFLOW_DEFAULT_EVENTS_SAMPLE;
const volatile __u64 cfg_wakeup_bytes = TCFLOW_DEFAULT_RINGBUF_BYTES / 8;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TCFLOW_DEFAULT_RINGBUF_BYTES);
} events SEC(".maps");

/* Packets since this CPU's last event. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} event_phase SEC(".maps");

/* Counts packets as the counters do (a GSO packet as its segments); a
 * GSO packet that crosses the sampling point raises one event. */
static __always_inline int event_due(__u64 segs)
{
	__u32 zero = 0, *n;

	if (!cfg_events_sample)
		return 0;
	n = bpf_map_lookup_elem(&event_phase, &zero);
	if (!n)
		return 0;
	*n += (__u32)segs;
	if (*n < cfg_events_sample)
		return 0;
	*n %= cfg_events_sample;
	return 1;
}

static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline __u32 ipv4_le(const __u8 a[16])
{
	return (__u32)a[0] | (__u32)a[1] << 8 | (__u32)a[2] << 16 | (__u32)a[3] << 24;
}

/* The fields both event layouts share, under the same names. */
#define FILL_COMMON(r, key, cg, len) do { \
		(r)->hdr.ifindex = (key)->ifindex; \
		(r)->ev.timestamp_ns = bpf_ktime_get_ns(); \
		(r)->ev.cgroup_id = (cg); \
		(r)->ev.src_port = (key)->src_port; \
		(r)->ev.dst_port = (key)->dst_port; \
		(r)->ev.protocol = (key)->protocol; \
		(r)->ev.direction = (key)->direction; \
		(r)->ev.packet_len = (len); \
	} while (0)

static __always_inline void fill4(struct event_record4 *r, const struct flow_key *key,
				  __u64 cgroup, __u16 len)
{
	r->hdr.kind = TCFLOW_EVENT_IPV4;
	r->ev.src_ip = ipv4_le(key->src_addr);
	r->ev.dst_ip = ipv4_le(key->dst_addr);
	FILL_COMMON(r, key, cgroup, len);
}

static __always_inline void fill6(struct event_record6 *r, const struct flow_key *key,
				  __u64 cgroup, __u16 len)
{
	r->hdr.kind = TCFLOW_EVENT_IPV6;
	__builtin_memcpy(r->ev.src_ip, key->src_addr, 16);
	__builtin_memcpy(r->ev.dst_ip, key->dst_addr, 16);
	FILL_COMMON(r, key, cgroup, len);
}

/* Emits the event of a counted packet when its turn has come. A full ring
 * buffer loses the event, and the loss is counted. */
static __always_inline void emit_event(struct __sk_buff *skb, const struct flow_key *key,
				       __u64 segs, __u64 len)
{
	__u64 cgroup = 0;
	__u16 plen = len > 0xffff ? 0xffff : (__u16)len;

	if (!event_due(segs))
		return;
	/* With owners on, the key has it in both directions; without, only
	 * egress of a local socket has an owner the kernel tells for free. */
	if (cfg_owner)
		cgroup = key->cgroup_id;
	else if (key->direction == TCFLOW_DIR_EGRESS && !cfg_replay)
		cgroup = bpf_skb_cgroup_id(skb);
	if (key->family == TCFLOW_FAM_IPV4) {
		struct event_record4 *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

		if (!r) {
			count_loss(TCFLOW_LOSS_EVENT_RESERVE);
			return;
		}
		fill4(r, key, cgroup, plen);
		bpf_ringbuf_submit(r, wakeup_flags());
	} else {
		struct event_record6 *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

		if (!r) {
			count_loss(TCFLOW_LOSS_EVENT_RESERVE);
			return;
		}
		fill6(r, key, cgroup, plen);
		bpf_ringbuf_submit(r, wakeup_flags());
	}
}

#endif /* EVENTS_BPF_H */
