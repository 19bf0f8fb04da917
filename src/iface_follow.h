/* SPDX-License-Identifier: BSD-2-Clause */
/* Following the interfaces: a thread subscribed to rtnetlink's link and
 * tc groups attaches our programs to every selected interface as it
 * appears, forgets it when it goes, relabels on a rename and attaches
 * again when someone removes our filter or the clsact qdisc. */
#ifndef TCFLOW_IFACE_FOLLOW_H
#define TCFLOW_IFACE_FOLLOW_H

#include <net/if.h>
#include <stdint.h>
#include <stddef.h>

#include "iface_select.h"

struct tcflow;
struct iface_follow;

struct iface_follow_opts {
	const struct iface_select *sel;
	uint32_t max_count;	/* interfaces counted at once */
	uint32_t priority, handle;	/* our tc slot */
	struct tcflow *skel;
};

enum iface_event { IFACE_EV_ATTACH, IFACE_EV_DETACH, IFACE_EV_REATTACH, IFACE_EV_MAX };

/* One hook of a selected interface, as the kernel has it now. */
struct iface_health {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	uint8_t attached[2];	/* ingress, egress */
};

/* Attaches to every selected interface there is. On failure (an
 * --interface that does not exist, an interface a live exporter owns, an
 * attach the kernel refuses) it logs one error line, takes back what it
 * attached and returns NULL. */
struct iface_follow *iface_follow_start(const struct iface_follow_opts *o);
/* Then follows the interfaces from a thread of its own: started after
 * privileges are dropped, it keeps only what the caller kept. 0 or -1. */
int iface_follow_run(struct iface_follow *f);
/* Stops following and detaches exactly what is ours. NULL is fine. */
void iface_follow_stop(struct iface_follow *f);

/* What a scrape renders: tcflow_interface_attached and
 * tcflow_interface_attach_events_total (render.c). */
struct iface_health_view {
	struct iface_health *hooks;	/* malloc'd; the caller frees it */
	size_t n;
	uint64_t events[IFACE_EV_MAX];
};
int iface_follow_snapshot(struct iface_follow *f, struct iface_health_view *v);

#endif
