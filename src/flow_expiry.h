/* SPDX-License-Identifier: BSD-2-Clause */
/* --flow.idle-timeout: a thread that deletes flows idle that long from the
 * kernel's table, making room before the LRU has to evict. Series are not
 * flows: they keep what the deleted flows counted and leave after
 * --flow.series-retention without growth. Interface totals are untouched. */
#ifndef TCFLOW_FLOW_EXPIRY_H
#define TCFLOW_FLOW_EXPIRY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "map_reader.h"

struct flow_expiry {
	int flows_fd;
	uint64_t timeout_ns;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop, running;
	uint64_t expired;	/* under lock */
	pthread_mutex_t sweep_lock;	/* a scrape's map read vs. a sweep's deletes */
	/* Flows deleted since the last scrape, with their counts when
	 * deleted (under lock): the scrape credits what it had not read yet
	 * and counts a flow that came back from zero. */
	struct flow_entry *gone;
	size_t n_gone, cap_gone;
};

/* Sweeps every max(1 s, timeout / 4). 0, or -1 after logging why. */
int flow_expiry_start(struct flow_expiry *e, int flows_fd, uint32_t timeout_s);
/* A scrape reads the flow table between these two, so that a flow it
 * does not see is already counted expired (or was evicted). What a deleted
 * flow held is never lost from the sums: series.c keeps accumulated deltas. */
void flow_expiry_begin_read(struct flow_expiry *e);
void flow_expiry_end_read(struct flow_expiry *e);
/* Between the two: the flows deleted since the last call, handed over
 * (the caller frees *out). */
size_t flow_expiry_take_gone(struct flow_expiry *e, struct flow_entry **out);
void flow_expiry_stop(struct flow_expiry *e);
/* One sweep now, at monotonic time now_ns: deletes what is idle. Returns
 * how many flows it deleted, or -errno. */
int flow_expiry_sweep(struct flow_expiry *e, uint64_t now_ns);
uint64_t flow_expiry_count(struct flow_expiry *e);

#endif
