/* SPDX-License-Identifier: BSD-2-Clause */
/* One clsact hook at a time with libbpf's TC API: what sits in our slot
 * (handle and priority), attaching, and taking back exactly ours. */
#ifndef TCFLOW_TC_ATTACH_H
#define TCFLOW_TC_ATTACH_H

#include <net/if.h>
#include <stdint.h>

struct tc_slot {
	uint32_t priority;
	uint32_t handle;
};

enum tc_holder {
	TC_FREE,	/* nothing in our slot */
	TC_MINE,	/* our program: this process attached it */
	TC_STALE,	/* a tcflow program whose exporter is gone */
	TC_LIVE,	/* a tcflow program of another live exporter */
	TC_OTHER,	/* another tool's program */
};

struct tc_probe {
	enum tc_holder holder;
	uint32_t prog_id;
	int owner_pid;		/* TC_LIVE: 0 when not visible from here */
	char prog_name[16];
};

extern const char *const tc_dir_names[2];	/* "ingress", "egress" */

/* What sits in our slot of ifindex's hook dir (0 ingress, 1 egress):
 * 0, or a negative errno when the kernel could not be asked. */
int tc_probe(const struct tc_slot *slot, int ifindex, int dir, uint32_t my_prog_id,
	     struct tc_probe *out);
/* Creates the clsact qdisc when missing and attaches prog_fd in our slot,
 * replacing what is there when replace is set: 0 or a negative errno. */
int tc_attach_dir(const struct tc_slot *slot, int ifindex, int dir, int prog_fd, int replace);
/* Detaches our slot's filter if it is still prog_id: 0 when it was
 * detached, 1 when it was not ours (left alone), or a negative errno. */
int tc_detach_dir(const struct tc_slot *slot, int ifindex, int dir, uint32_t prog_id);
/* Whether prog_id sits in our slot now: 1, 0, or a negative errno
 * (-ENODEV: no such interface). */
int tc_attached(const struct tc_slot *slot, int ifindex, int dir, uint32_t prog_id);
/* tc_attached for many hooks at once over one netlink socket, requests
 * pipelined: out[i][dir] is 1 when prog_ids[dir] sits in our slot of
 * ifindexes[i]'s dir hook, else 0. 0, or -1 when netlink failed. */
int tc_attached_many(const struct tc_slot *slot, const uint32_t prog_ids[2],
		     const uint32_t *ifindexes, size_t n, uint8_t (*out)[2]);

#endif
