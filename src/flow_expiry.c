// SPDX-License-Identifier: BSD-2-Clause
#include "flow_expiry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "array.h"
#include "log.h"
#include "map_reader.h"
#include "tcflow.h"

#define GONE_MAX (1u << 20)

struct idle_keys {
	uint64_t cutoff_ns;
	size_t key_size;	/* the table's: owners on or off */
	struct flow_entry *keys;
	size_t n, cap;
};

static int collect_idle(void *ctx, const void *key, const void *value)
{
	struct idle_keys *ik = ctx;
	struct flow_entry e;

	flow_key_load(&e.key, key, ik->key_size);
	memcpy(&e.val, value, sizeof(e.val));
	if (e.val.last_seen_ns >= ik->cutoff_ns)
		return 0;
	if (array_grow(&ik->keys, &ik->cap, ik->n + 1, sizeof(*ik->keys)))
		return -ENOMEM;
	ik->keys[ik->n++] = e;
	return 0;
}

/* A flow that sees a packet between the read and the delete loses that
 * packet's count: the window is one sweep's delete, and only for flows
 * that were idle a whole timeout until then. */
int flow_expiry_sweep(struct flow_expiry *e, uint64_t now_ns)
{
	struct idle_keys ik = { .cutoff_ns = now_ns > e->timeout_ns ? now_ns - e->timeout_ns : 0,
				.key_size = flow_key_size(e->flows_fd) };
	int err = map_drain(e->flows_fd, ik.key_size, sizeof(struct flow_value),
			    collect_idle, &ik);
	int deleted = 0;

	if (err) {
		free(ik.keys);
		return err;
	}
	/* Counted before the deletes, corrected after: a scrape in between must
	 * never see a flow gone and not expired, or it would count it evicted. */
	pthread_mutex_lock(&e->sweep_lock);
	pthread_mutex_lock(&e->lock);
	e->expired += ik.n;
	pthread_mutex_unlock(&e->lock);
	for (size_t i = 0; i < ik.n; i++) {
		if (bpf_map_delete_elem(e->flows_fd, &ik.keys[i].key))
			continue;
		ik.keys[deleted++] = ik.keys[i];
	}
	pthread_mutex_lock(&e->lock);
	e->expired -= ik.n - (size_t)deleted;
	/* Bounded when nobody scrapes: past it, what the flows had not been
	 * read for shows as unaccounted instead. */
	for (int i = 0; i < deleted && e->n_gone < GONE_MAX; i++)
		if (!array_grow(&e->gone, &e->cap_gone, e->n_gone + 1, sizeof(*e->gone)))
			e->gone[e->n_gone++] = ik.keys[i];
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&e->sweep_lock);
	free(ik.keys);
	return deleted;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	/* The clock the programs stamp last_seen_ns with (bpf_loader.c). */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *sweeper(void *arg)
{
	struct flow_expiry *e = arg;
	uint64_t period_ns = e->timeout_ns / 4 > 1000000000ULL ? e->timeout_ns / 4 : 1000000000ULL;
	struct timespec until;
	int err;

	pthread_mutex_lock(&e->lock);
	while (!e->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(period_ns / 1000000000ULL);
		pthread_cond_timedwait(&e->wake, &e->lock, &until);
		if (e->stop)
			break;
		pthread_mutex_unlock(&e->lock);
		err = flow_expiry_sweep(e, monotonic_ns());
		if (err < 0)
			pr_warn("expiring idle flows: %s\n", strerror(-err));
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

int flow_expiry_start(struct flow_expiry *e, int flows_fd, uint32_t timeout_s)
{
	memset(e, 0, sizeof(*e));
	e->flows_fd = flows_fd;
	e->timeout_ns = (uint64_t)timeout_s * 1000000000ULL;
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->sweep_lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	if (pthread_create(&e->thread, NULL, sweeper, e)) {
		pr_err("starting the idle flow sweeper failed\n");
		return -1;
	}
	e->running = 1;
	return 0;
}

void flow_expiry_stop(struct flow_expiry *e)
{
	if (!e->running)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = 1;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	e->running = 0;
	free(e->gone);
	e->gone = NULL;
	e->n_gone = e->cap_gone = 0;
}

uint64_t flow_expiry_count(struct flow_expiry *e)
{
	uint64_t n;

	pthread_mutex_lock(&e->lock);
	n = e->expired;
	pthread_mutex_unlock(&e->lock);
	return n;
}

void flow_expiry_begin_read(struct flow_expiry *e)
{
	pthread_mutex_lock(&e->sweep_lock);
}

size_t flow_expiry_take_gone(struct flow_expiry *e, struct flow_entry **out)
{
	size_t n;

	pthread_mutex_lock(&e->lock);
	*out = e->gone;
	n = e->n_gone;
	e->gone = NULL;
	e->n_gone = e->cap_gone = 0;
	pthread_mutex_unlock(&e->lock);
	return n;
}

void flow_expiry_end_read(struct flow_expiry *e)
{
	pthread_mutex_unlock(&e->sweep_lock);
}
