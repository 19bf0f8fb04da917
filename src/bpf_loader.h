/* SPDX-License-Identifier: BSD-2-Clause */
/* The BPF object's lifecycle: open the skeleton, configure, load. */
#ifndef TCFLOW_BPF_LOADER_H
#define TCFLOW_BPF_LOADER_H

#include <stdint.h>

struct tcflow;

struct loader_opts {
	uint32_t flow_max_entries;
	uint32_t n_interfaces;	/* sizes the interface table exactly */
	int replay;		/* capture replay: see cfg_replay; no events */
	uint32_t events_sample;
	uint32_t events_ring_size;
	int loaded_reads;	/* tests: never read headers in place (cfg_loaded_reads) */
	int owners;		/* the owner's cgroup id in the flow key */
	/* Tests: read socket cgroups as on kernels before 6.2 (TCP and IPv6
	 * UDP sockets only), even where bpf_rdonly_cast is there. */
	int owners_compat;
};

/* Returns the loaded skeleton, or NULL after logging one line naming why. */
struct tcflow *bpf_loader_load(const struct loader_opts *opts);
/* Gives the interface's hooks (both directions, or ingress only) their
 * slots of the interface totals, so they show (at 0) before any packet and
 * never need a slot the kernel could not find. Counts the programs made
 * for the interface before this call are kept. 0 or -errno (-ENOSPC: more
 * hooks than the table was sized for). */
int bpf_loader_add_iface(struct tcflow *skel, uint32_t ifindex, int ingress_only);
/* Frees the interface's slots and zeroes its totals: call it once its
 * hooks are gone, so that a reused ifindex starts from 0. */
int bpf_loader_remove_iface(struct tcflow *skel, uint32_t ifindex);
void bpf_loader_destroy(struct tcflow *skel);
/* The ingress program the loader chose (it depends on owners and the
 * kernel), and whether the flow key carries owners. */
struct bpf_program *bpf_loader_ingress(struct tcflow *skel);
int bpf_loader_owners(struct tcflow *skel);

#endif
