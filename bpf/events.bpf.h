/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Raw per-packet events into a BPF ring buffer, one per N counted packets
 * per CPU. Wakeups are the expensive part (microseconds each), so records
 * are committed with BPF_RB_NO_WAKEUP and user space is woken only once
 * wakeup_bytes have piled up; the consumer also polls on a short timer, so
 * a quiet host's events still arrive promptly. Helpers only: the ring
 * buffer, the per-CPU phase and the settings are tcflow.bpf.c's, passed in.
 */
#ifndef EVENTS_BPF_H
#define EVENTS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcflow.h"

/* Whether this packet's event is due, given *phase, the packets since this
 * CPU's last event, and sample, one event per that many (0: none). Counts
 * packets as the counters do (a GSO packet as its segments); a GSO packet
 * that crosses the sampling point raises one event. */
static __always_inline int event_due(__u32 *phase, __u32 sample, __u64 segs)
{
	if (!sample || !phase)
		return 0;
	*phase += (__u32)segs;
	if (*phase < sample)
		return 0;
	*phase %= sample;
	return 1;
}

static __always_inline __u64 wakeup_flags(void *ringbuf, __u64 wakeup_bytes)
{
	return bpf_ringbuf_query(ringbuf, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
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

/* Writes the event of a packet of len bytes into ringbuf. Returns 0, or -1
 * when the ring buffer is full and the event is lost. */
static __always_inline int send_event(void *ringbuf, __u64 wakeup_bytes,
				      const struct flow_key *key, __u64 cgroup, __u64 len)
{
	__u16 plen = len > 0xffff ? 0xffff : (__u16)len;

	if (key->family == TCFLOW_FAM_IPV4) {
		struct event_record4 *r = bpf_ringbuf_reserve(ringbuf, sizeof(*r), 0);

		if (!r)
			return -1;
		fill4(r, key, cgroup, plen);
		bpf_ringbuf_submit(r, wakeup_flags(ringbuf, wakeup_bytes));
	} else {
		struct event_record6 *r = bpf_ringbuf_reserve(ringbuf, sizeof(*r), 0);

		if (!r)
			return -1;
		fill6(r, key, cgroup, plen);
		bpf_ringbuf_submit(r, wakeup_flags(ringbuf, wakeup_bytes));
	}
	return 0;
}

#endif /* EVENTS_BPF_H */
