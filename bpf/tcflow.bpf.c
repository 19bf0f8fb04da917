// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * tcflow: clsact ingress and egress programs that count every frame per
 * 5-tuple flow and per interface, as doc/flow-key.md says. They only
 * observe: the verdict is always TC_ACT_UNSPEC so that the next filter on
 * the hook (a CNI's, say) still runs.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "tcflow.h"
#include "parse.bpf.h"
#include "owner.bpf.h"
#include "events.bpf.h"

/* Settings, fixed by user space before load (bpf_loader.c): the verifier
 * sees them as constants and drops the code of the features left off. */
/* Capture replay through BPF_PROG_TEST_RUN: the record's captured length
 * is in the skb's cb, and it may end before the data does. */
const volatile __u8 cfg_replay = 0;
/* Every header read through bpf_skb_load_bytes() (tests). */
const volatile __u8 cfg_loaded_reads = 0;
/* Owners on: the flow key carries the local socket's cgroup. */
const volatile __u8 cfg_owner = 0;
/* One event per this many counted packets per CPU, 0: no events. */
const volatile __u32 cfg_events_sample = TCFLOW_DEFAULT_EVENTS_SAMPLE;
/* Ring buffer bytes pending before user space is woken. */
const volatile __u64 cfg_wakeup_bytes = TCFLOW_DEFAULT_RINGBUF_BYTES / 8;
/* Home slots of iface_stats are 0..cfg_iface_mask (a power of 2 less 1). */
const volatile __u32 cfg_iface_mask = 0;
/* The kernel's tick in ns, TICK_NSEC: clock_getres(CLOCK_MONOTONIC_COARSE). */
const volatile __u64 cfg_tick_ns = 0;

/* Set by user space after load (bpf_loader.c): CLOCK_MONOTONIC_COARSE less
 * jiffies * cfg_tick_ns, from one run of tcflow_clock between two reads of
 * that clock. */
__u64 clock_offset_ns = 0;
__u64 clock_jiffies = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCFLOW_DEFAULT_FLOW_ENTRIES);
	/* Sizes, not BTF types: the loader shortens the key when owners are
	 * off, and the kernel refuses a map whose BTF key type has another
	 * size (libbpf would then retry without BTF, noisily). */
	__uint(key_size, sizeof(struct flow_key));
	__uint(value_size, sizeof(struct flow_value));
} flows SEC(".maps");

/* Sized by user space: the home slots, then one spare slot per hook. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct iface_value);
} iface_stats SEC(".maps");

/* The spare slot of every hook whose home slot another hook has. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);
	__type(key, struct iface_key);
	__type(value, __u32);
} iface_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCFLOW_LOSS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} losses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TCFLOW_DEFAULT_RINGBUF_BYTES);
} events SEC(".maps");

/* Flows since this CPU's last event, whatever their hook. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} event_phase SEC(".maps");

static __always_inline void count_loss(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&losses, &slot);

	if (n)
		*n += 1;
}

/*
 * The slot of the hook in this CPU's copy: its home slot in nearly every
 * case, a spare one where user space placed it. A hook user space has not
 * announced (replay, or a packet before the announcement) takes its home
 * slot in this CPU's copy when it is free; user space keeps such counts
 * when it announces the hook later.
 */
static __always_inline struct iface_value *iface_entry(__u32 ifindex, __u8 dir)
{
	__u64 tag = tcflow_iface_tag(ifindex, dir);
	__u32 slot = tcflow_iface_home(ifindex, dir, cfg_iface_mask), *spare;
	struct iface_key key = { .ifindex = ifindex, .direction = dir };
	struct iface_value *v = bpf_map_lookup_elem(&iface_stats, &slot);

	if (v && v->tag == tag)
		return v;
	if (v && !v->tag) {
		v->tag = tag;
		return v;
	}
	spare = bpf_map_lookup_elem(&iface_index, &key);
	if (spare) {
		slot = *spare;
		v = bpf_map_lookup_elem(&iface_stats, &slot);
		if (v && v->tag == tag)
			return v;
	}
	count_loss(TCFLOW_LOSS_IFACE_UPDATE);
	return NULL;
}

static __always_inline void count_iface(struct iface_value *v, int verdict,
					__u32 fam, __u64 segs, __u64 len)
{
	if (!v || fam >= TCFLOW_FAM_MAX)
		return;
	v->packets[fam] += segs;
	v->bytes[fam] += len;
	if (verdict == PARSE_MALFORMED)
		v->malformed += segs;
}

static __always_inline void count_flow(const struct flow_key *key, __u64 segs, __u64 len)
{
	/* CLOCK_MONOTONIC_COARSE, to a tick: idle expiry needs seconds, not
	 * nanoseconds. bpf_jiffies64() is a plain load once the verifier has
	 * inlined it, where even bpf_ktime_get_coarse_ns() is a helper call,
	 * and bpf_ktime_get_ns() cost a fifth of the program. */
	__u64 now = bpf_jiffies64() * cfg_tick_ns + clock_offset_ns;
	struct flow_value *v = bpf_map_lookup_elem(&flows, key);
	long err;

	if (!v) {
		struct flow_value init = { .packets = segs, .bytes = len, .last_seen_ns = now };

		err = bpf_map_update_elem(&flows, key, &init, BPF_NOEXIST);
		if (!err) {
			count_loss(TCFLOW_STAT_FLOW_INSERTS);
			return;
		}
		/* Another CPU inserted the same flow first: add to its entry. */
		v = err == -17 /* EEXIST */ ? bpf_map_lookup_elem(&flows, key) : NULL;
		if (!v) {
			count_loss(TCFLOW_LOSS_FLOW_UPDATE);
			return;
		}
	}
	__sync_fetch_and_add(&v->packets, segs);
	__sync_fetch_and_add(&v->bytes, len);
	/* A plain store: any recent time will do for idle expiry. */
	v->last_seen_ns = now;
}

/* Emits the event of a counted packet when its turn has come. A full ring
 * buffer loses the event, and the loss is counted. */
static __always_inline void emit_event(struct __sk_buff *skb, const struct flow_key *key,
				       __u64 segs, __u64 len, const int replay)
{
	__u32 zero = 0, sample = cfg_events_sample;
	__u64 cgroup = 0;

	if (!sample || !event_due(bpf_map_lookup_elem(&event_phase, &zero), sample, segs))
		return;
	/* With owners on, the key has it in both directions; without, only
	 * egress of a local socket has an owner the kernel tells for free. */
	if (cfg_owner)
		cgroup = key->cgroup_id;
	else if (key->direction == TCFLOW_DIR_EGRESS && !replay)
		cgroup = bpf_skb_cgroup_id(skb);
	if (send_event(&events, cfg_wakeup_bytes, key, cgroup, len))
		count_loss(TCFLOW_LOSS_EVENT_RESERVE);
}

/* One packet, live or (replay) a capture record. replay is a constant in
 * each of handle()'s two copies, so the live copy tests cfg_replay once
 * and no more. */
static __always_inline void count_packet(struct __sk_buff *skb, __u8 dir, int owner_how,
					 const int replay)
{
	struct flow_key key;
	__u64 len = skb->len, segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	__u32 limit = skb->len;
	int verdict;

	if (replay) {
		/* Every record is one packet of its captured length. */
		len = skb->cb[TCFLOW_CB_CAPLEN];
		segs = 1;
		limit = len < limit ? len : limit;
	}
	__builtin_memset(&key, 0, sizeof(key));
	key.ifindex = replay ? 0 : skb->ifindex;
	key.direction = dir;
	verdict = parse_frame(skb, limit, &key, replay, cfg_loaded_reads);
	if (verdict == PARSE_FLOW) {
		if (cfg_owner && !replay)
			key.cgroup_id = packet_owner(skb, &key, owner_how);
		count_flow(&key, segs, len);
		emit_event(skb, &key, segs, len, replay);
	}
	/* After the flow's atomic adds, not before: on x86 a locked add is a
	 * full barrier that waits for every earlier load and store, the
	 * slot's lookup and read-modify-writes included; after it they
	 * overlap the return (2-5 % of the program on IPv4, BENCHMARKS.md). */
	count_iface(iface_entry(key.ifindex, dir), verdict, key.family, segs, len);
}

static __always_inline int handle(struct __sk_buff *skb, __u8 dir, int owner_how)
{
	if (cfg_replay)
		count_packet(skb, dir, owner_how, 1);
	else
		count_packet(skb, dir, owner_how, 0);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tcflow_ingress(struct __sk_buff *skb)
{
	return handle(skb, TCFLOW_DIR_INGRESS, OWNER_SKC);
}

/* The ingress program where owners are on and the kernel has
 * bpf_rdonly_cast (6.2): it reads the cgroup of every socket, where
 * tcflow_ingress can read only TCP and IPv6 UDP sockets'. */
SEC("tc")
int tcflow_in_owner(struct __sk_buff *skb)
{
	return handle(skb, TCFLOW_DIR_INGRESS, OWNER_CAST);
}

SEC("tc")
int tcflow_egress(struct __sk_buff *skb)
{
	return handle(skb, TCFLOW_DIR_EGRESS, OWNER_SKC);
}

/* Never attached: user space runs it once to pair jiffies with its clock. */
SEC("tc")
int tcflow_clock(struct __sk_buff *skb)
{
	clock_jiffies = bpf_jiffies64();
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
