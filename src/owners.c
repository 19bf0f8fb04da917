// SPDX-License-Identifier: BSD-2-Clause
#include "owners.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup_paths.h"

/* Interned owners past this many share owner 0: a bound on memory that no
 * host with fewer cgroups than this reaches. */
#define INTERNED_MAX (1u << 20)
/* The id cache starts again from empty past this many ids. */
#define IDS_MAX (1u << 18)

struct interned {
	char *v[4];		/* cgroup, namespace, pod, container */
	uint64_t hash;
};

struct id_slot {
	uint64_t id;		/* 0: free */
	uint32_t owner;
	uint64_t retry_ms;	/* 0: final; else when to look again */
};

struct owners {
	char root[PATH_MAX];
	unsigned int labels, refresh_ms;
	struct cgroup_paths *paths;
	struct k8s_owner *k8s;	/* NULL: no Kubernetes names */
	pthread_mutex_t lock;
	struct interned *vals;	/* [0] is "no owner" */
	uint32_t n_vals, cap_vals;
	uint32_t *by_value;	/* open addressing: index + 1, 0 free */
	uint32_t value_mask;
	struct id_slot *ids;
	uint32_t ids_mask, n_ids;
};

/* ---- interning ----------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FNV-1a over the four values, each with its terminating NUL. */
static uint64_t values_hash(const char *const v[4])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < 4; i++)
		for (const char *c = v[i];; c++) {
			h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
			if (!*c)
				break;
		}
	return h;
}

static int values_eq(const struct interned *e, const char *const v[4])
{
	for (int i = 0; i < 4; i++)
		if (strcmp(e->v[i], v[i]))
			return 0;
	return 1;
}

static void index_value(struct owners *o, uint32_t idx)
{
	uint32_t i = (uint32_t)o->vals[idx].hash & o->value_mask;

	while (o->by_value[i])
		i = (i + 1) & o->value_mask;
	o->by_value[i] = idx + 1;
}

static int add_value(struct owners *o, const char *const v[4], uint64_t hash, uint32_t *idx)
{
	struct interned e = { .hash = hash };

	if (o->n_vals == o->cap_vals) {
		uint32_t cap = o->cap_vals * 2;
		struct interned *bigger = realloc(o->vals, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		o->vals = bigger;
		o->cap_vals = cap;
	}
	if ((o->n_vals + 1) * 2 > o->value_mask + 1) {
		uint32_t *bigger = calloc((o->value_mask + 1) * 2, sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		free(o->by_value);
		o->by_value = bigger;
		o->value_mask = o->value_mask * 2 + 1;
		for (uint32_t i = 0; i < o->n_vals; i++)
			index_value(o, i);
	}
	for (int i = 0; i < 4; i++)
		if (!(e.v[i] = strdup(v[i]))) {
			while (i--)
				free(e.v[i]);
			return -ENOMEM;
		}
	*idx = o->n_vals;
	o->vals[o->n_vals++] = e;
	index_value(o, *idx);
	return 0;
}

/* The number of a tuple of values, added when new. */
static uint32_t intern_values(struct owners *o, const char *const v[4])
{
	uint64_t h = values_hash(v);
	uint32_t idx;

	for (uint32_t i = (uint32_t)h & o->value_mask; o->by_value[i];
	     i = (i + 1) & o->value_mask) {
		idx = o->by_value[i] - 1;
		if (o->vals[idx].hash == h && values_eq(&o->vals[idx], v))
			return idx;
	}
	if (o->n_vals >= INTERNED_MAX || add_value(o, v, h, &idx))
		return 0;
	return idx;
}

static int intern_init(struct owners *o)
{
	static const char *const none[4] = { "", "", "", "" };
	uint32_t idx;

	o->cap_vals = 64;
	o->vals = calloc(o->cap_vals, sizeof(*o->vals));
	o->value_mask = 127;
	o->by_value = calloc(o->value_mask + 1, sizeof(*o->by_value));
	o->ids_mask = 255;
	o->ids = calloc(o->ids_mask + 1, sizeof(*o->ids));
	if (!o->vals || !o->by_value || !o->ids)
		return -ENOMEM;
	return add_value(o, none, values_hash(none), &idx);	/* owner 0 */
}

static struct id_slot *id_slot(struct owners *o, uint64_t id)
{
	uint64_t h = id * 0x9e3779b97f4a7c15ULL;
	uint32_t i;

	for (i = (uint32_t)(h >> 32) & o->ids_mask; o->ids[i].id; i = (i + 1) & o->ids_mask)
		if (o->ids[i].id == id)
			return &o->ids[i];
	return &o->ids[i];	/* free: the caller fills it */
}

/* Room for one more id: doubles the table, or past IDS_MAX empties it
 * (the ids are looked up again as flows name them). */
static int ids_reserve(struct owners *o)
{
	struct id_slot *old = o->ids;
	uint32_t old_n = o->ids_mask + 1, n = old_n;
	int forget = o->n_ids >= IDS_MAX;

	if ((o->n_ids + 1) * 2 <= old_n)
		return 0;
	if (!forget)
		n *= 2;
	o->ids = calloc(n, sizeof(*o->ids));
	if (!o->ids) {
		o->ids = old;
		return -ENOMEM;
	}
	o->ids_mask = n - 1;
	if (forget)
		o->n_ids = 0;
	for (uint32_t i = 0; !forget && i < old_n; i++)
		if (old[i].id)
			*id_slot(o, old[i].id) = old[i];
	free(old);
	return 0;
}

/* Looks the id up, keeping the labels asked for. Returns 1 when they are
 * all known (no need to look again), 0 when some may come later. */
static int resolve(struct owners *o, uint64_t id, uint32_t *owner)
{
	struct owner_labels labels, *l = &labels;
	const char *v[4] = { "", "", "", "" };
	int complete = 1;

	owners_lookup(o, id, l);
	if (!strcmp(l->cgroup, CGROUP_PATH_UNKNOWN))
		complete = 0;
	if (o->labels & OWNER_L_CGROUP)
		v[0] = l->cgroup;
	if (o->labels & OWNER_L_NAMESPACE)
		v[1] = l->namespace;
	if (o->labels & OWNER_L_POD)
		v[2] = l->pod;
	if (o->labels & OWNER_L_CONTAINER)
		v[3] = l->container;
	if (o->k8s && l->cgroup[0] == '/') {
		struct k8s_cgroup cg;

		/* A pod's cgroup whose names are not (all) there yet. */
		if (k8s_parse_cgroup(l->cgroup, &cg) &&
		    (!l->pod[0] || (cg.container_id[0] && !l->container[0])))
			complete = 0;
	}
	pthread_mutex_lock(&o->lock);
	*owner = intern_values(o, v);
	pthread_mutex_unlock(&o->lock);
	return complete;
}

uint32_t owners_intern(struct owners *o, uint64_t cgroup_id)
{
	struct id_slot *s;
	uint32_t owner;
	uint64_t now = 0;
	int complete;

	if (!cgroup_id)
		return 0;
	pthread_mutex_lock(&o->lock);
	s = id_slot(o, cgroup_id);
	if (s->id && (!s->retry_ms || (now = now_ms()) < s->retry_ms)) {
		owner = s->owner;
		pthread_mutex_unlock(&o->lock);
		return owner;
	}
	pthread_mutex_unlock(&o->lock);

	/* Outside the lock: a walk or a directory read may take a while,
	 * and the resolvers have their own locks. */
	complete = resolve(o, cgroup_id, &owner);

	pthread_mutex_lock(&o->lock);
	if (!ids_reserve(o)) {
		s = id_slot(o, cgroup_id);
		if (!s->id)
			o->n_ids++;
		s->id = cgroup_id;
		s->owner = owner;
		s->retry_ms = complete ? 0 : (now ? now : now_ms()) + o->refresh_ms + 1;
	}
	pthread_mutex_unlock(&o->lock);
	return owner;
}

void owners_get(struct owners *o, uint32_t owner, struct owner_view *out)
{
	pthread_mutex_lock(&o->lock);
	if (owner >= o->n_vals)
		owner = 0;
	out->cgroup = o->vals[owner].v[0];
	out->namespace = o->vals[owner].v[1];
	out->pod = o->vals[owner].v[2];
	out->container = o->vals[owner].v[3];
	pthread_mutex_unlock(&o->lock);
}

int owners_cmp(struct owners *o, uint32_t a, uint32_t b)
{
	struct owner_view x, y;
	int c;

	if (a == b)
		return 0;
	owners_get(o, a, &x);
	owners_get(o, b, &y);
	if ((c = strcmp(x.cgroup, y.cgroup)) || (c = strcmp(x.namespace, y.namespace)) ||
	    (c = strcmp(x.pod, y.pod)))
		return c;
	return strcmp(x.container, y.container);
}

/* ---- the API ------------------------------------------------------------- */

struct owners *owners_new(const struct owners_config *cfg, char err[OWNERS_ERR_LEN])
{
	struct owners *o = calloc(1, sizeof(*o));
	struct stat st;
	int r;

	if (!o) {
		snprintf(err, OWNERS_ERR_LEN, "cgroup labels: out of memory");
		return NULL;
	}
	pthread_mutex_init(&o->lock, NULL);
	if (cfg->cgroup_root) {
		int e = stat(cfg->cgroup_root, &st) ? errno :
			!S_ISDIR(st.st_mode) ? ENOTDIR : 0;

		if (e) {
			snprintf(err, OWNERS_ERR_LEN, "cgroup2 mount %s: %s",
				 cfg->cgroup_root, strerror(e));
			goto fail;
		}
		snprintf(o->root, sizeof(o->root), "%s", cfg->cgroup_root);
	} else if ((r = cgroup2_find_mount("/proc/self/mountinfo", o->root,
					   sizeof(o->root)))) {
		snprintf(err, OWNERS_ERR_LEN, "cgroup labels need cgroup v2: %s",
			 r == -ENOENT ? "no cgroup2 mount in /proc/self/mountinfo" :
			 strerror(-r));
		goto fail;
	}
	o->labels = cfg->labels;
	o->refresh_ms = cfg->refresh_ms;
	if (intern_init(o)) {
		snprintf(err, OWNERS_ERR_LEN, "cgroup labels: out of memory");
		goto fail;
	}
	o->paths = cgroup_paths_new(o->root, cfg->refresh_ms, 0);
	if (!o->paths) {
		snprintf(err, OWNERS_ERR_LEN, "cgroup labels: %s", strerror(errno));
		goto fail;
	}
	if (cfg->host_root && (cfg->labels & OWNER_L_K8S)) {
		o->k8s = k8s_owner_new(cfg->host_root, cfg->refresh_ms);
		if (!o->k8s) {
			snprintf(err, OWNERS_ERR_LEN, "pod labels: %s", strerror(errno));
			goto fail;
		}
	}
	return o;
fail:
	owners_free(o);
	return NULL;
}

void owners_free(struct owners *o)
{
	if (!o)
		return;
	cgroup_paths_free(o->paths);
	k8s_owner_free(o->k8s);
	for (uint32_t i = 0; i < o->n_vals; i++)
		for (int j = 0; j < 4; j++)
			free(o->vals[i].v[j]);
	free(o->vals);
	free(o->by_value);
	free(o->ids);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

void owners_lookup(struct owners *o, uint64_t cgroup_id, struct owner_labels *out)
{
	struct k8s_names n;

	out->namespace[0] = out->pod[0] = out->container[0] = '\0';
	if (cgroup_paths_lookup(o->paths, cgroup_id, out->cgroup, sizeof(out->cgroup)) !=
	    CGROUP_FOUND || !o->k8s)
		return;
	k8s_owner_lookup_path(o->k8s, out->cgroup, &n);
	memcpy(out->namespace, n.namespace, sizeof(n.namespace));
	memcpy(out->pod, n.pod, sizeof(n.pod));
	memcpy(out->container, n.container, sizeof(n.container));
}

const char *owners_cgroup_root(const struct owners *o)
{
	return o->root;
}
