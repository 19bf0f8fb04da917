// SPDX-License-Identifier: BSD-2-Clause
/* Who owns a flow: cgroup ids to paths (fixture trees and the real cgroup2
 * mount) and Kubernetes names from kubepods paths and the kubelet's log
 * directories (fixture trees the tests build in a temporary directory).
 *
 * The live cases need root and a cgroup2 mount; without them the fixture
 * cases still run and the test exits 77 (skip) when they pass. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_paths.h"
#include "k8s_owner.h"
#include "owners.h"

static char tmp[PATH_MAX];

/* snprintf into an array that must hold the whole text. */
#define FMT(buf, ...) \
	ck_assert_msg(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf), \
		      "path too long")

/* mkdir -p of root/rel; returns rel's inode number. */
static uint64_t mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX], *p;
	struct stat st;

	FMT(path, "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s",
		      path, strerror(errno));
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_ino;
}

static void touch(const char *root, const char *rel)
{
	char path[PATH_MAX];
	int fd;

	FMT(path, "%s/%s", root, rel);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	close(fd);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Failed assertions end a forked test before its teardown: everything a
 * test makes lives below base (and the live cgroup), which main removes. */
static char base[PATH_MAX];

static void setup_tmp(void)
{
	FMT(tmp, "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) >= (int)sizeof(cmd) || system(cmd))
		fprintf(stderr, "check_owners: could not remove %s\n", dir);
}

/* ---- mountinfo ------------------------------------------------------------ */

static const char *HYBRID =
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime shared:9 - cgroup cgroup rw,name=systemd\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw\n";
static const char *PURE_V2 =
	"24 29 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"28 24 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

static int find_in(const char *text, char *out, size_t size)
{
	char path[PATH_MAX];

	FMT(path, "%s/mountinfo", tmp);
	write_file(path, text);
	return cgroup2_find_mount(path, out, size);
}

START_TEST(mount_hybrid_host)
{
	char out[PATH_MAX];

	ck_assert_int_eq(find_in(HYBRID, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/sys/fs/cgroup/unified");
}
END_TEST

START_TEST(mount_pure_v2)
{
	char out[PATH_MAX];

	ck_assert_int_eq(find_in(PURE_V2, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/sys/fs/cgroup");
}
END_TEST

START_TEST(mount_none_is_enoent)
{
	char out[PATH_MAX] = "untouched", path[PATH_MAX];

	ck_assert_int_eq(find_in("31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n",
				 out, sizeof(out)), -ENOENT);
	ck_assert_str_eq(out, "untouched");
	FMT(path, "%s/no-such-file", tmp);
	ck_assert_int_eq(cgroup2_find_mount(path, out, sizeof(out)), -ENOENT);
}
END_TEST

/* A container's bind mount of its own subtree comes first; the whole
 * hierarchy's mount wins, and mountinfo's octal escapes are undone. */
START_TEST(mount_prefers_whole_hierarchy)
{
	char out[PATH_MAX];

	ck_assert_int_eq(find_in(
		"50 40 0:37 /kubepods/pod1 /host/cg rw - cgroup2 cgroup2 rw\n"
		"51 40 0:37 / /host/sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n",
		out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/host/sys/fs/my cgroup");
	ck_assert_int_eq(find_in("51 40 0:37 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
				 out, 5), -ENAMETOOLONG);
}
END_TEST

/* ---- ids to paths in a fixture tree ---------------------------------------- */

START_TEST(paths_of_fixture_tree)
{
	uint64_t nginx = mkdirs(tmp, "system.slice/nginx.service");
	uint64_t user = mkdirs(tmp, "user.slice/user-1000.slice/session-2.scope");
	struct cgroup_paths *cp = cgroup_paths_new(tmp, 0, 0);
	struct cgroup_paths_stats st;
	struct stat root;
	char out[256];

	ck_assert_ptr_nonnull(cp);
	ck_assert_int_eq(stat(tmp, &root), 0);
	ck_assert_int_eq(cgroup_paths_lookup(cp, nginx, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, "/system.slice/nginx.service");
	ck_assert_int_eq(cgroup_paths_lookup(cp, user, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, "/user.slice/user-1000.slice/session-2.scope");
	ck_assert_int_eq(cgroup_paths_lookup(cp, root.st_ino, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(cgroup_paths_lookup(cp, 0, out, sizeof(out)), CGROUP_NONE);
	ck_assert_str_eq(out, "");
	/* One walk answered all of them. */
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.walks, 1);
	ck_assert_uint_eq(st.entries, 6);	/* root, 2 slices, service, user, scope */
	cgroup_paths_free(cp);
}
END_TEST

START_TEST(paths_truncate_to_buffer)
{
	uint64_t id = mkdirs(tmp, "system.slice");
	struct cgroup_paths *cp = cgroup_paths_new(tmp, 0, 0);
	char out[6];

	ck_assert_int_eq(cgroup_paths_lookup(cp, id, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, "/syst");
	cgroup_paths_free(cp);
}
END_TEST

START_TEST(unknown_id_has_documented_value)
{
	struct cgroup_paths *cp = cgroup_paths_new(tmp, 0, 0);
	struct stat root;
	char out[64];

	ck_assert_int_eq(stat(tmp, &root), 0);
	/* An inode number no directory of the tree has. */
	ck_assert_int_eq(cgroup_paths_lookup(cp, root.st_ino + 0x7fffffffULL, out,
					     sizeof(out)), CGROUP_UNKNOWN);
	ck_assert_str_eq(out, CGROUP_PATH_UNKNOWN);
	ck_assert_str_eq(out, "unknown");
	cgroup_paths_free(cp);
}
END_TEST

START_TEST(miss_walks_again)
{
	struct cgroup_paths *cp = cgroup_paths_new(tmp, 0, 0);
	struct cgroup_paths_stats st;
	uint64_t later;
	char out[64];

	ck_assert_int_eq(cgroup_paths_refresh(cp), 1);	/* the root alone */
	later = mkdirs(tmp, "system.slice/late.service");
	ck_assert_int_eq(cgroup_paths_lookup(cp, later, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, "/system.slice/late.service");
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.walks, 2);
	ck_assert_uint_eq(st.misses, 1);
	/* A hit walks no more. */
	ck_assert_int_eq(cgroup_paths_lookup(cp, later, out, sizeof(out)), CGROUP_FOUND);
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.walks, 2);
	cgroup_paths_free(cp);
}
END_TEST

START_TEST(misses_are_rate_limited)
{
	struct cgroup_paths *cp = cgroup_paths_new(tmp, 3600 * 1000, 0);
	struct cgroup_paths_stats st;
	uint64_t later;
	char out[64];

	ck_assert_int_eq(cgroup_paths_refresh(cp), 1);
	later = mkdirs(tmp, "late.service");
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(cgroup_paths_lookup(cp, later, out, sizeof(out)),
				 CGROUP_UNKNOWN);
		ck_assert_str_eq(out, "unknown");
	}
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.walks, 1);
	ck_assert_uint_eq(st.misses, 3);
	/* An explicit refresh is not limited. */
	ck_assert_int_eq(cgroup_paths_refresh(cp), 2);
	ck_assert_int_eq(cgroup_paths_lookup(cp, later, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, "/late.service");
	cgroup_paths_free(cp);
}
END_TEST

START_TEST(removed_cgroup_keeps_its_path)
{
	uint64_t id = mkdirs(tmp, "system.slice/gone.service");
	struct cgroup_paths *cp = cgroup_paths_new(tmp, 0, 0);
	struct cgroup_paths_stats st;
	char path[PATH_MAX], out[64];

	ck_assert_int_eq(cgroup_paths_lookup(cp, id, out, sizeof(out)), CGROUP_FOUND);
	FMT(path, "%s/system.slice/gone.service", tmp);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(cgroup_paths_refresh(cp), 2);	/* root, system.slice */
	ck_assert_int_eq(cgroup_paths_lookup(cp, id, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, "/system.slice/gone.service");
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.entries, 3);
	cgroup_paths_free(cp);
}
END_TEST

START_TEST(unreadable_root_fails_refresh)
{
	char path[PATH_MAX], out[64];
	struct cgroup_paths *cp;

	FMT(path, "%s/absent", tmp);
	cp = cgroup_paths_new(path, 0, 0);
	ck_assert_ptr_nonnull(cp);
	ck_assert_int_eq(cgroup_paths_refresh(cp), -ENOENT);
	ck_assert_int_eq(cgroup_paths_lookup(cp, 12345, out, sizeof(out)), CGROUP_UNKNOWN);
	ck_assert_str_eq(out, "unknown");
	cgroup_paths_free(cp);
}
END_TEST

/* ---- the real cgroup2 mount ------------------------------------------------- */

static char live_root[PATH_MAX];	/* the cgroup2 mount, "" when not usable */
static char live_dir[PATH_MAX];		/* our test cgroup below it */

static int live_usable(void)
{
	char probe[PATH_MAX];

	if (geteuid() != 0) {
		fprintf(stderr, "check_owners: SKIP live cases: not root\n");
		return 0;
	}
	if (cgroup2_find_mount("/proc/self/mountinfo", live_root, sizeof(live_root))) {
		fprintf(stderr, "check_owners: SKIP live cases: no cgroup2 mount\n");
		return 0;
	}
	if (snprintf(probe, sizeof(probe), "%s/tcflow-probe-%d", live_root,
		     (int)getpid()) >= (int)sizeof(probe) || mkdir(probe, 0755)) {
		fprintf(stderr, "check_owners: SKIP live cases: mkdir %s: %s\n", probe,
			strerror(errno));
		return 0;
	}
	rmdir(probe);
	return 1;
}

static void remove_live(void);

static void setup_live(void)
{
	remove_live();	/* what a failed test before left */
	ck_assert_msg(mkdir(live_dir, 0755) == 0, "mkdir %s: %s", live_dir, strerror(errno));
}

/* cgroups go with rmdir, leaves first: the tests make a, b and a/c. */
static void remove_live(void)
{
	char sub[PATH_MAX];

	for (const char **n = (const char *[]){ "a/c", "a", "b", NULL }; *n; n++) {
		if (snprintf(sub, sizeof(sub), "%s/%s", live_dir, *n) < (int)sizeof(sub))
			rmdir(sub);
	}
	if (rmdir(live_dir) && errno != ENOENT)
		fprintf(stderr, "check_owners: rmdir %s: %s\n", live_dir, strerror(errno));
}

/* By file handle (_i = 0) and by a walk of the tree (_i = 1). */
START_TEST(live_cgroup_resolves)
{
	unsigned int flags = _i ? CGROUP_PATHS_NO_HANDLES : 0;
	struct cgroup_paths *cp = cgroup_paths_new(live_root, 0, flags);
	char want[PATH_MAX], out[PATH_MAX];
	uint64_t id = mkdirs(live_dir, "a/c");
	struct cgroup_paths_stats st;

	ck_assert_ptr_nonnull(cp);
	FMT(want, "%s/a/c", live_dir + strlen(live_root));
	ck_assert_int_eq(cgroup_paths_lookup(cp, id, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, want);
	/* The root cgroup's id is the mount's inode: "/". */
	ck_assert_int_eq(cgroup_paths_lookup(cp, 1, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, "/");
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.walks, _i ? 1 : 0);
	ck_assert_uint_eq(st.handle_opens, _i ? 0 : 2);
	cgroup_paths_free(cp);
}
END_TEST

/* Sets or clears one capability in our effective set. */
static int cap_effective(int cap, int on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[cap / 32].effective |= 1u << (cap % 32);
	else
		d[cap / 32].effective &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* A DaemonSet without CAP_DAC_READ_SEARCH: handles fail, the walk answers. */
START_TEST(live_without_handle_capability)
{
	struct cgroup_paths *cp = cgroup_paths_new(live_root, 0, 0);
	char want[PATH_MAX], out[PATH_MAX];
	uint64_t id = mkdirs(live_dir, "a");
	struct cgroup_paths_stats st;
	enum cgroup_lookup r;

	FMT(want, "%s/a", live_dir + strlen(live_root));
	ck_assert_int_eq(cap_effective(CAP_DAC_READ_SEARCH, 0), 0);
	r = cgroup_paths_lookup(cp, id, out, sizeof(out));
	ck_assert_int_eq(cap_effective(CAP_DAC_READ_SEARCH, 1), 0);
	ck_assert_int_eq(r, CGROUP_FOUND);
	ck_assert_str_eq(out, want);
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.handle_opens, 1);
	ck_assert_uint_eq(st.walks, 1);
	/* Handles are not tried again. */
	ck_assert_int_eq(cgroup_paths_lookup(cp, 987654321, out, sizeof(out)), CGROUP_UNKNOWN);
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.handle_opens, 1);
	ck_assert_uint_eq(st.walks, 2);
	cgroup_paths_free(cp);
}
END_TEST

/* With handles: a removed cgroup keeps the path it had, and one removed
 * before we saw it is known gone after one open, without a walk. */
START_TEST(live_removed_by_handle)
{
	struct cgroup_paths *cp = cgroup_paths_new(live_root, 0, 0);
	char path[PATH_MAX], want[PATH_MAX], out[PATH_MAX];
	uint64_t seen = mkdirs(live_dir, "a"), gone = mkdirs(live_dir, "b");
	struct cgroup_paths_stats st;

	FMT(want, "%s/a", live_dir + strlen(live_root));
	ck_assert_int_eq(cgroup_paths_lookup(cp, seen, out, sizeof(out)), CGROUP_FOUND);
	FMT(path, "%s/a", live_dir);
	ck_assert_int_eq(rmdir(path), 0);
	FMT(path, "%s/b", live_dir);
	ck_assert_int_eq(rmdir(path), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(cgroup_paths_lookup(cp, seen, out, sizeof(out)), CGROUP_FOUND);
		ck_assert_str_eq(out, want);
		ck_assert_int_eq(cgroup_paths_lookup(cp, gone, out, sizeof(out)),
				 CGROUP_UNKNOWN);
		ck_assert_str_eq(out, "unknown");
	}
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.handle_opens, 2);
	ck_assert_uint_eq(st.misses, 2);
	ck_assert_uint_eq(st.walks, 0);
	cgroup_paths_free(cp);
}
END_TEST

/* A cgroup removed and made again (a restarted service) has a new id and
 * the same path: one owner, so its flows stay in one series. */
START_TEST(live_recreated_cgroup_one_owner)
{
	struct owners_config cfg = { .cgroup_root = live_root, .labels = OWNER_L_CGROUP };
	char path[PATH_MAX], err[OWNERS_ERR_LEN];
	struct owners *o = owners_new(&cfg, err);
	uint64_t first = mkdirs(live_dir, "a"), second;
	uint32_t owner;

	ck_assert_msg(o != NULL, "%s", err);
	owner = owners_intern(o, first);
	FMT(path, "%s/a", live_dir);
	ck_assert_int_eq(rmdir(path), 0);
	second = mkdirs(live_dir, "a");
	ck_assert_uint_ne(first, second);
	ck_assert_uint_eq(owners_intern(o, second), owner);
	ck_assert_uint_eq(owners_intern(o, first), owner);	/* kept its path */
	owners_free(o);
}
END_TEST

/* The id a process's sockets report is its cgroup directory's inode: move
 * ourselves into a new cgroup and read the id back by path. */
START_TEST(live_own_cgroup)
{
	struct cgroup_paths *cp = cgroup_paths_new(live_root, 0, 0);
	char procs[PATH_MAX], want[PATH_MAX], out[PATH_MAX], line[PATH_MAX], *self = NULL;
	char back[PATH_MAX];
	uint64_t id = mkdirs(live_dir, "b");
	FILE *f;

	FMT(procs, "%s/cgroup.procs", live_root);
	f = fopen("/proc/self/cgroup", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			self = line + 3;
			break;
		}
	fclose(f);
	ck_assert_ptr_nonnull(self);
	FMT(back, "%s%s/cgroup.procs", live_root, self);
	FMT(procs, "%s/b/cgroup.procs", live_dir);
	{
		char pid[32];

		FMT(pid, "%d\n", (int)getpid());
		write_file(procs, pid);
		f = fopen("/proc/self/cgroup", "r");
		ck_assert_ptr_nonnull(fgets(out, sizeof(out), f));
		while (strncmp(out, "0::", 3) && fgets(out, sizeof(out), f))
			;
		fclose(f);
		FMT(want, "0::%s/b\n", live_dir + strlen(live_root));
		ck_assert_str_eq(out, want);
		write_file(back, pid);	/* out again, so that b can go */
	}
	FMT(want, "%s/b", live_dir + strlen(live_root));
	ck_assert_int_eq(cgroup_paths_lookup(cp, id, out, sizeof(out)), CGROUP_FOUND);
	ck_assert_str_eq(out, want);
	cgroup_paths_free(cp);
}
END_TEST

/* Walking (no handles): on cgroup2 ids only grow, so an id below what an
 * earlier walk saw that the last walk did not find is gone for good, and
 * asks for no more walks. */
START_TEST(live_gone_id_stops_walking)
{
	struct cgroup_paths *cp = cgroup_paths_new(live_root, 0, CGROUP_PATHS_NO_HANDLES);
	struct cgroup_paths_stats st;
	char path[PATH_MAX], out[64];
	uint64_t gone, later;

	ck_assert_int_gt(cgroup_paths_refresh(cp), 0);
	gone = mkdirs(live_dir, "a");
	FMT(path, "%s/a", live_dir);
	ck_assert_int_eq(rmdir(path), 0);
	later = mkdirs(live_dir, "b");
	ck_assert_uint_gt(later, gone);
	ck_assert_int_gt(cgroup_paths_refresh(cp), 0);	/* sees b, not a */
	ck_assert_int_eq(cgroup_paths_lookup(cp, gone, out, sizeof(out)), CGROUP_UNKNOWN);
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.walks, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(cgroup_paths_lookup(cp, gone, out, sizeof(out)),
				 CGROUP_UNKNOWN);
	ck_assert_str_eq(out, "unknown");
	cgroup_paths_stats(cp, &st);
	ck_assert_uint_eq(st.walks, 3);
	ck_assert_uint_eq(st.misses, 1);
	cgroup_paths_free(cp);
}
END_TEST

/* ---- kubepods paths ----------------------------------------------------------- */

#define UID "0f4b3c2e-7a1d-4c55-9b0e-2d6f8a9c1b3e"
#define UID_ "0f4b3c2e_7a1d_4c55_9b0e_2d6f8a9c1b3e"
#define CID "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
#define SID "aaaabbbbccccddddeeeeffff00001111222233334444555566667777888899990"
#define HASH "8d4e6f1a2b3c4d5e6f708192a3b4c5d6"

static const struct {
	const char *path;
	const char *uid, *cid;
	enum k8s_runtime rt;
	enum k8s_qos qos;
} pod_paths[] = {
	/* systemd driver */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/cri-containerd-" CID ".scope", UID, CID, K8S_RUNTIME_CONTAINERD,
	  K8S_QOS_BURSTABLE },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	  ".slice/crio-" CID ".scope", UID, CID, K8S_RUNTIME_CRIO, K8S_QOS_BESTEFFORT },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" CID ".scope", UID, CID,
	  K8S_RUNTIME_DOCKER, K8S_QOS_GUARANTEED },
	/* crun's leaf below the container, and CRI-O's monitor */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/crio-" CID ".scope/container", UID, CID, K8S_RUNTIME_CRIO,
	  K8S_QOS_BURSTABLE },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/crio-conmon-" CID ".scope", UID, "", K8S_RUNTIME_UNKNOWN,
	  K8S_QOS_BURSTABLE },
	/* the pod's own cgroup */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice",
	  UID, "", K8S_RUNTIME_UNKNOWN, K8S_QOS_BURSTABLE },
	/* kind: a kubelet inside a container, with its own cgroup root */
	{ "/system.slice/docker-" SID ".scope/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
	  ".slice/cri-containerd-" CID ".scope", UID, CID, K8S_RUNTIME_CONTAINERD,
	  K8S_QOS_BESTEFFORT },
	/* a static pod: its UID is the manifest's hash */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" HASH
	  ".slice/cri-containerd-" CID ".scope", HASH, CID, K8S_RUNTIME_CONTAINERD,
	  K8S_QOS_BURSTABLE },
	/* cgroupfs driver */
	{ "/kubepods/burstable/pod" UID "/" CID, UID, CID, K8S_RUNTIME_UNKNOWN,
	  K8S_QOS_BURSTABLE },
	{ "/kubepods/pod" UID "/" CID, UID, CID, K8S_RUNTIME_UNKNOWN, K8S_QOS_GUARANTEED },
	{ "/kubepods/besteffort/pod" UID "/crio-" CID, UID, CID, K8S_RUNTIME_CRIO,
	  K8S_QOS_BESTEFFORT },
	{ "/kubepods/besteffort/pod" UID, UID, "", K8S_RUNTIME_UNKNOWN,
	  K8S_QOS_BESTEFFORT },
	{ "kubepods/burstable/pod" UID "/" CID "/", UID, CID, K8S_RUNTIME_UNKNOWN,
	  K8S_QOS_BURSTABLE },
};

START_TEST(parse_pod_paths)
{
	struct k8s_cgroup cg;

	ck_assert_msg(k8s_parse_cgroup(pod_paths[_i].path, &cg) == 1, "%s",
		      pod_paths[_i].path);
	ck_assert_str_eq(cg.pod_uid, pod_paths[_i].uid);
	ck_assert_str_eq(cg.container_id, pod_paths[_i].cid);
	ck_assert_int_eq(cg.runtime, pod_paths[_i].rt);
	ck_assert_int_eq(cg.qos, pod_paths[_i].qos);
}
END_TEST

static const char *not_pods[] = {
	"/", "", "/system.slice/nginx.service", "/kubepods.slice",
	"/kubepods.slice/kubepods-burstable.slice", "/kubepods/burstable",
	"/machine.slice/libpod-" CID ".scope",
	"/pod" UID "/" CID,					/* no kubepods above */
	"/kubepods/burstable/podnot-a-uid/" CID,
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12_34.slice",
	"unknown",
};

START_TEST(parse_other_paths)
{
	struct k8s_cgroup cg;

	memset(&cg, 0x55, sizeof(cg));
	ck_assert_msg(k8s_parse_cgroup(not_pods[_i], &cg) == 0, "%s", not_pods[_i]);
	ck_assert_str_eq(cg.pod_uid, "");
	ck_assert_str_eq(cg.container_id, "");
}
END_TEST

START_TEST(names_of_enums)
{
	ck_assert_str_eq(k8s_runtime_name(K8S_RUNTIME_CONTAINERD), "containerd");
	ck_assert_str_eq(k8s_runtime_name(K8S_RUNTIME_CRIO), "cri-o");
	ck_assert_str_eq(k8s_runtime_name(K8S_RUNTIME_DOCKER), "docker");
	ck_assert_str_eq(k8s_runtime_name(K8S_RUNTIME_UNKNOWN), "");
	ck_assert_str_eq(k8s_qos_name(K8S_QOS_GUARANTEED), "guaranteed");
	ck_assert_str_eq(k8s_qos_name(K8S_QOS_BURSTABLE), "burstable");
	ck_assert_str_eq(k8s_qos_name(K8S_QOS_BESTEFFORT), "besteffort");
}
END_TEST

/* ---- names from the kubelet's log directories ------------------------------ */

/* A node with pod web-0 (containers nginx and istio-proxy) in namespace
 * shop and a pod whose containers have no log links yet. */
static void kubelet_logs(const char *root)
{
	mkdirs(root, "var/log/pods/shop_web-0_" UID "/nginx");
	mkdirs(root, "var/log/pods/shop_web-0_" UID "/istio-proxy");
	mkdirs(root, "var/log/pods/kube-system_kube-apiserver-node1_" HASH "/kube-apiserver");
	mkdirs(root, "var/log/containers");
	touch(root, "var/log/pods/shop_web-0_" UID "/nginx/0.log");
	touch(root, "var/log/containers/web-0_shop_nginx-" CID ".log");
	touch(root, "var/log/containers/web-0_shop_istio-proxy-" SID ".log");
	/* Not the kubelet's: ignored. */
	touch(root, "var/log/containers/README");
	touch(root, "var/log/containers/stray_name.log");
	mkdirs(root, "var/log/pods/not-a-pod-dir");
}

START_TEST(names_per_runtime_and_driver)
{
	struct k8s_owner *ko;
	struct k8s_names n;

	kubelet_logs(tmp);
	ko = k8s_owner_new(tmp, 0);
	ck_assert_ptr_nonnull(ko);
	/* Every path naming container CID, whatever runtime and driver. */
	for (size_t i = 0; i < sizeof(pod_paths) / sizeof(pod_paths[0]); i++) {
		if (strcmp(pod_paths[i].cid, CID) || strcmp(pod_paths[i].uid, UID))
			continue;
		ck_assert_msg(k8s_owner_lookup_path(ko, pod_paths[i].path, &n) == 0, "%s",
			      pod_paths[i].path);
		ck_assert_str_eq(n.namespace, "shop");
		ck_assert_str_eq(n.pod, "web-0");
		ck_assert_str_eq(n.container, "nginx");
	}
	k8s_owner_free(ko);
}
END_TEST

START_TEST(names_with_dashes_and_static_pods)
{
	struct k8s_owner *ko;
	struct k8s_names n;

	kubelet_logs(tmp);
	ko = k8s_owner_new(tmp, 0);
	ck_assert_int_eq(k8s_owner_lookup_path(ko, "/kubepods/pod" UID "/" SID, &n), 0);
	ck_assert_str_eq(n.container, "istio-proxy");
	ck_assert_str_eq(n.pod, "web-0");
	/* A static pod, no container link: pod and namespace from its log dir,
	 * for its containers and for its own cgroup. */
	ck_assert_int_eq(k8s_owner_lookup_path(ko,
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" HASH
		".slice/cri-containerd-" CID "0.scope", &n), 0);
	ck_assert_str_eq(n.container, "");
	ck_assert_str_eq(n.pod, "kube-apiserver-node1");
	ck_assert_int_eq(k8s_owner_lookup_path(ko,
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" HASH
		".slice", &n), 0);
	ck_assert_str_eq(n.namespace, "kube-system");
	ck_assert_str_eq(n.pod, "kube-apiserver-node1");
	ck_assert_str_eq(n.container, "");
	k8s_owner_free(ko);
}
END_TEST

/* The pause container (or one not started yet) has no log link: the pod is
 * still named, the container is "". */
START_TEST(names_pod_without_container_link)
{
	struct k8s_owner *ko;
	struct k8s_names n;

	kubelet_logs(tmp);
	ko = k8s_owner_new(tmp, 0);
	ck_assert_int_eq(k8s_owner_lookup_path(ko, "/kubepods/burstable/pod" UID
					       "/0123456789abcdef", &n), 0);
	ck_assert_str_eq(n.namespace, "shop");
	ck_assert_str_eq(n.pod, "web-0");
	ck_assert_str_eq(n.container, "");
	k8s_owner_free(ko);
}
END_TEST

START_TEST(names_unknown_pod_and_non_pod)
{
	struct k8s_owner *ko;
	struct k8s_names n;

	kubelet_logs(tmp);
	ko = k8s_owner_new(tmp, 0);
	ck_assert_int_eq(k8s_owner_lookup_path(ko, "/kubepods/pod"
		"11111111-2222-3333-4444-555555555555/" CID "0", &n), -ENOENT);
	ck_assert_str_eq(n.namespace, "");
	ck_assert_str_eq(n.pod, "");
	ck_assert_str_eq(n.container, "");
	ck_assert_int_eq(k8s_owner_lookup_path(ko, "/system.slice/nginx.service", &n),
			 -ENOENT);
	ck_assert_str_eq(n.pod, "");
	k8s_owner_free(ko);
}
END_TEST

/* No /var/log on the node (or not mounted): nothing is named, no error. */
START_TEST(names_without_log_dirs)
{
	struct k8s_owner *ko = k8s_owner_new(tmp, 0);
	struct k8s_names n;

	ck_assert_int_eq(k8s_owner_lookup_path(ko, "/kubepods/pod" UID "/" CID, &n), -ENOENT);
	ck_assert_str_eq(n.pod, "");
	k8s_owner_free(ko);
}
END_TEST

START_TEST(names_new_pod_after_rescan)
{
	struct k8s_owner *slow, *fast;
	struct k8s_names n;
	const char *path = "/kubepods/pod" UID "/" CID;

	mkdirs(tmp, "var/log/containers");
	fast = k8s_owner_new(tmp, 0);
	slow = k8s_owner_new(tmp, 3600 * 1000);
	ck_assert_int_eq(k8s_owner_lookup_path(fast, path, &n), -ENOENT);
	ck_assert_int_eq(k8s_owner_lookup_path(slow, path, &n), -ENOENT);
	kubelet_logs(tmp);
	ck_assert_int_eq(k8s_owner_lookup_path(fast, path, &n), 0);
	ck_assert_str_eq(n.container, "nginx");
	/* Read once an hour at most: the new pod waits. */
	ck_assert_int_eq(k8s_owner_lookup_path(slow, path, &n), -ENOENT);
	k8s_owner_free(fast);
	k8s_owner_free(slow);
}
END_TEST

/* A trailing slash on the root, as a DaemonSet's --path.rootfs=/host/ has. */
START_TEST(names_root_with_slash)
{
	char root[PATH_MAX + 2];
	struct k8s_owner *ko;
	struct k8s_names n;

	kubelet_logs(tmp);
	FMT(root, "%s/", tmp);
	ko = k8s_owner_new(root, 0);
	ck_assert_int_eq(k8s_owner_lookup_path(ko, "/kubepods/pod" UID "/" CID, &n), 0);
	ck_assert_str_eq(n.pod, "web-0");
	k8s_owner_free(ko);
}
END_TEST

/* ---- the owners facade ------------------------------------------------------ */

START_TEST(owners_of_ids)
{
	char croot[PATH_MAX], err[OWNERS_ERR_LEN] = "";
	struct owners_config cfg = { .cgroup_root = croot, .host_root = tmp,
				     .labels = OWNER_L_CGROUP | OWNER_L_K8S };
	struct owner_labels l;
	struct owners *o;
	uint64_t ctr, svc;

	FMT(croot, "%s/cg", tmp);
	mkdirs(tmp, "cg");
	kubelet_logs(tmp);
	ctr = mkdirs(croot, "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		     UID_ ".slice/cri-containerd-" CID ".scope");
	svc = mkdirs(croot, "system.slice/nginx.service");
	o = owners_new(&cfg, err);
	ck_assert_msg(o != NULL, "%s", err);
	ck_assert_str_eq(owners_cgroup_root(o), croot);
	owners_lookup(o, ctr, &l);
	ck_assert_str_eq(l.cgroup, "/kubepods.slice/kubepods-besteffort.slice/"
			 "kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope");
	ck_assert_str_eq(l.namespace, "shop");
	ck_assert_str_eq(l.pod, "web-0");
	ck_assert_str_eq(l.container, "nginx");
	owners_lookup(o, svc, &l);
	ck_assert_str_eq(l.cgroup, "/system.slice/nginx.service");
	ck_assert_str_eq(l.namespace, "");
	ck_assert_str_eq(l.pod, "");
	ck_assert_str_eq(l.container, "");
	owners_lookup(o, 0, &l);
	ck_assert_str_eq(l.cgroup, "");
	ck_assert_str_eq(l.pod, "");
	owners_free(o);

	/* Without a host root: paths only. */
	cfg.host_root = NULL;
	o = owners_new(&cfg, err);
	ck_assert_ptr_nonnull(o);
	owners_lookup(o, ctr, &l);
	ck_assert_str_eq(l.pod, "");
	ck_assert_int_eq(l.cgroup[0], '/');
	owners_free(o);
}
END_TEST

START_TEST(owners_bad_root)
{
	char croot[PATH_MAX], want[PATH_MAX + 64], err[OWNERS_ERR_LEN];
	struct owners_config cfg = { .cgroup_root = croot };

	FMT(croot, "%s/absent", tmp);
	ck_assert_ptr_null(owners_new(&cfg, err));
	FMT(want, "cgroup2 mount %s: No such file or directory", croot);
	ck_assert_str_eq(err, want);
	FMT(croot, "%s/file", tmp);
	touch(tmp, "file");
	ck_assert_ptr_null(owners_new(&cfg, err));
	FMT(want, "cgroup2 mount %s: Not a directory", croot);
	ck_assert_str_eq(err, want);
}
END_TEST

/* Owners as numbers: equal kept labels, equal numbers; a label not kept
 * never splits them. */
START_TEST(intern_by_kept_labels)
{
	char croot[PATH_MAX], err[OWNERS_ERR_LEN] = "";
	struct owners_config cfg = { .cgroup_root = croot, .host_root = tmp,
				     .labels = OWNER_L_CGROUP };
	uint64_t nginx, istio, svc, pause;
	struct owner_view v;
	struct owners *o;
	uint32_t a, b, c;

	FMT(croot, "%s/cg", tmp);
	mkdirs(tmp, "cg");
	kubelet_logs(tmp);
	nginx = mkdirs(croot, "kubepods/pod" UID "/" CID);
	istio = mkdirs(croot, "kubepods/pod" UID "/" SID);
	pause = mkdirs(croot, "kubepods/pod" UID "/0123abcd");
	svc = mkdirs(croot, "system.slice/nginx.service");

	o = owners_new(&cfg, err);
	ck_assert_msg(o != NULL, "%s", err);
	a = owners_intern(o, nginx);
	b = owners_intern(o, istio);
	c = owners_intern(o, svc);
	ck_assert_uint_ne(a, 0);
	ck_assert_uint_ne(a, b);
	ck_assert_uint_ne(b, c);
	ck_assert_uint_eq(owners_intern(o, nginx), a);
	ck_assert_uint_eq(owners_intern(o, 0), 0);
	owners_get(o, a, &v);
	ck_assert_str_eq(v.cgroup, "/kubepods/pod" UID "/" CID);
	ck_assert_str_eq(v.pod, "");	/* not kept */
	owners_get(o, 0, &v);
	ck_assert_str_eq(v.cgroup, "");
	/* "/kubepods/..." sorts before "/system.slice/...". */
	ck_assert_int_lt(owners_cmp(o, a, c), 0);
	ck_assert_int_gt(owners_cmp(o, c, a), 0);
	ck_assert_int_eq(owners_cmp(o, a, a), 0);
	owners_free(o);

	/* Pod and namespace only: the pod's containers are one owner, a
	 * service outside any pod is no owner at all. */
	cfg.labels = OWNER_L_NAMESPACE | OWNER_L_POD;
	o = owners_new(&cfg, err);
	a = owners_intern(o, nginx);
	ck_assert_uint_ne(a, 0);
	ck_assert_uint_eq(owners_intern(o, istio), a);
	ck_assert_uint_eq(owners_intern(o, pause), a);
	ck_assert_uint_eq(owners_intern(o, svc), 0);
	owners_get(o, a, &v);
	ck_assert_str_eq(v.cgroup, "");
	ck_assert_str_eq(v.namespace, "shop");
	ck_assert_str_eq(v.pod, "web-0");
	ck_assert_str_eq(v.container, "");
	owners_free(o);

	/* All four. */
	cfg.labels = OWNER_L_CGROUP | OWNER_L_K8S;
	o = owners_new(&cfg, err);
	owners_get(o, owners_intern(o, istio), &v);
	ck_assert_str_eq(v.cgroup, "/kubepods/pod" UID "/" SID);
	ck_assert_str_eq(v.namespace, "shop");
	ck_assert_str_eq(v.pod, "web-0");
	ck_assert_str_eq(v.container, "istio-proxy");
	owners_free(o);
}
END_TEST

/* What was not known is asked again after refresh_ms, not before: a new
 * cgroup between two walks, a container whose log link comes late. */
START_TEST(intern_retries_incomplete)
{
	char croot[PATH_MAX], link[PATH_MAX], err[OWNERS_ERR_LEN] = "";
	struct owners_config cfg = { .cgroup_root = croot, .host_root = tmp,
				     .labels = OWNER_L_CGROUP | OWNER_L_K8S,
				     .refresh_ms = 400 };
	struct owner_view v;
	struct owners *o;
	uint64_t late, ctr;
	uint32_t a;

	FMT(croot, "%s/cg", tmp);
	mkdirs(tmp, "cg");
	kubelet_logs(tmp);
	FMT(link, "%s/var/log/containers/web-0_shop_nginx-" CID ".log", tmp);
	ck_assert_int_eq(unlink(link), 0);
	ctr = mkdirs(croot, "kubepods/pod" UID "/" CID);
	o = owners_new(&cfg, err);
	ck_assert_msg(o != NULL, "%s", err);
	owners_get(o, owners_intern(o, ctr), &v);	/* walks, reads the logs */
	ck_assert_str_eq(v.pod, "web-0");
	ck_assert_str_eq(v.container, "");
	late = mkdirs(croot, "system.slice/late.service");
	touch(tmp, "var/log/containers/web-0_shop_nginx-" CID ".log");
	a = owners_intern(o, late);
	owners_get(o, a, &v);
	ck_assert_str_eq(v.cgroup, "unknown");
	owners_get(o, owners_intern(o, ctr), &v);
	ck_assert_str_eq(v.container, "");
	usleep(500 * 1000);
	owners_get(o, owners_intern(o, late), &v);
	ck_assert_str_eq(v.cgroup, "/system.slice/late.service");
	owners_get(o, owners_intern(o, ctr), &v);
	ck_assert_str_eq(v.container, "nginx");
	owners_free(o);
}
END_TEST

static Suite *owners_suite(int live)
{
	Suite *s = suite_create("owners");
	TCase *tc;

	tc = tcase_create("mountinfo");
	tcase_add_checked_fixture(tc, setup_tmp, NULL);
	tcase_add_test(tc, mount_hybrid_host);
	tcase_add_test(tc, mount_pure_v2);
	tcase_add_test(tc, mount_none_is_enoent);
	tcase_add_test(tc, mount_prefers_whole_hierarchy);
	suite_add_tcase(s, tc);

	tc = tcase_create("cgroup_paths");
	tcase_add_checked_fixture(tc, setup_tmp, NULL);
	tcase_add_test(tc, paths_of_fixture_tree);
	tcase_add_test(tc, paths_truncate_to_buffer);
	tcase_add_test(tc, unknown_id_has_documented_value);
	tcase_add_test(tc, miss_walks_again);
	tcase_add_test(tc, misses_are_rate_limited);
	tcase_add_test(tc, removed_cgroup_keeps_its_path);
	tcase_add_test(tc, unreadable_root_fails_refresh);
	suite_add_tcase(s, tc);

	if (live) {
		tc = tcase_create("cgroup_paths_live");
		tcase_add_checked_fixture(tc, setup_live, remove_live);
		tcase_add_loop_test(tc, live_cgroup_resolves, 0, 2);
		tcase_add_test(tc, live_without_handle_capability);
		tcase_add_test(tc, live_removed_by_handle);
		tcase_add_test(tc, live_own_cgroup);
		tcase_add_test(tc, live_recreated_cgroup_one_owner);
		tcase_add_test(tc, live_gone_id_stops_walking);
		suite_add_tcase(s, tc);
	}

	tc = tcase_create("k8s_parse");
	tcase_add_loop_test(tc, parse_pod_paths, 0, sizeof(pod_paths) / sizeof(pod_paths[0]));
	tcase_add_loop_test(tc, parse_other_paths, 0, sizeof(not_pods) / sizeof(not_pods[0]));
	tcase_add_test(tc, names_of_enums);
	suite_add_tcase(s, tc);

	tc = tcase_create("k8s_names");
	tcase_add_checked_fixture(tc, setup_tmp, NULL);
	tcase_add_test(tc, names_per_runtime_and_driver);
	tcase_add_test(tc, names_with_dashes_and_static_pods);
	tcase_add_test(tc, names_pod_without_container_link);
	tcase_add_test(tc, names_unknown_pod_and_non_pod);
	tcase_add_test(tc, names_without_log_dirs);
	tcase_add_test(tc, names_new_pod_after_rescan);
	tcase_add_test(tc, names_root_with_slash);
	suite_add_tcase(s, tc);

	tc = tcase_create("owners");
	tcase_add_checked_fixture(tc, setup_tmp, NULL);
	tcase_add_test(tc, owners_of_ids);
	tcase_add_test(tc, owners_bad_root);
	tcase_add_test(tc, intern_by_kept_labels);
	tcase_add_test(tc, intern_retries_incomplete);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int live = live_usable();
	SRunner *sr;
	int failed;

	if (snprintf(base, sizeof(base), "%s/check_owners.XXXXXX",
		     getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") >= (int)sizeof(base) ||
	    !mkdtemp(base)) {
		fprintf(stderr, "check_owners: mkdtemp %s: %s\n", base, strerror(errno));
		return 99;
	}
	if (live && snprintf(live_dir, sizeof(live_dir), "%s/tcflow-check-%d", live_root,
			     (int)getpid()) >= (int)sizeof(live_dir))
		live = 0;
	sr = srunner_create(owners_suite(live));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_tree(base);
	if (live)
		remove_live();
	if (failed)
		return failed < 77 ? failed : 76;
	return live ? 0 : 77;
}
