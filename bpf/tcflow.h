/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
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
	__u16 src_port;		/* host order, 0 where the spec says so */
	__u16 dst_port;
	__u8 src_addr[16];	/* network order */
	__u8 dst_addr[16];
};

struct flow_value {
	__u64 packets;
	__u64 bytes;
};

struct iface_key {
	__u32 ifindex;
	__u8 direction;
	__u8 pad[3];
};

/* Per-CPU value: user space sums it over CPUs. */
struct iface_value {
	__u64 packets[TCFLOW_FAM_MAX];
	__u64 bytes[TCFLOW_FAM_MAX];
	__u64 malformed;
};

/* Slots of the per-CPU loss counters: every update that did not happen. */
enum tcflow_loss {
	TCFLOW_LOSS_FLOW_UPDATE = 0,	/* flow table insert failed */
	TCFLOW_LOSS_IFACE_UPDATE = 1,	/* interface table had no room */
	TCFLOW_LOSS_MAX = 2,
};

/*
 * In capture replay the record's captured length travels in the test run's
 * __sk_buff.cb[TCFLOW_CB_CAPLEN]: the kernel pads runts to 14 bytes and
 * truncates large frames, so skb->len is not the record's length there.
 */
#define TCFLOW_CB_CAPLEN 0

#define TCFLOW_DEFAULT_FLOW_ENTRIES 262144

#endif /* TCFLOW_H */
