/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The owner of a packet: the cgroup id of the local socket it belongs to.
 * Egress: the packet's own socket (bpf_skb_cgroup_id). Ingress: the socket
 * a lookup of its addresses and ports finds in the interface's namespace.
 * TC programs may not call bpf_sk_cgroup_id, so the id is read from the
 * socket through the kernel's BTF: sk->sk_cgrp_data.cgroup->kn->id, the
 * same field that helper reads. On kernels with bpf_rdonly_cast (6.2) any
 * socket can be read; before, only TCP sockets and IPv6 UDP sockets have a
 * helper that gives their BTF type (bpf_skc_to_tcp_sock, _udp6_sock).
 *
 * Called only where owners are on (tcflow.bpf.c's cfg_owner, a load-time
 * constant): otherwise the verifier drops every instruction of this file
 * as dead code.
 */
#ifndef OWNER_BPF_H
#define OWNER_BPF_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcflow.h"

/* How a program reads a socket's cgroup: a compile-time argument, so that
 * the program that may not call bpf_rdonly_cast has no call to it. */
#define OWNER_SKC 0
#define OWNER_CAST 1

/* Only the fields we read; CO-RE finds their offsets in the running kernel. */
struct kernfs_node { __u64 id; } __attribute__((preserve_access_index));
struct cgroup { struct kernfs_node *kn; } __attribute__((preserve_access_index));
struct sock_cgroup_data { struct cgroup *cgroup; } __attribute__((preserve_access_index));
struct sock { struct sock_cgroup_data sk_cgrp_data; } __attribute__((preserve_access_index));

/* Weak: on a kernel without it the object still loads, without the one
 * program that calls it (bpf_loader.c chooses). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline __u64 sock_cgroup_cast(struct bpf_sock *sk)
{
	struct sock *s = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct sock));

	return s->sk_cgrp_data.cgroup->kn->id;
}

static __always_inline __u64 sock_cgroup_skc(struct bpf_sock *sk)
{
	struct sock *s = (struct sock *)bpf_skc_to_tcp_sock(sk);

	if (!s)
		s = (struct sock *)bpf_skc_to_udp6_sock(sk);
	return s ? s->sk_cgrp_data.cgroup->kn->id : 0;
}

/* The receiving socket of an ingress packet, by its 4-tuple. */
static __always_inline __u64 ingress_owner(struct __sk_buff *skb,
					   const struct flow_key *key, int how)
{
	struct bpf_sock_tuple t;
	struct bpf_sock *sk;
	__u64 id;

	if (key->protocol != IPPROTO_TCP && key->protocol != IPPROTO_UDP)
		return 0;
	__builtin_memset(&t, 0, sizeof(t));
	if (key->family == TCFLOW_FAM_IPV4) {
		__builtin_memcpy(&t.ipv4.saddr, key->src_addr, 4);
		__builtin_memcpy(&t.ipv4.daddr, key->dst_addr, 4);
		t.ipv4.sport = bpf_htons(key->src_port);
		t.ipv4.dport = bpf_htons(key->dst_port);
		sk = key->protocol == IPPROTO_TCP ?
			bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0) :
			bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	} else {
		__builtin_memcpy(t.ipv6.saddr, key->src_addr, 16);
		__builtin_memcpy(t.ipv6.daddr, key->dst_addr, 16);
		t.ipv6.sport = bpf_htons(key->src_port);
		t.ipv6.dport = bpf_htons(key->dst_port);
		sk = key->protocol == IPPROTO_TCP ?
			bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0) :
			bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
	}
	if (!sk)
		return 0;
	id = how == OWNER_CAST ? sock_cgroup_cast(sk) : sock_cgroup_skc(sk);
	bpf_sk_release(sk);
	return id;
}

/* The owner of a packet, 0 when none is known. */
static __always_inline __u64 packet_owner(struct __sk_buff *skb, const struct flow_key *key,
					  int how)
{
	if (key->direction == TCFLOW_DIR_EGRESS)
		return bpf_skb_cgroup_id(skb);
	return ingress_owner(skb, key, how);
}

#endif /* OWNER_BPF_H */
