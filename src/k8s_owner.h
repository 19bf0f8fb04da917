/* SPDX-License-Identifier: BSD-2-Clause */
/* Kubernetes owners of a cgroup: pod UID and container id parsed from the
 * kubepods cgroup path, names read from files the node already has (the
 * kubelet's log directories), with no API client. */
#ifndef TCFLOW_K8S_OWNER_H
#define TCFLOW_K8S_OWNER_H

#include <stddef.h>

#define K8S_UID_MAX 40		/* 36 characters of a UUID, plus NUL */
#define K8S_CONTAINER_ID_MAX 72	/* 64 hex digits, plus NUL */
#define K8S_NAME_MAX 254	/* a DNS subdomain (pod names), plus NUL */

enum k8s_runtime {
	K8S_RUNTIME_UNKNOWN = 0,	/* a bare id (cgroupfs driver) */
	K8S_RUNTIME_CONTAINERD,		/* cri-containerd-<id>.scope */
	K8S_RUNTIME_CRIO,		/* crio-<id>.scope */
	K8S_RUNTIME_DOCKER,		/* docker-<id>.scope */
};

enum k8s_qos { K8S_QOS_GUARANTEED = 0, K8S_QOS_BURSTABLE, K8S_QOS_BESTEFFORT };

struct k8s_cgroup {
	char pod_uid[K8S_UID_MAX];	/* dashes restored: as the API has it */
	char container_id[K8S_CONTAINER_ID_MAX];	/* "": the pod's own cgroup */
	enum k8s_runtime runtime;
	enum k8s_qos qos;
};

/* Parses a cgroup path (relative to the cgroup2 root, any prefix before the
 * kubepods part allowed) of either cgroup driver:
 *   systemd:  /kubepods.slice/kubepods-burstable.slice/
 *             kubepods-burstable-pod<uid, _ for ->.slice/cri-containerd-<id>.scope
 *   cgroupfs: /kubepods/burstable/pod<uid>/<id>
 * Cgroups below the container's (crun's "container" leaf) belong to it.
 * Returns 1 and fills out for a pod's cgroup, 0 for any other path. */
int k8s_parse_cgroup(const char *path, struct k8s_cgroup *out);
const char *k8s_runtime_name(enum k8s_runtime rt);
const char *k8s_qos_name(enum k8s_qos qos);

struct k8s_names {
	char namespace[K8S_NAME_MAX];
	char pod[K8S_NAME_MAX];
	char container[K8S_NAME_MAX];	/* "" when not known */
};

struct k8s_owner;

/* A resolver reading <root>/var/log/pods/<namespace>_<pod>_<uid>/ and the
 * kubelet's <root>/var/log/containers/<pod>_<namespace>_<container>-<id>.log
 * links. root is "/" on a node, the host's root where a DaemonSet mounts
 * it, or a fixture tree. A lookup that misses reads the directories again,
 * at most once every min_scan_ms. NULL with errno set on failure. */
struct k8s_owner *k8s_owner_new(const char *root, unsigned int min_scan_ms);
void k8s_owner_free(struct k8s_owner *ko);

/* Parses and looks up a cgroup path: -ENOENT also for non-pod paths. */
int k8s_owner_lookup_path(struct k8s_owner *ko, const char *cgroup_path,
			  struct k8s_names *out);

#endif
