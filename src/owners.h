/* The owner labels of a cgroup id, in one call: the cgroup path and, when
 * asked for, the Kubernetes namespace, pod and container. Composes
 * cgroup_paths and k8s_owner for the label code. */
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
	 * kubelet's directories caused by misses. */
	unsigned int refresh_ms;
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
/* The cgroup2 mount in use. */
const char *owners_cgroup_root(const struct owners *o);

#endif
