/* The raw event stream in user space: decoding ring buffer records, the
 * counters and histogram fed from them, and the subscribers (/events
 * clients, --events.stdout) each with a bounded queue of their own. */
#ifndef TCFLOW_EVENTS_H
#define TCFLOW_EVENTS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

struct event_view {
	uint64_t timestamp_ns;
	uint64_t cgroup_id;
	uint32_t ifindex;
	uint8_t family;		/* TCFLOW_FAM_IPV4 or TCFLOW_FAM_IPV6 */
	uint8_t protocol;
	uint8_t direction;
	uint16_t src_port, dst_port;
	uint16_t packet_len;
	uint8_t src[16], dst[16];	/* network order; IPv4 in the first 4 */
};

/* Decodes one ring buffer record. 0, or -1 for an unknown kind or size. */
int event_decode(const void *data, size_t size, struct event_view *ev);
/* Appends the event as one JSON object and a newline. */
void event_to_json(const struct event_view *ev, struct strbuf *out);

#define EVENT_ANY -1

struct event_filter {
	int64_t ifindex;	/* EVENT_ANY or an ifindex */
	int protocol;
	int src_port, dst_port, port;	/* port: either side */
	int src_family, dst_family, any_family;	/* 0 when no address filter */
	uint8_t src[16], dst[16], any[16];
	uint64_t limit;		/* 0: no limit */
};

void event_filter_init(struct event_filter *f);
/* Applies one query parameter (interface, protocol, src_ip, dst_ip, ip,
 * src_port, dst_port, port, limit). 0, or -1 with err naming what is wrong. */
int event_filter_set(struct event_filter *f, const char *key, const char *value,
		     char *err, size_t errlen);
int event_filter_match(const struct event_filter *f, const struct event_view *ev);

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
