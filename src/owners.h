/* SPDX-License-Identifier: BSD-2-Clause */
/* The owner labels of a cgroup id, in one call: the cgroup path and, when
 * asked for, the Kubernetes namespace, pod and container. Composes
 * cgroup_paths and k8s_owner for the label code, and interns the label
 * values so that a series key holds one small number for all four. */
#ifndef TCFLOW_OWNERS_H
#define TCFLOW_OWNERS_H

#include <stdint.h>

#include "k8s_owner.h"

#define OWNER_PATH_MAX 1024	/* longer cgroup paths are cut */
#define OWNERS_ERR_LEN 512

struct owners_config {
	/* The cgroup2 mount; NULL: found in /proc/self/mountinfo. A
	 * DaemonSet in its own cgroup namespace names the host's mount. */
	const char *cgroup_root;
	/* Where the host's / is (for /var/log/pods); NULL: no Kubernetes
	 * names are looked up. */
	const char *host_root;
	/* Least time between two walks of the cgroup tree or reads of the
	 * kubelet's directories caused by misses, and between two attempts
	 * to complete the labels of an id that owners_intern() could not. */
	unsigned int refresh_ms;
	/* The labels kept (OWNER_L_*): owners_intern() tells ids apart by
	 * these only, so that series never differ by a label not shown. */
	unsigned int labels;
};

enum owner_label {
	OWNER_L_CGROUP = 1 << 0,
	OWNER_L_NAMESPACE = 1 << 1,
	OWNER_L_POD = 1 << 2,
	OWNER_L_CONTAINER = 1 << 3,
	OWNER_L_K8S = OWNER_L_NAMESPACE | OWNER_L_POD | OWNER_L_CONTAINER,
};

struct owner_labels {
	char cgroup[OWNER_PATH_MAX];	/* "" for id 0, "unknown", or a path */
	char namespace[K8S_NAME_MAX];	/* "" when not a pod's or not known */
	char pod[K8S_NAME_MAX];
	char container[K8S_NAME_MAX];
};

struct owners;

/* NULL with err set to a one-line reason (no cgroup2 mount, say). */
struct owners *owners_new(const struct owners_config *cfg, char err[OWNERS_ERR_LEN]);
void owners_free(struct owners *o);
/* Fills out for the cgroup id a flow carries. Thread-safe. */
void owners_lookup(struct owners *o, uint64_t cgroup_id, struct owner_labels *out);
/* The owner of a flow as one number: equal numbers, equal kept labels.
 * 0 is "no owner" (id 0: every label ""). Numbers stay valid until
 * owners_free. A hit costs one hash probe; an id whose labels were not all
 * known is looked up again after refresh_ms. */
uint32_t owners_intern(struct owners *o, uint64_t cgroup_id);

/* The kept label values of an interned owner ("" for labels not kept). */
struct owner_view {
	const char *cgroup, *namespace, *pod, *container;
};
void owners_get(struct owners *o, uint32_t owner, struct owner_view *out);
/* Exposition order of two interned owners: by cgroup, namespace, pod,
 * container. */
int owners_cmp(struct owners *o, uint32_t a, uint32_t b);

/* The cgroup2 mount in use. */
const char *owners_cgroup_root(const struct owners *o);

#endif
