/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Types shared by the TC programs (bpf/tcflow.bpf.c) and user space.
 * Fixed-width types only, explicit padding: both compilers must agree on
 * every byte, and hash keys must have no uninitialised holes.
 */
#ifndef TCFLOW_H
#define TCFLOW_H

#include <linux/types.h>

enum tcflow_direction {
	TCFLOW_DIR_INGRESS = 0,
	TCFLOW_DIR_EGRESS = 1,
};

/* Index into the per-interface arrays; also the order of the family label. */
enum tcflow_family {
	TCFLOW_FAM_IPV4 = 0,
	TCFLOW_FAM_IPV6 = 1,
	TCFLOW_FAM_OTHER = 2,
	TCFLOW_FAM_MAX = 3,
};

/* Key of the flow table. IPv4 addresses use the first 4 bytes of *_addr. */
struct flow_key {
	__u32 ifindex;
	__u8 direction;		/* enum tcflow_direction */
	__u8 family;		/* TCFLOW_FAM_IPV4 or TCFLOW_FAM_IPV6 */
	__u8 protocol;		/* IP protocol number */
	__u8 pad;
	__u16 src_port;		/* host order, 0 where doc/flow-key.md says so */
	__u16 dst_port;
	__u8 src_addr[16];	/* network order */
	__u8 dst_addr[16];
	/* Only when owners are on (--flow.labels with cgroup, namespace, pod
	 * or container): otherwise the loader sets the map's key size to
	 * TCFLOW_KEY_SIZE_NO_OWNER, the table never sees these bytes and
	 * hashes no more than before. */
	__u32 pad2;
	__u64 cgroup_id;	/* the local socket's cgroup, 0: none */
};
/* offsetof(struct flow_key, pad2), the key size with owners off. */
#define TCFLOW_KEY_SIZE_NO_OWNER 44

struct flow_value {
	__u64 packets;
	__u64 bytes;
	__u64 last_seen_ns;	/* CLOCK_MONOTONIC_COARSE of the last packet, to a tick: idle expiry */
};

struct iface_key {
	__u32 ifindex;
	__u8 direction;
	__u8 pad[3];
};

/*
 * The interface totals: a per-CPU array of slots, each copy of a slot
 * naming the hook it counts in tag (0: free). A hook's home slot is
 * (ifindex << 1 | direction) & cfg_iface_mask, found per packet without a
 * hash lookup; user space gives a hook whose home is taken a slot past
 * the mask and records it in iface_index. User space sums the copies of
 * every tag over slots and CPUs.
 */
struct iface_value {
	__u64 packets[TCFLOW_FAM_MAX];
	__u64 bytes[TCFLOW_FAM_MAX];
	__u64 malformed;
	__u64 tag;		/* tcflow_iface_tag() of the hook, 0 when free */
};

static inline __u64 tcflow_iface_tag(__u32 ifindex, __u8 direction)
{
	return (__u64)ifindex << 32 | (__u64)direction << 8 | 1;
}

static inline __u32 tcflow_iface_home(__u32 ifindex, __u8 direction, __u32 mask)
{
	return (ifindex << 1 | direction) & mask;
}

/* Slots of the per-CPU loss counters: every update that did not happen. */
enum tcflow_loss {
	TCFLOW_LOSS_FLOW_UPDATE = 0,	/* flow table insert failed */
	TCFLOW_LOSS_IFACE_UPDATE = 1,	/* interface table had no room */
	TCFLOW_LOSS_EVENT_RESERVE = 2,	/* ring buffer full: event not sent */
	/* Not a loss: flows inserted, from which user space estimates how
	 * many the LRU evicted (inserted - present - expired). */
	TCFLOW_STAT_FLOW_INSERTS = 3,
	TCFLOW_LOSS_MAX = 4,
};

/*
 * The raw event of an IPv4 packet: orb8's 32-byte NetworkFlowEvent, field
 * for field and byte for byte (see doc/events.md). Addresses keep the
 * first octet in the least significant byte whatever the host's order.
 */
struct network_flow_event {
	__u64 timestamp_ns;	/* bpf_ktime_get_ns() at the hook */
	__u64 cgroup_id;	/* the local socket's cgroup where known, else 0 */
	__u32 src_ip;
	__u32 dst_ip;
	__u16 src_port;		/* host order */
	__u16 dst_port;
	__u8 protocol;
	__u8 direction;		/* 0 ingress, 1 egress */
	__u16 packet_len;	/* saturates at 65535 */
};

/* The IPv6 event: the same fields with 128-bit addresses. */
struct network_flow_event6 {
	__u64 timestamp_ns;
	__u64 cgroup_id;
	__u8 src_ip[16];	/* network order */
	__u8 dst_ip[16];
	__u16 src_port;
	__u16 dst_port;
	__u8 protocol;
	__u8 direction;
	__u16 packet_len;
};

/*
 * What one ring buffer record holds: a kind that says which event follows
 * (never guessed from the length) and the interface, which the 32-byte
 * IPv4 layout has no room for, then the event itself.
 */
enum tcflow_event_kind {
	TCFLOW_EVENT_IPV4 = 0x34767446,	/* "Ftv4" in memory: not a small number */
	TCFLOW_EVENT_IPV6 = 0x36767446,	/* "Ftv6" */
};

struct event_header {
	__u32 kind;		/* enum tcflow_event_kind */
	__u32 ifindex;
};

struct event_record4 {
	struct event_header hdr;
	struct network_flow_event ev;
};

struct event_record6 {
	struct event_header hdr;
	struct network_flow_event6 ev;
};

/*
 * Every byte of the shared types pinned, for both compilers: clang
 * (target bpf) and gcc (user space) include this file and must reject a
 * layout the other side does not share. The IPv4 event is orb8's
 * NetworkFlowEvent: its offsets are a wire format, not ours to move.
 */
#define TCFLOW_PIN(type, field, off) \
	_Static_assert(__builtin_offsetof(struct type, field) == (off), \
		       #type "." #field " is at byte " #off)
#define TCFLOW_PIN_SIZE(type, size) \
	_Static_assert(sizeof(struct type) == (size), #type " is " #size " bytes")

TCFLOW_PIN(flow_key, ifindex, 0);
TCFLOW_PIN(flow_key, direction, 4);
TCFLOW_PIN(flow_key, family, 5);
TCFLOW_PIN(flow_key, protocol, 6);
TCFLOW_PIN(flow_key, pad, 7);
TCFLOW_PIN(flow_key, src_port, 8);
TCFLOW_PIN(flow_key, dst_port, 10);
TCFLOW_PIN(flow_key, src_addr, 12);
TCFLOW_PIN(flow_key, dst_addr, 28);
TCFLOW_PIN(flow_key, pad2, TCFLOW_KEY_SIZE_NO_OWNER);
TCFLOW_PIN(flow_key, cgroup_id, 48);
TCFLOW_PIN_SIZE(flow_key, 56);

TCFLOW_PIN(flow_value, packets, 0);
TCFLOW_PIN(flow_value, bytes, 8);
TCFLOW_PIN(flow_value, last_seen_ns, 16);
TCFLOW_PIN_SIZE(flow_value, 24);

TCFLOW_PIN(iface_key, ifindex, 0);
TCFLOW_PIN(iface_key, direction, 4);
TCFLOW_PIN(iface_key, pad, 5);
TCFLOW_PIN_SIZE(iface_key, 8);

TCFLOW_PIN(iface_value, packets, 0);
TCFLOW_PIN(iface_value, bytes, 24);
TCFLOW_PIN(iface_value, malformed, 48);
TCFLOW_PIN(iface_value, tag, 56);
TCFLOW_PIN_SIZE(iface_value, 64);

TCFLOW_PIN(network_flow_event, timestamp_ns, 0);
TCFLOW_PIN(network_flow_event, cgroup_id, 8);
TCFLOW_PIN(network_flow_event, src_ip, 16);
TCFLOW_PIN(network_flow_event, dst_ip, 20);
TCFLOW_PIN(network_flow_event, src_port, 24);
TCFLOW_PIN(network_flow_event, dst_port, 26);
TCFLOW_PIN(network_flow_event, protocol, 28);
TCFLOW_PIN(network_flow_event, direction, 29);
TCFLOW_PIN(network_flow_event, packet_len, 30);
TCFLOW_PIN_SIZE(network_flow_event, 32);

TCFLOW_PIN(network_flow_event6, timestamp_ns, 0);
TCFLOW_PIN(network_flow_event6, cgroup_id, 8);
TCFLOW_PIN(network_flow_event6, src_ip, 16);
TCFLOW_PIN(network_flow_event6, dst_ip, 32);
TCFLOW_PIN(network_flow_event6, src_port, 48);
TCFLOW_PIN(network_flow_event6, dst_port, 50);
TCFLOW_PIN(network_flow_event6, protocol, 52);
TCFLOW_PIN(network_flow_event6, direction, 53);
TCFLOW_PIN(network_flow_event6, packet_len, 54);
TCFLOW_PIN_SIZE(network_flow_event6, 56);

TCFLOW_PIN(event_header, kind, 0);
TCFLOW_PIN(event_header, ifindex, 4);
TCFLOW_PIN_SIZE(event_header, 8);

TCFLOW_PIN(event_record4, hdr, 0);
TCFLOW_PIN(event_record4, ev, 8);
TCFLOW_PIN_SIZE(event_record4, 40);

TCFLOW_PIN(event_record6, hdr, 0);
TCFLOW_PIN(event_record6, ev, 8);
TCFLOW_PIN_SIZE(event_record6, 64);

#undef TCFLOW_PIN
#undef TCFLOW_PIN_SIZE

/*
 * In capture replay the record's captured length travels in the test run's
 * __sk_buff.cb[TCFLOW_CB_CAPLEN]: the kernel pads runts to 14 bytes and
 * truncates large frames, so skb->len is not the record's length there.
 */
#define TCFLOW_CB_CAPLEN 0

#define TCFLOW_DEFAULT_FLOW_ENTRIES 262144
#define TCFLOW_DEFAULT_EVENTS_SAMPLE 100
#define TCFLOW_DEFAULT_RINGBUF_BYTES (4 * 1024 * 1024)

#endif /* TCFLOW_H */
