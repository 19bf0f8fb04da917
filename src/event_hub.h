/* SPDX-License-Identifier: BSD-2-Clause */
/* Fan-out of decoded events: the counters and packet size histogram fed
 * from them, and the subscribers (/events clients, --events.stdout) each
 * with a bounded queue of their own. */
#ifndef TCFLOW_EVENT_HUB_H
#define TCFLOW_EVENT_HUB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "event_filter.h"

struct subscriber;

#define PKT_SIZE_BUCKETS 9

struct size_histogram {
	uint32_t ifindex;
	uint8_t direction;
	uint64_t buckets[PKT_SIZE_BUCKETS];	/* not cumulative */
	uint64_t count, sum;
};

#define MAX_SUBSCRIBERS 64
#define MAX_HISTOGRAMS 130

struct event_hub {
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* broadcast when events arrive or on stop */
	struct subscriber *subs[MAX_SUBSCRIBERS];
	int n_subs;
	int stopping;
	uint64_t events_total;
	uint64_t dropped_client;	/* events a slow subscriber's queue had no room for */
	uint64_t dropped_undecodable;
	struct size_histogram hist[MAX_HISTOGRAMS];
	int n_hist;
};

void hub_init(struct event_hub *hub);
void hub_destroy(struct event_hub *hub);
/* Counts the event and queues it for every subscriber whose filter matches. */
void hub_publish(struct event_hub *hub, const struct event_view *ev);
/* Wakes every waiting subscriber for good: the process is stopping. */
void hub_stop(struct event_hub *hub);
/* Waits up to timeout_ms for every subscriber to leave. 0 when they did. */
int hub_wait_empty(struct event_hub *hub, int timeout_ms);

/* A new subscriber with a queue of qcap events, or NULL (too many, or no
 * memory). */
struct subscriber *hub_subscribe(struct event_hub *hub, const struct event_filter *f,
				 size_t qcap);
void hub_unsubscribe(struct event_hub *hub, struct subscriber *sub);
/* Takes up to max queued events, waiting up to timeout_ms for the first.
 * Returns how many, 0 on time-out, -1 once the hub is stopping. */
int hub_take(struct event_hub *hub, struct subscriber *sub, struct event_view *out,
	     int max, int timeout_ms);

/* What the tcflow_events_* and tcflow_packet_size_bytes families show. */
struct hub_stats {
	uint64_t events_total;
	uint64_t dropped_client;
	uint64_t dropped_undecodable;
	int n_subs;
	int n_hist;
	struct size_histogram hist[MAX_HISTOGRAMS];
};

/* Upper bounds of the packet size buckets; the last bucket is +Inf. */
extern const unsigned int hub_bucket_le[PKT_SIZE_BUCKETS - 1];

void hub_snapshot(struct event_hub *hub, struct hub_stats *out);

#endif
