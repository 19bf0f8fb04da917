// SPDX-License-Identifier: BSD-2-Clause
#include "map_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "array.h"
#include "log.h"

#define BATCH_ENTRIES 4096

/* *delivered tells the caller whether cb already saw entries, so that a
 * fallback to iteration never hands the same entries over twice. */
static int drain_batch(int fd, size_t key_size, size_t value_size, map_entry_cb cb, void *ctx,
		       int *delivered)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t count, chunk = BATCH_ENTRIES;
	uint64_t token = 0;
	char *keys = NULL, *values = NULL;
	int first = 1, err = 0, done = 0;

	while (!done && !err) {
		if (!keys) {
			keys = malloc(chunk * key_size);
			values = malloc(chunk * value_size);
			if (!keys || !values) {
				err = -ENOMEM;
				break;
			}
		}
		count = chunk;
		if (bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, values,
					 &count, &opts)) {
			err = -errno;
			if (err == -ENOENT) {	/* the last batch: count may be > 0 */
				done = 1;
				err = 0;
			} else if (err == -ENOSPC && count == 0 && chunk < (1U << 20)) {
				/* A hash bucket held more than chunk entries: grow, retry. */
				chunk *= 2;
				free(keys);
				free(values);
				keys = values = NULL;
				err = 0;
				continue;
			} else {
				break;
			}
		}
		first = 0;
		if (count)
			*delivered = 1;
		for (uint32_t i = 0; i < count && !err; i++)
			err = cb(ctx, keys + i * key_size, values + i * value_size);
	}
	free(keys);
	free(values);
	return err;
}

/* Kernels before 5.6 have no batch ops on hash maps. */
static int drain_iterate(int fd, size_t key_size, size_t value_size, map_entry_cb cb, void *ctx)
{
	char *key = calloc(2, key_size), *next = key + key_size;
	char *value = malloc(value_size);
	void *prev = NULL;
	int err = 0;

	if (!key || !value) {
		free(key);
		free(value);
		return -ENOMEM;
	}
	while (!err && bpf_map_get_next_key(fd, prev, next) == 0) {
		if (bpf_map_lookup_elem(fd, next, value) == 0)
			err = cb(ctx, next, value);
		/* else: deleted between the two calls (LRU eviction); skip it */
		memcpy(key, next, key_size);
		prev = key;
	}
	free(key);
	free(value);
	return err;
}

int map_drain(int fd, size_t key_size, size_t value_size, map_entry_cb cb, void *ctx)
{
	int delivered = 0;
	int err = drain_batch(fd, key_size, value_size, cb, ctx, &delivered);

	if (!delivered && (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP))
		err = drain_iterate(fd, key_size, value_size, cb, ctx);
	return err;
}

_Static_assert(offsetof(struct flow_key, pad2) == TCFLOW_KEY_SIZE_NO_OWNER,
	       "the key without owners ends where the owner begins");
_Static_assert(sizeof(struct flow_key) == 56, "flow key: 44 bytes, pad, cgroup id");

size_t flow_key_size(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size > sizeof(struct flow_key))
		return sizeof(struct flow_key);
	return info.key_size;
}

void flow_key_load(struct flow_key *k, const void *raw, size_t size)
{
	memcpy(k, raw, size);
	memset((char *)k + size, 0, sizeof(*k) - size);
}

struct flow_read {
	struct snapshot *s;
	size_t key_size;
};

static int add_flow(void *ctx, const void *key, const void *value)
{
	struct flow_read *r = ctx;
	struct snapshot *s = r->s;

	if (array_grow(&s->flows, &s->cap_flows, s->n_flows + 1, sizeof(*s->flows)))
		return -ENOMEM;
	flow_key_load(&s->flows[s->n_flows].key, key, r->key_size);
	memcpy(&s->flows[s->n_flows].val, value, sizeof(struct flow_value));
	s->n_flows++;
	return 0;
}

int map_read_flows(int fd, struct snapshot *s)
{
	struct flow_read r = { .s = s, .key_size = flow_key_size(fd) };

	s->n_flows = 0;
	return map_drain(fd, r.key_size, sizeof(struct flow_value), add_flow, &r);
}

static size_t percpu_stride(size_t size)
{
	return (size + 7) & ~(size_t)7;
}

static int add_iface_copy(struct snapshot *s, const struct iface_value *v)
{
	struct iface_entry *e = s->n_ifaces ? &s->ifaces[s->n_ifaces - 1] : NULL;
	struct iface_key key = { .ifindex = (uint32_t)(v->tag >> 32),
				 .direction = (uint8_t)(v->tag >> 8) };

	/* A slot's copies nearly always share one hook: add to the last. */
	if (!e || memcmp(&e->key, &key, sizeof(key))) {
		if (array_grow(&s->ifaces, &s->cap_ifaces, s->n_ifaces + 1, sizeof(*s->ifaces)))
			return -ENOMEM;
		e = &s->ifaces[s->n_ifaces++];
		memset(e, 0, sizeof(*e));
		e->key = key;
	}
	for (int f = 0; f < TCFLOW_FAM_MAX; f++) {
		e->val.packets[f] += v->packets[f];
		e->val.bytes[f] += v->bytes[f];
	}
	e->val.malformed += v->malformed;
	return 0;
}

/* One slot of the per-CPU interface array: every tagged copy counts. */
static int add_iface_slot(void *ctx, const void *key, const void *value)
{
	struct snapshot *s = ctx;
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	size_t stride = percpu_stride(sizeof(struct iface_value));

	for (int cpu = 0; cpu < ncpu && !err; cpu++) {
		const struct iface_value *v = (const void *)((const char *)value + cpu * stride);

		if (v->tag)
			err = add_iface_copy(s, v);
	}
	return err;
}

static int cmp_iface(const void *a, const void *b)
{
	const struct iface_key *x = &((const struct iface_entry *)a)->key;
	const struct iface_key *y = &((const struct iface_entry *)b)->key;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return (int)x->direction - (int)y->direction;
}

/* One entry per hook: a hook a program counted in its home slot on some
 * CPUs before user space placed it elsewhere has more than one. */
static void merge_ifaces(struct snapshot *s)
{
	size_t out = 0;

	qsort(s->ifaces, s->n_ifaces, sizeof(*s->ifaces), cmp_iface);
	for (size_t i = 0; i < s->n_ifaces; i++) {
		struct iface_entry *e = &s->ifaces[i];

		if (out && !cmp_iface(&s->ifaces[out - 1], e)) {
			struct iface_value *to = &s->ifaces[out - 1].val;

			for (int f = 0; f < TCFLOW_FAM_MAX; f++) {
				to->packets[f] += e->val.packets[f];
				to->bytes[f] += e->val.bytes[f];
			}
			to->malformed += e->val.malformed;
		} else {
			s->ifaces[out++] = *e;
		}
	}
	s->n_ifaces = out;
}

int map_read_ifaces(int fd, struct snapshot *s)
{
	int ncpu = libbpf_num_possible_cpus(), err;

	s->n_ifaces = 0;
	if (ncpu <= 0)
		return -EINVAL;
	err = map_drain(fd, sizeof(uint32_t), ncpu * percpu_stride(sizeof(struct iface_value)),
			add_iface_slot, s);
	if (!err)
		merge_ifaces(s);
	return err;
}

int map_read_losses(int fd, struct snapshot *s)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t slot = 0; slot < TCFLOW_LOSS_MAX; slot++) {
		s->losses[slot] = 0;
		if (bpf_map_lookup_elem(fd, &slot, vals)) {
			free(vals);
			return -errno;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			s->losses[slot] += vals[cpu];
	}
	free(vals);
	return 0;
}

void snapshot_read_totals(struct snapshot *s, int ifaces_fd, int losses_fd)
{
	int err;

	/* Loss and insert counters first: the estimate of evictions,
	 * inserts - entries - expired, may then lag but never overshoot. */
	err = map_read_losses(losses_fd, s);
	s->losses_ok = !err;
	if (err)
		pr_warn("reading the loss counters: %s\n", strerror(-err));
	/* Interface totals before flows: the totals then never explain more
	 * than the flows read after them, so what the fold calls unaccounted
	 * is never ahead of the truth (series.c). */
	err = map_read_ifaces(ifaces_fd, s);
	s->ifaces_ok = !err;
	if (err)
		pr_warn("reading the interface totals: %s\n", strerror(-err));
}

void snapshot_read(struct snapshot *s, int flows_fd, int ifaces_fd, int losses_fd)
{
	int err;

	snapshot_read_totals(s, ifaces_fd, losses_fd);
	err = map_read_flows(flows_fd, s);
	s->flows_ok = !err;
	if (err)
		pr_warn("reading the flow table: %s\n", strerror(-err));
}

void snapshot_free(struct snapshot *s)
{
	free(s->flows);
	free(s->ifaces);
	memset(s, 0, sizeof(*s));
}
