// SPDX-License-Identifier: BSD-2-Clause
/* Fan-out of decoded events: counters, the packet size histogram, and a
 * bounded queue per subscriber. A subscriber that falls behind loses the
 * events its queue has no room for (counted); nobody else waits for it. */
#include "event_hub.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcflow.h"

struct subscriber {
	struct event_filter filter;
	struct event_view *queue;
	size_t cap, head, len;
};

/* Upper bounds of the size buckets; the last bucket is +Inf. */
const unsigned int hub_bucket_le[PKT_SIZE_BUCKETS - 1] = {
	64, 128, 256, 512, 1024, 1518, 4096, 9216,
};

static void deadline_in(struct timespec *ts, int ms);

void hub_init(struct event_hub *hub)
{
	memset(hub, 0, sizeof(*hub));
	pthread_mutex_init(&hub->lock, NULL);
	pthread_cond_init(&hub->wake, NULL);
}

void hub_destroy(struct event_hub *hub)
{
	pthread_cond_destroy(&hub->wake);
	pthread_mutex_destroy(&hub->lock);
}

static struct size_histogram *histogram_for(struct event_hub *hub, uint32_t ifindex,
					    uint8_t dir)
{
	for (int i = 0; i < hub->n_hist; i++)
		if (hub->hist[i].ifindex == ifindex && hub->hist[i].direction == dir)
			return &hub->hist[i];
	if (hub->n_hist == MAX_HISTOGRAMS)
		return NULL;
	hub->hist[hub->n_hist] = (struct size_histogram){ .ifindex = ifindex, .direction = dir };
	return &hub->hist[hub->n_hist++];
}

static void observe_size(struct event_hub *hub, const struct event_view *ev)
{
	struct size_histogram *h = histogram_for(hub, ev->ifindex, ev->direction);
	int b = 0;

	if (!h)
		return;
	while (b < PKT_SIZE_BUCKETS - 1 && ev->packet_len > hub_bucket_le[b])
		b++;
	h->buckets[b]++;
	h->count++;
	h->sum += ev->packet_len;
}

static void enqueue(struct event_hub *hub, struct subscriber *s, const struct event_view *ev)
{
	if (s->len == s->cap) {
		hub->dropped_client++;
		return;
	}
	s->queue[(s->head + s->len) % s->cap] = *ev;
	s->len++;
}

void hub_publish(struct event_hub *hub, const struct event_view *ev)
{
	pthread_mutex_lock(&hub->lock);
	hub->events_total++;
	observe_size(hub, ev);
	for (int i = 0; i < hub->n_subs; i++)
		if (event_filter_match(&hub->subs[i]->filter, ev))
			enqueue(hub, hub->subs[i], ev);
	if (hub->n_subs)
		pthread_cond_broadcast(&hub->wake);
	pthread_mutex_unlock(&hub->lock);
}

void hub_stop(struct event_hub *hub)
{
	pthread_mutex_lock(&hub->lock);
	hub->stopping = 1;
	pthread_cond_broadcast(&hub->wake);
	pthread_mutex_unlock(&hub->lock);
}

int hub_wait_empty(struct event_hub *hub, int timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	deadline_in(&deadline, timeout_ms);
	pthread_mutex_lock(&hub->lock);
	while (hub->n_subs && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&hub->wake, &hub->lock, &deadline);
	rc = hub->n_subs ? -1 : 0;
	pthread_mutex_unlock(&hub->lock);
	return rc;
}

struct subscriber *hub_subscribe(struct event_hub *hub, const struct event_filter *f,
				 size_t qcap)
{
	struct subscriber *s = calloc(1, sizeof(*s));

	if (s)
		s->queue = calloc(qcap, sizeof(*s->queue));
	if (!s || !s->queue) {
		free(s);
		return NULL;
	}
	s->filter = *f;
	s->cap = qcap;
	pthread_mutex_lock(&hub->lock);
	if (hub->n_subs == MAX_SUBSCRIBERS || hub->stopping) {
		pthread_mutex_unlock(&hub->lock);
		free(s->queue);
		free(s);
		return NULL;
	}
	hub->subs[hub->n_subs++] = s;
	pthread_mutex_unlock(&hub->lock);
	return s;
}

void hub_unsubscribe(struct event_hub *hub, struct subscriber *s)
{
	pthread_mutex_lock(&hub->lock);
	for (int i = 0; i < hub->n_subs; i++)
		if (hub->subs[i] == s) {
			hub->subs[i] = hub->subs[--hub->n_subs];
			break;
		}
	pthread_cond_broadcast(&hub->wake);	/* hub_wait_empty() */
	pthread_mutex_unlock(&hub->lock);
	free(s->queue);
	free(s);
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int hub_take(struct event_hub *hub, struct subscriber *s, struct event_view *out,
	     int max, int timeout_ms)
{
	struct timespec deadline;
	int n = 0;

	deadline_in(&deadline, timeout_ms);
	pthread_mutex_lock(&hub->lock);
	while (!s->len && !hub->stopping)
		if (pthread_cond_timedwait(&hub->wake, &hub->lock, &deadline) == ETIMEDOUT)
			break;
	if (hub->stopping && !s->len) {
		pthread_mutex_unlock(&hub->lock);
		return -1;
	}
	while (n < max && s->len) {
		out[n++] = s->queue[s->head];
		s->head = (s->head + 1) % s->cap;
		s->len--;
	}
	pthread_mutex_unlock(&hub->lock);
	return n;
}

void hub_snapshot(struct event_hub *hub, struct hub_stats *out)
{
	pthread_mutex_lock(&hub->lock);
	out->events_total = hub->events_total;
	out->dropped_client = hub->dropped_client;
	out->dropped_undecodable = hub->dropped_undecodable;
	out->n_subs = hub->n_subs;
	out->n_hist = hub->n_hist;
	memcpy(out->hist, hub->hist, (size_t)hub->n_hist * sizeof(*hub->hist));
	pthread_mutex_unlock(&hub->lock);
}
