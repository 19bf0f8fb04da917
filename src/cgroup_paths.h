/* SPDX-License-Identifier: BSD-2-Clause */
/* Cgroup ids to cgroup v2 paths, for the cgroup label.
 *
 * A cgroup's id (what bpf_skb_cgroup_id() and bpf_sk_cgroup_id() return) is
 * the inode number of its directory on the cgroup2 mount, on 64-bit kernels.
 * Paths are relative to the cgroup2 root: "/" is the root cgroup,
 * "/system.slice/nginx.service" a service. */
#ifndef TCFLOW_CGROUP_PATHS_H
#define TCFLOW_CGROUP_PATHS_H

#include <stddef.h>
#include <stdint.h>

/* The label value of an id that resolves to no path: removed before we
 * first saw it, or outside our cgroup namespace. Not a path (no leading
 * "/"), and one value for all such ids, so that they cost one series. */
#define CGROUP_PATH_UNKNOWN "unknown"

/* Where /proc/self/mountinfo says the cgroup2 hierarchy is mounted:
 * /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid one.
 * Writes the mount point into out. Returns 0, -ENOENT when there is no
 * cgroup2 mount, -ENAMETOOLONG when out is too small, or -errno when the
 * file cannot be read. */
int cgroup2_find_mount(const char *mountinfo, char *out, size_t size);

struct cgroup_paths;

/* Do not open cgroups by file handle (tests and benchmarks of the walk). */
#define CGROUP_PATHS_NO_HANDLES 1u

/* A resolver for the hierarchy mounted at root (tests pass a fixture tree).
 * On a cgroup2 mount, an id not in the cache is opened by its file handle
 * (open_by_handle_at(), needs CAP_DAC_READ_SEARCH); elsewhere, or without
 * that capability, a miss walks the whole tree again, at most once every
 * min_walk_ms milliseconds. NULL with errno set on failure. */
struct cgroup_paths *cgroup_paths_new(const char *root, unsigned int min_walk_ms,
				      unsigned int flags);
void cgroup_paths_free(struct cgroup_paths *cp);

enum cgroup_lookup {
	CGROUP_FOUND = 0,	/* out holds the path */
	CGROUP_NONE,		/* id 0, no owner: out is "" */
	CGROUP_UNKNOWN,		/* out is CGROUP_PATH_UNKNOWN */
};

/* Writes the path of id into out (truncated to size - 1 bytes). An id whose
 * cgroup has been removed since we resolved it keeps its last path: flows
 * of a stopped service stay under the service's name. Thread-safe. */
enum cgroup_lookup cgroup_paths_lookup(struct cgroup_paths *cp, uint64_t id,
				       char *out, size_t size);

/* Walks the tree now, whatever the rate limit says. Returns the number of
 * cgroups found, or -errno when the root cannot be read. */
int cgroup_paths_refresh(struct cgroup_paths *cp);

struct cgroup_paths_stats {
	uint64_t walks;		/* full walks of the tree */
	uint64_t misses;	/* lookups the cache could not answer */
	uint64_t handle_opens;	/* ids looked up by file handle */
	uint32_t entries;	/* ids with a path, removed ones included */
};
void cgroup_paths_stats(struct cgroup_paths *cp, struct cgroup_paths_stats *st);

#endif
