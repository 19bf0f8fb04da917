/* --flow.idle-timeout: a thread that deletes flows idle that long from the
 * kernel's table, so their series leave /metrics. Interface totals, in
 * their own map, are untouched. */
#ifndef TCFLOW_FLOW_EXPIRY_H
#define TCFLOW_FLOW_EXPIRY_H

#include <pthread.h>
#include <stdint.h>

struct flow_expiry {
	int flows_fd;
	uint64_t timeout_ns;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop, running;
	uint64_t expired;	/* under lock */
};

/* Sweeps every max(1 s, timeout / 4). 0, or -1 after logging why. */
int flow_expiry_start(struct flow_expiry *e, int flows_fd, uint32_t timeout_s);
void flow_expiry_stop(struct flow_expiry *e);
/* One sweep now, at monotonic time now_ns: deletes what is idle. Returns
 * how many flows it deleted, or -errno. */
int flow_expiry_sweep(struct flow_expiry *e, uint64_t now_ns);
uint64_t flow_expiry_count(struct flow_expiry *e);

#endif
