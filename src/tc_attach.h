/* Attaching the programs to clsact hooks with libbpf's TC API, and taking
 * back exactly what we attached. */
#ifndef TCFLOW_TC_ATTACH_H
#define TCFLOW_TC_ATTACH_H

#include <net/if.h>
#include <stdint.h>
#include "flags.h"

struct tcflow;

struct tc_hook_state {
	char name[IF_NAMESIZE];
	int ifindex;
	uint32_t prog_id[2];	/* per direction; 0 while not attached */
};

struct tc_set {
	struct tc_hook_state hooks[MAX_INTERFACES];
	int n;
	uint32_t priority;
	uint32_t handle;
};

/* Attaches ingress and egress on every interface of cfg. On failure it
 * logs one line naming the cause, detaches what it attached, returns -1. */
int tc_attach_all(struct tc_set *set, struct tcflow *skel, const struct config *cfg);
/* Detaches the filters this process attached and nothing else. */
void tc_detach_all(struct tc_set *set);

#endif
