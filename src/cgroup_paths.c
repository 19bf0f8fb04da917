// SPDX-License-Identifier: BSD-2-Clause
/* Cgroup ids to paths, cached in a table keyed by id. A miss opens the
 * cgroup by its file handle (on kernfs, the handle is the 8-byte id) and
 * reads the descriptor's path back: about 15 us per id, where a walk of the
 * whole tree costs about 35 us per cgroup (BENCHMARKS.md), and a host has
 * many more cgroups than cgroups with sockets. The walk stays for what has
 * no handles: fixture trees, and exporters without CAP_DAC_READ_SEARCH. */
#include "cgroup_paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Deeper trees are not walked further: the kernel's own default
 * cgroup.max.depth is unlimited, but no real host nests this deep. */
#define WALK_MAX_DEPTH 64
/* Removed cgroups whose paths we keep, newest first. */
#define KEEP_GONE_MAX 4096
/* Past this many ids the table starts again from empty: handles never
 * walk, so nothing else forgets the ids of removed cgroups. */
#define TABLE_MAX 65536
/* The kernfs handle type (FILEID_KERNFS in linux/exportfs.h). */
#define FILEID_KERNFS 0xfe

struct entry {
	uint64_t id;		/* 0: free slot */
	char *path;		/* NULL: known to be gone before we saw it */
	uint64_t walk;		/* the last walk that saw it */
};

struct table {
	struct entry *slots;
	uint32_t cap;		/* a power of two */
	uint32_t used;
};

struct cgroup_paths {
	char *root;
	unsigned int min_walk_ms;
	int monotonic_ids;	/* a real cgroup2 mount: new ids only grow */
	int mount_fd;		/* for open_by_handle_at, -1: walk instead */
	pthread_mutex_t lock;
	struct table t;
	uint64_t walks, misses, handle_opens;
	uint64_t last_walk_ms;	/* 0: never walked */
	uint64_t max_id_before;	/* the highest id the walk before the last saw */
	uint64_t max_id;	/* the highest id the last walk saw */
};

/* ---- the table ----------------------------------------------------------- */

static uint32_t slot_of(uint64_t id, uint32_t cap)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (uint32_t)id & (cap - 1);
}

static struct entry *table_find(const struct table *t, uint64_t id)
{
	if (!t->cap)
		return NULL;
	for (uint32_t i = slot_of(id, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].id == id)
			return &t->slots[i];
		if (!t->slots[i].id)
			return NULL;
	}
}

static int table_grow(struct table *t)
{
	struct table bigger = { .cap = t->cap ? t->cap * 2 : 256 };

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->cap; i++) {
		struct entry *e = &t->slots[i];
		uint32_t j;

		if (!e->id)
			continue;
		for (j = slot_of(e->id, bigger.cap); bigger.slots[j].id;
		     j = (j + 1) & (bigger.cap - 1))
			;
		bigger.slots[j] = *e;
		bigger.used++;
	}
	free(t->slots);
	*t = bigger;
	return 0;
}

/* Takes ownership of path (which may be NULL). Replaces an existing entry. */
static int table_put(struct table *t, uint64_t id, char *path, uint64_t walk)
{
	struct entry *e = table_find(t, id);
	uint32_t i;

	if (e) {
		free(e->path);
		e->path = path;
		e->walk = walk;
		return 0;
	}
	if ((t->used + 1) * 4 > t->cap * 3 && table_grow(t)) {
		free(path);
		return -ENOMEM;
	}
	for (i = slot_of(id, t->cap); t->slots[i].id; i = (i + 1) & (t->cap - 1))
		;
	t->slots[i] = (struct entry){ .id = id, .path = path, .walk = walk };
	t->used++;
	return 0;
}

static void table_free(struct table *t)
{
	for (uint32_t i = 0; i < t->cap; i++)
		free(t->slots[i].path);
	free(t->slots);
	*t = (struct table){ 0 };
}

/* ---- the walk ------------------------------------------------------------ */

struct walk {
	struct table *t;
	uint64_t walk;
	uint64_t max_id;
	int found;
	char path[PATH_MAX];
};

static int remember(struct walk *w, uint64_t id, size_t len)
{
	char *copy = len ? strndup(w->path, len) : strdup("/");

	if (!copy)
		return -ENOMEM;
	if (id > w->max_id)
		w->max_id = id;
	w->found++;
	return table_put(w->t, id, copy, w->walk);
}

/* Adds every directory below the open directory fd (whose path is
 * w->path[0..len)) to the table. Takes ownership of fd. */
static int walk_dir(struct walk *w, int fd, size_t len, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int err = 0;

	if (!d) {
		close(fd);
		return 0;	/* removed while we walked: not an error */
	}
	while (!err && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct stat st;
		int sub;

		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (len + 1 + n >= sizeof(w->path))
			continue;
		/* readdir's inode number is the cgroup id on kernfs; stat
		 * only where the filesystem does not tell the type. */
		st.st_ino = de->d_ino;
		if (de->d_type == DT_UNKNOWN &&
		    (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		     !S_ISDIR(st.st_mode)))
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, n + 1);
		err = remember(w, st.st_ino, len + 1 + n);
		if (err || depth >= WALK_MAX_DEPTH)
			continue;
		sub = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			err = walk_dir(w, sub, len + 1 + n, depth + 1);
	}
	closedir(d);
	return err;
}

/* Keeps the newest KEEP_GONE_MAX entries the walk did not see. */
static int by_walk_desc(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->walk < y->walk ? 1 : x->walk > y->walk ? -1 : 0;
}

static void carry_over(struct table *old, struct table *fresh)
{
	struct entry *gone;
	uint32_t n = 0;

	gone = malloc((old->used ? old->used : 1) * sizeof(*gone));
	for (uint32_t i = 0; gone && i < old->cap; i++) {
		struct entry *e = &old->slots[i];

		if (e->id && !table_find(fresh, e->id)) {
			gone[n++] = *e;
			e->path = NULL;	/* moved */
		}
	}
	if (!gone)
		return;
	qsort(gone, n, sizeof(*gone), by_walk_desc);
	for (uint32_t i = 0; i < n; i++) {
		if (i < KEEP_GONE_MAX)	/* frees the path when it fails */
			table_put(fresh, gone[i].id, gone[i].path, gone[i].walk);
		else
			free(gone[i].path);
	}
	free(gone);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Called with the lock held. */
static int walk_locked(struct cgroup_paths *cp)
{
	struct walk *w = calloc(1, sizeof(*w));
	struct table fresh = { 0 };
	struct stat st;
	int fd, err;

	if (!w)
		return -ENOMEM;
	w->t = &fresh;
	w->walk = cp->walks + 1;
	fd = open(cp->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		free(w);
		return err;
	}
	err = remember(w, st.st_ino, 0);
	if (!err)
		err = walk_dir(w, fd, 0, 1);
	else
		close(fd);
	if (err) {
		table_free(&fresh);
		free(w);
		return err;
	}
	carry_over(&cp->t, &fresh);
	table_free(&cp->t);
	cp->t = fresh;
	cp->walks++;
	cp->last_walk_ms = now_ms();
	cp->max_id_before = cp->max_id;
	cp->max_id = w->max_id;
	err = w->found;
	free(w);
	return err;
}

/* ---- the API ------------------------------------------------------------- */

struct cgroup_paths *cgroup_paths_new(const char *root, unsigned int min_walk_ms,
				      unsigned int flags)
{
	struct cgroup_paths *cp = calloc(1, sizeof(*cp));
	struct statfs sfs;

	if (!cp)
		return NULL;
	cp->root = strdup(root);
	if (!cp->root) {
		free(cp);
		return NULL;
	}
	cp->min_walk_ms = min_walk_ms;
	/* Inode numbers of other filesystems (test fixtures) are reused. */
	cp->monotonic_ids = statfs(root, &sfs) == 0 &&
			    sfs.f_type == CGROUP2_SUPER_MAGIC;
	cp->mount_fd = -1;
	if (cp->monotonic_ids && !(flags & CGROUP_PATHS_NO_HANDLES))
		cp->mount_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pthread_mutex_init(&cp->lock, NULL);
	return cp;
}

void cgroup_paths_free(struct cgroup_paths *cp)
{
	if (!cp)
		return;
	table_free(&cp->t);
	if (cp->mount_fd >= 0)
		close(cp->mount_fd);
	pthread_mutex_destroy(&cp->lock);
	free(cp->root);
	free(cp);
}

int cgroup_paths_refresh(struct cgroup_paths *cp)
{
	int n;

	pthread_mutex_lock(&cp->lock);
	n = walk_locked(cp);
	pthread_mutex_unlock(&cp->lock);
	return n;
}

/* Opens id by its file handle and reads its path back. Returns 1 with a
 * path (malloc'ed), 0 when the cgroup is gone, -errno when handles do not
 * work here. Called with the lock held. */
static int open_handle(struct cgroup_paths *cp, uint64_t id, char **path)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS } };
	size_t mlen = strlen(cp->root);
	char link[40], buf[PATH_MAX];
	ssize_t n;
	int fd;

	cp->handle_opens++;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cp->mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE || errno == ENOENT ? 0 : -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (ends_with(buf, " (deleted)"))
		return 0;
	/* Below the mount point as we named it, or not ours to name (another
	 * mount namespace's view): then the walk decides. */
	if (strncmp(buf, cp->root, mlen) || (buf[mlen] && buf[mlen] != '/'))
		return -EXDEV;
	*path = strdup(buf[mlen] ? buf + mlen : "/");
	return *path ? 1 : -ENOMEM;
}

/* A miss with handles: one open. An id the kernel no longer knows is
 * remembered as gone, so that flows of a removed cgroup cost no more. */
static struct entry *miss_handle(struct cgroup_paths *cp, uint64_t id, int *done)
{
	char *path = NULL;
	int r = open_handle(cp, id, &path);

	*done = r >= 0;
	if (r < 0) {
		if (r == -EPERM || r == -EOPNOTSUPP || r == -EBADF || r == -EINVAL) {
			close(cp->mount_fd);	/* no capability: walk from now on */
			cp->mount_fd = -1;
		}
		return NULL;
	}
	if (cp->t.used >= TABLE_MAX)
		table_free(&cp->t);
	if (table_put(&cp->t, id, path, cp->walks))
		return NULL;
	return table_find(&cp->t, id);
}

/* A miss: walk again when the rate limit allows. An id that the walk before
 * the last one could have seen (ids only grow on cgroup2) and that the last
 * walk did not see is gone for good: remember that, so that flows of a
 * removed cgroup do not make every scrape walk the tree. */
static struct entry *miss_locked(struct cgroup_paths *cp, uint64_t id)
{
	struct entry *e;
	int done;

	cp->misses++;
	if (cp->mount_fd >= 0) {
		e = miss_handle(cp, id, &done);
		if (done)
			return e;
	}
	if (cp->last_walk_ms && now_ms() - cp->last_walk_ms < cp->min_walk_ms)
		return NULL;
	if (walk_locked(cp) < 0)
		return NULL;
	e = table_find(&cp->t, id);
	if (!e && cp->monotonic_ids && cp->walks >= 2 && id <= cp->max_id_before)
		table_put(&cp->t, id, NULL, cp->walks);
	return e;
}

enum cgroup_lookup cgroup_paths_lookup(struct cgroup_paths *cp, uint64_t id,
				       char *out, size_t size)
{
	enum cgroup_lookup r = CGROUP_UNKNOWN;
	struct entry *e;

	if (!size)
		return id ? CGROUP_UNKNOWN : CGROUP_NONE;
	if (!id) {
		out[0] = '\0';
		return CGROUP_NONE;
	}
	pthread_mutex_lock(&cp->lock);
	e = table_find(&cp->t, id);
	if (!e)
		e = miss_locked(cp, id);
	if (e && e->path) {
		snprintf(out, size, "%s", e->path);
		r = CGROUP_FOUND;
	}
	pthread_mutex_unlock(&cp->lock);
	if (r == CGROUP_UNKNOWN)
		snprintf(out, size, "%s", CGROUP_PATH_UNKNOWN);
	return r;
}

void cgroup_paths_stats(struct cgroup_paths *cp, struct cgroup_paths_stats *st)
{
	pthread_mutex_lock(&cp->lock);
	st->walks = cp->walks;
	st->misses = cp->misses;
	st->handle_opens = cp->handle_opens;
	st->entries = 0;
	for (uint32_t i = 0; i < cp->t.cap; i++)
		st->entries += cp->t.slots[i].id && cp->t.slots[i].path;
	pthread_mutex_unlock(&cp->lock);
}

/* ---- mountinfo ------------------------------------------------------------ */

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Fields: id parent maj:min root mountpoint options [optional...] - fstype
 * source superoptions. Returns 1 for a cgroup2 line, with its root and
 * mount point split out in place. */
static int cgroup2_line(char *line, char **root, char **mnt)
{
	char *save = NULL, *f[5], *tok;
	int n = 0;

	for (tok = strtok_r(line, " \n", &save); tok && n < 5;
	     tok = strtok_r(NULL, " \n", &save))
		f[n++] = tok;
	if (n < 5)
		return 0;
	while (tok && strcmp(tok, "-") != 0)
		tok = strtok_r(NULL, " \n", &save);
	if (!tok || !(tok = strtok_r(NULL, " \n", &save)) || strcmp(tok, "cgroup2"))
		return 0;
	*root = f[3];
	*mnt = f[4];
	return 1;
}

int cgroup2_find_mount(const char *mountinfo, char *out, size_t size)
{
	FILE *f = fopen(mountinfo, "re");
	char *line = NULL, *root, *mnt;
	size_t cap = 0;
	int best = 0;	/* 1: a cgroup2 mount, 2: one of the whole hierarchy */
	int err = 0;

	if (!f)
		return -errno;
	while (best < 2 && getline(&line, &cap, f) > 0) {
		int rank;

		if (!cgroup2_line(line, &root, &mnt))
			continue;
		/* A bind mount of a subtree would give paths missing its
		 * prefix: prefer the mount of the whole hierarchy. */
		rank = strcmp(root, "/") == 0 ? 2 : 1;
		if (rank <= best)
			continue;
		unescape(mnt);
		if (strlen(mnt) >= size) {
			err = -ENAMETOOLONG;
			continue;
		}
		strcpy(out, mnt);
		best = rank;
	}
	free(line);
	fclose(f);
	return best ? 0 : err ? err : -ENOENT;
}
