// SPDX-License-Identifier: BSD-2-Clause
/* Pod and container names without a Kubernetes API client. The kubelet
 * names every pod's log directory <namespace>_<pod>_<uid> and links every
 * container's log as <pod>_<namespace>_<container>-<id>.log, whatever the
 * runtime; none of these names may hold an underscore, so the names split
 * cleanly. Agents that ship logs mount /var/log already. */
#include "k8s_owner.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"

/* ---- cgroup paths ---------------------------------------------------------- */

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* A UUID (8-4-4-4-12) or a static pod's 32-digit config hash. */
static int copy_uid(const char *s, size_t n, char out[K8S_UID_MAX])
{
	if (n < 32 || n > 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] == '_' ? '-' : s[i];

		if (c != '-' && !isxdigit((unsigned char)c))
			return 0;
		out[i] = c;
	}
	out[n] = '\0';
	return 1;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

static int has(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

/* kubepods-burstable-pod<uid>.slice, kubelet-kubepods-pod<uid>.slice, ... */
static int systemd_pod(const char *c, size_t n, struct k8s_cgroup *out)
{
	const char *p;

	if (!ends_with(c, n, ".slice") || !has(c, n, "kubepods"))
		return 0;
	n -= strlen(".slice");
	for (p = c + n; p > c && !starts_with(p, c + n - p, "-pod"); p--)
		;
	if (p == c)
		return 0;
	p += strlen("-pod");
	if (!copy_uid(p, c + n - p, out->pod_uid))
		return 0;
	out->qos = has(c, n, "-burstable-") ? K8S_QOS_BURSTABLE :
		   has(c, n, "-besteffort-") ? K8S_QOS_BESTEFFORT : K8S_QOS_GUARANTEED;
	return 1;
}

/* pod<uid> under a kubepods directory, QoS class from the one between. */
static int cgroupfs_pod(const char *c, size_t n, const char *prev, size_t prev_n,
			int seen_kubepods, struct k8s_cgroup *out)
{
	if (!seen_kubepods || !starts_with(c, n, "pod") ||
	    !copy_uid(c + 3, n - 3, out->pod_uid))
		return 0;
	out->qos = prev_n == 9 && !memcmp(prev, "burstable", 9) ? K8S_QOS_BURSTABLE :
		   prev_n == 10 && !memcmp(prev, "besteffort", 10) ? K8S_QOS_BESTEFFORT :
		   K8S_QOS_GUARANTEED;
	return 1;
}

static const struct {
	const char *prefix;
	enum k8s_runtime rt;
} scope_prefixes[] = {
	{ "cri-containerd-", K8S_RUNTIME_CONTAINERD },
	{ "crio-", K8S_RUNTIME_CRIO },
	{ "docker-", K8S_RUNTIME_DOCKER },
};

/* The container's cgroup: <prefix>-<id>[.scope], or the bare id. CRI-O's
 * crio-conmon-<id>.scope is its monitor, not the container. */
static void container(const char *c, size_t n, struct k8s_cgroup *out)
{
	if (ends_with(c, n, ".scope"))
		n -= strlen(".scope");
	for (size_t i = 0; i < ARRAY_SIZE(scope_prefixes); i++)
		if (starts_with(c, n, scope_prefixes[i].prefix)) {
			size_t k = strlen(scope_prefixes[i].prefix);

			c += k;
			n -= k;
			out->runtime = scope_prefixes[i].rt;
			break;
		}
	if (n >= K8S_CONTAINER_ID_MAX || !all_hex(c, n)) {
		out->runtime = K8S_RUNTIME_UNKNOWN;
		return;
	}
	memcpy(out->container_id, c, n);
	out->container_id[n] = '\0';
}

int k8s_parse_cgroup(const char *path, struct k8s_cgroup *out)
{
	const char *c = path, *prev = "";
	size_t prev_n = 0;
	int seen_kubepods = 0;

	memset(out, 0, sizeof(*out));
	while (*c) {
		size_t n;

		while (*c == '/')
			c++;
		n = strcspn(c, "/");
		if (!n)
			break;
		if (systemd_pod(c, n, out) ||
		    cgroupfs_pod(c, n, prev, prev_n, seen_kubepods, out)) {
			c += n;
			while (*c == '/')
				c++;
			if (*c)
				container(c, strcspn(c, "/"), out);
			return 1;
		}
		if (ends_with(c, n, "kubepods"))
			seen_kubepods = 1;
		prev = c;
		prev_n = n;
		c += n;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

const char *k8s_runtime_name(enum k8s_runtime rt)
{
	switch (rt) {
	case K8S_RUNTIME_CONTAINERD: return "containerd";
	case K8S_RUNTIME_CRIO: return "cri-o";
	case K8S_RUNTIME_DOCKER: return "docker";
	default: return "";
	}
}

const char *k8s_qos_name(enum k8s_qos qos)
{
	switch (qos) {
	case K8S_QOS_BURSTABLE: return "burstable";
	case K8S_QOS_BESTEFFORT: return "besteffort";
	default: return "guaranteed";
	}
}

/* ---- names from the kubelet's log directories ----------------------------- */

/* key: a pod UID or a container id; a, b, c: namespace, pod, container. */
struct name_entry {
	char *key, *ns, *pod, *container;
};

struct name_table {
	struct name_entry *e;
	size_t n, cap;
};

struct k8s_owner {
	char *pods_dir, *containers_dir;
	unsigned int min_scan_ms;
	uint64_t last_scan_ms;	/* 0: never read */
	pthread_mutex_t lock;
	struct name_table pods;		/* by pod UID */
	struct name_table containers;	/* by container id */
};

static void names_free(struct name_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].key);
		free(t->e[i].ns);
		free(t->e[i].pod);
		free(t->e[i].container);
	}
	free(t->e);
	*t = (struct name_table){ 0 };
}

static int names_add(struct name_table *t, const char *key, const char *ns,
		     const char *pod, const char *ctr)
{
	struct name_entry e;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct name_entry *bigger = realloc(t->e, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		t->e = bigger;
		t->cap = cap;
	}
	e.key = strdup(key);
	e.ns = strdup(ns);
	e.pod = strdup(pod);
	e.container = strdup(ctr);
	if (!e.key || !e.ns || !e.pod || !e.container) {
		free(e.key);
		free(e.ns);
		free(e.pod);
		free(e.container);
		return -ENOMEM;
	}
	t->e[t->n++] = e;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct name_entry *)a)->key,
		      ((const struct name_entry *)b)->key);
}

static const struct name_entry *names_find(const struct name_table *t, const char *key)
{
	struct name_entry probe = { .key = (char *)key };

	return t->n ? bsearch(&probe, t->e, t->n, sizeof(*t->e), by_key) : NULL;
}

/* Splits s at its first n-1 underscores into n non-empty fields. */
static int split_underscores(char *s, char **f, int n)
{
	for (int i = 0; i < n; i++) {
		f[i] = s;
		if (i < n - 1) {
			s = strchr(s, '_');
			if (!s)
				return 0;
			*s++ = '\0';
		} else if (strchr(s, '_')) {
			return 0;
		}
		if (!*f[i])
			return 0;
	}
	return 1;
}

/* <namespace>_<pod>_<uid>: name is a copy the function may cut up. */
static int add_pod(char *name, struct name_table *t)
{
	char *f[3];

	if (!split_underscores(name, f, 3))
		return 0;
	return names_add(t, f[2], f[0], f[1], "");
}

/* <pod>_<namespace>_<container>-<id>.log */
static int add_container(char *name, struct name_table *t)
{
	size_t n = strlen(name);
	char *f[3], *dash;

	if (!ends_with(name, n, ".log"))
		return 0;
	name[n - 4] = '\0';
	if (!split_underscores(name, f, 3) || !(dash = strrchr(f[2], '-')) ||
	    dash == f[2] || !all_hex(dash + 1, strlen(dash + 1)))
		return 0;
	*dash = '\0';
	return names_add(t, dash + 1, f[1], f[0], f[2]);
}

/* Calls add with a copy of every name in dir but hidden ones, until one
 * fails. 0, -errno when dir cannot be opened, or add's error. */
static int read_names(const char *dir, struct name_table *t,
		      int (*add)(char *name, struct name_table *t))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		char name[sizeof(de->d_name)];

		snprintf(name, sizeof(name), "%s", de->d_name);
		if (name[0] != '.')
			err = add(name, t);
	}
	closedir(d);
	return err;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Called with the lock held. Either directory may be missing (a DaemonSet
 * that mounts only one of them): what is there is used. */
static void scan_locked(struct k8s_owner *ko)
{
	struct name_table pods = { 0 }, containers = { 0 };

	if (read_names(ko->pods_dir, &pods, add_pod) == -ENOMEM ||
	    read_names(ko->containers_dir, &containers, add_container) == -ENOMEM) {
		names_free(&pods);
		names_free(&containers);
		return;
	}
	if (pods.n)
		qsort(pods.e, pods.n, sizeof(*pods.e), by_key);
	if (containers.n)
		qsort(containers.e, containers.n, sizeof(*containers.e), by_key);
	names_free(&ko->pods);
	names_free(&ko->containers);
	ko->pods = pods;
	ko->containers = containers;
	ko->last_scan_ms = now_ms();
}

static char *join(const char *root, const char *rel)
{
	size_t n = strlen(root);
	char *s;

	while (n && root[n - 1] == '/')
		n--;
	if (asprintf(&s, "%.*s%s", (int)n, root, rel) < 0)
		return NULL;
	return s;
}

struct k8s_owner *k8s_owner_new(const char *root, unsigned int min_scan_ms)
{
	struct k8s_owner *ko = calloc(1, sizeof(*ko));

	if (!ko)
		return NULL;
	ko->pods_dir = join(root, "/var/log/pods");
	ko->containers_dir = join(root, "/var/log/containers");
	if (!ko->pods_dir || !ko->containers_dir) {
		k8s_owner_free(ko);
		errno = ENOMEM;
		return NULL;
	}
	ko->min_scan_ms = min_scan_ms;
	pthread_mutex_init(&ko->lock, NULL);
	return ko;
}

void k8s_owner_free(struct k8s_owner *ko)
{
	if (!ko)
		return;
	names_free(&ko->pods);
	names_free(&ko->containers);
	if (ko->pods_dir)
		pthread_mutex_destroy(&ko->lock);
	free(ko->pods_dir);
	free(ko->containers_dir);
	free(ko);
}

static void copy_name(char dst[K8S_NAME_MAX], const char *src)
{
	snprintf(dst, K8S_NAME_MAX, "%s", src);
}

/* Called with the lock held. Returns 1 when everything asked for is known. */
static int answer(struct k8s_owner *ko, const struct k8s_cgroup *cg,
		  struct k8s_names *out)
{
	const struct name_entry *p = names_find(&ko->pods, cg->pod_uid);
	const struct name_entry *c = cg->container_id[0] ?
		names_find(&ko->containers, cg->container_id) : NULL;

	memset(out, 0, sizeof(*out));
	if (c) {	/* the link names the pod too */
		copy_name(out->namespace, c->ns);
		copy_name(out->pod, c->pod);
		copy_name(out->container, c->container);
	} else if (p) {
		copy_name(out->namespace, p->ns);
		copy_name(out->pod, p->pod);
	}
	return (p || c) && (c || !cg->container_id[0]);
}

/* Names of a parsed cgroup. Returns 0 when the pod is known (container is
 * "" when the container's log link is not), -ENOENT when not; out is
 * always filled, with "" for what is not known. Thread-safe. */
static int k8s_owner_lookup(struct k8s_owner *ko, const struct k8s_cgroup *cg,
			    struct k8s_names *out)
{
	int complete;

	pthread_mutex_lock(&ko->lock);
	complete = answer(ko, cg, out);
	if (!complete && (!ko->last_scan_ms ||
			  now_ms() - ko->last_scan_ms >= ko->min_scan_ms)) {
		scan_locked(ko);
		complete = answer(ko, cg, out);
	}
	pthread_mutex_unlock(&ko->lock);
	return out->pod[0] ? 0 : -ENOENT;
}

int k8s_owner_lookup_path(struct k8s_owner *ko, const char *cgroup_path,
			  struct k8s_names *out)
{
	struct k8s_cgroup cg;

	if (!k8s_parse_cgroup(cgroup_path, &cg)) {
		memset(out, 0, sizeof(*out));
		return -ENOENT;
	}
	return k8s_owner_lookup(ko, &cg, out);
}
