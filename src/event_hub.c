/* Fan-out of decoded events: counters, the packet size histogram, and a
 * bounded queue per subscriber. A subscriber that falls behind loses the
 * events its queue has no room for (counted); nobody else waits for it. */
#include "events.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ifnames.h"
#include "labels.h"
#include "tcflow.h"

struct subscriber {
	struct event_filter filter;
	struct event_view *queue;
	size_t cap, head, len;
};

/* Upper bounds of the size buckets; the last bucket is +Inf. */
static const unsigned int bucket_le[PKT_SIZE_BUCKETS - 1] = {
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
	while (b < PKT_SIZE_BUCKETS - 1 && ev->packet_len > bucket_le[b])
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

static void histogram_labels(struct strbuf *out, const struct size_histogram *h)
{
	char ifname[IF_NAMESIZE];

	strbuf_puts(out, "interface=\"");
	label_escape(out, ifnames_get(h->ifindex, ifname));
	strbuf_printf(out, "\",direction=\"%s\"", direction_name(h->direction));
}

static void render_histogram(struct strbuf *out, const struct size_histogram *h)
{
	uint64_t cum = 0;

	for (int b = 0; b < PKT_SIZE_BUCKETS; b++) {
		cum += h->buckets[b];
		strbuf_puts(out, "tcflow_packet_size_bytes_bucket{");
		histogram_labels(out, h);
		if (b < PKT_SIZE_BUCKETS - 1)
			strbuf_printf(out, ",le=\"%u\"} %llu\n", bucket_le[b], (unsigned long long)cum);
		else
			strbuf_printf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	strbuf_puts(out, "tcflow_packet_size_bytes_sum{");
	histogram_labels(out, h);
	strbuf_printf(out, "} %llu\ntcflow_packet_size_bytes_count{", (unsigned long long)h->sum);
	histogram_labels(out, h);
	strbuf_printf(out, "} %llu\n", (unsigned long long)h->count);
}

void hub_render(struct event_hub *hub, struct strbuf *out, uint64_t ring_full)
{
	pthread_mutex_lock(&hub->lock);
	strbuf_printf(out,
		"# HELP tcflow_events_total Raw packet events read from the kernel's ring buffer.\n"
		"# TYPE tcflow_events_total counter\n"
		"tcflow_events_total %llu\n"
		"# HELP tcflow_events_dropped_total Events lost: ring_full in the kernel, client_slow for a subscriber that fell behind, undecodable records.\n"
		"# TYPE tcflow_events_dropped_total counter\n"
		"tcflow_events_dropped_total{reason=\"ring_full\"} %llu\n"
		"tcflow_events_dropped_total{reason=\"client_slow\"} %llu\n"
		"tcflow_events_dropped_total{reason=\"undecodable\"} %llu\n"
		"# HELP tcflow_event_subscribers Clients of /events and --events.stdout now reading events.\n"
		"# TYPE tcflow_event_subscribers gauge\n"
		"tcflow_event_subscribers %d\n"
		"# HELP tcflow_packet_size_bytes Sizes of the packets that raised events (a sample, see --events.sample).\n"
		"# TYPE tcflow_packet_size_bytes histogram\n",
		(unsigned long long)hub->events_total, (unsigned long long)ring_full,
		(unsigned long long)hub->dropped_client,
		(unsigned long long)hub->dropped_undecodable, hub->n_subs);
	for (int i = 0; i < hub->n_hist; i++)
		render_histogram(out, &hub->hist[i]);
	pthread_mutex_unlock(&hub->lock);
}
