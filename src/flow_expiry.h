/* --flow.idle-timeout: a thread that deletes flows idle that long from the
 * kernel's table, so their series leave /metrics. Interface totals, in
 * their own map, are untouched. */
#ifndef TCFLOW_FLOW_EXPIRY_H
#define TCFLOW_FLOW_EXPIRY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "aggregate.h"
#include "map_reader.h"

struct flow_expiry {
	int flows_fd;
	uint64_t timeout_ns;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop, running;
	uint64_t expired;	/* under lock */
	/* With an aggregating label set, the counts of expired flows are kept
	 * (projected) while their series stand, so that a series summing
	 * several flows never drops when one of them expires. */
	const struct label_set *retain;	/* NULL: full label set, keep nothing */
	pthread_mutex_t sweep_lock;	/* a scrape's map read vs. a sweep's deletes */
	struct flow_entry *retired;	/* under lock */
	size_t n_retired, cap_retired, n_lent;
};

/* Sweeps every max(1 s, timeout / 4). 0, or -1 after logging why. */
int flow_expiry_start(struct flow_expiry *e, int flows_fd, uint32_t timeout_s,
		      const struct label_set *labels);
/* A scrape reads the flow table and takes the retired counts between
 * these two, so a flow is seen either in the table or retired, never both
 * nor neither. */
void flow_expiry_begin_read(struct flow_expiry *e, struct snapshot *s);
void flow_expiry_end_read(struct flow_expiry *e);
/* After aggregation: s->retired holds what is still wanted. */
void flow_expiry_return(struct flow_expiry *e, const struct snapshot *s);
void flow_expiry_stop(struct flow_expiry *e);
/* One sweep now, at monotonic time now_ns: deletes what is idle. Returns
 * how many flows it deleted, or -errno. */
int flow_expiry_sweep(struct flow_expiry *e, uint64_t now_ns);
uint64_t flow_expiry_count(struct flow_expiry *e);

#endif
