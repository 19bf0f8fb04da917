// SPDX-License-Identifier: BSD-2-Clause
/* How to resolve cgroup ids to paths: times a full walk of the cgroup2 tree
 * against one open_by_handle_at() per id (the kernfs file handle of a
 * cgroup is its 8-byte id), both through cgroup_paths, and a cached
 * lookup. Makes N cgroups below the cgroup2 mount, removes them after.
 * Usage (root): bench_cgroup N */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_paths.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, fails = 0, walked;
	struct cgroup_paths_stats stats;
	char root[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 32], out[PATH_MAX];
	uint64_t *ids;
	struct cgroup_paths *cp;
	double t0, walk_s, handle_s, hit_s;
	struct stat st;

	if (n <= 0 || !(ids = calloc(n, sizeof(*ids))))
		return 2;
	if (cgroup2_find_mount("/proc/self/mountinfo", root, sizeof(root))) {
		fprintf(stderr, "bench_cgroup: no cgroup2 mount\n");
		return 77;
	}
	if (snprintf(dir, sizeof(dir), "%s/tcflow-bench-%d", root, (int)getpid()) >=
	    (int)sizeof(dir) || mkdir(dir, 0755)) {
		fprintf(stderr, "bench_cgroup: mkdir %s: %s\n", dir, strerror(errno));
		return 77;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/s%d.service", dir, i);
		if (mkdir(path, 0755) || stat(path, &st))
			return 1;
		ids[i] = st.st_ino;
	}

	cp = cgroup_paths_new(root, 0, CGROUP_PATHS_NO_HANDLES);
	t0 = now_s();
	walked = cgroup_paths_refresh(cp);
	walk_s = now_s() - t0;
	t0 = now_s();
	for (int i = 0; i < n; i++)
		fails += cgroup_paths_lookup(cp, ids[i], out, sizeof(out)) != CGROUP_FOUND;
	hit_s = now_s() - t0;

	/* A fresh resolver: every id a miss, opened by handle. */
	cgroup_paths_free(cp);
	cp = cgroup_paths_new(root, 0, 0);
	t0 = now_s();
	for (int i = 0; i < n; i++)
		fails += cgroup_paths_lookup(cp, ids[i], out, sizeof(out)) != CGROUP_FOUND;
	handle_s = now_s() - t0;
	cgroup_paths_stats(cp, &stats);
	fails += stats.walks != 0 || stats.handle_opens != (uint64_t)n;

	printf("%7d ids (%7d cgroups walked)  walk %8.2f ms (%5.2f us/cgroup)  "
	       "open_by_handle_at %8.2f ms (%5.2f us/id)  cached %6.1f ns/id  failed %d\n",
	       n, walked, walk_s * 1e3, walk_s * 1e6 / n, handle_s * 1e3,
	       handle_s * 1e6 / n, hit_s * 1e9 / n, fails);

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/s%d.service", dir, i);
		rmdir(path);
	}
	rmdir(dir);
	cgroup_paths_free(cp);
	free(ids);
	return fails ? 1 : 0;
}
