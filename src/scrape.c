// SPDX-License-Identifier: BSD-2-Clause
#include "scrape.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event_hub.h"
#include "flow_expiry.h"
#include "log.h"
#include "process_metrics.h"
#include "iface_follow.h"
#include "render.h"
#include "worker.h"

static double clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void scraper_init(struct scraper *s, int flows_fd, int ifaces_fd, int losses_fd,
		  int exporter_metrics, const struct label_set *labels)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->done, NULL);
	s->flows_fd = flows_fd;
	s->ifaces_fd = ifaces_fd;
	s->losses_fd = losses_fd;
	s->exporter_metrics = exporter_metrics;
	s->start_time = clock_seconds(CLOCK_REALTIME);
	s->text_max = SCRAPE_TEXT_MAX;
	s->gzip_split = SCRAPE_GZIP_SPLIT;
	s->work.one_thread = sysconf(_SC_NPROCESSORS_ONLN) < 2;
	s->gzip_one_thread = s->work.one_thread;
	series_init(&s->series, labels);
}

static void body_free(struct scrape_body *b)
{
	if (!b)
		return;
	strbuf_free(&b->text);
	strbuf_free(&b->gzip);
	free(b);
}

void scraper_destroy(struct scraper *s)
{
	body_free(s->latest);
	body_free(s->spare);
	scrape_work_free(&s->work);
	worker_free(s->gzip_worker);
	snapshot_free(&s->snap);
	series_free(&s->series);
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->lock);
}

/* Called with the lock held. */
static void release(struct scraper *s, struct scrape_body *b)
{
	if (--b->refs > 0)
		return;
	if (!s->spare) {
		s->spare = b;
		return;
	}
	body_free(b);
}

/* Every flow the kernel inserted is still there, expired by us, or was
 * evicted by the LRU: evictions = inserts - entries - expired. A partial
 * read would make a flow look evicted, and the estimate never goes down. */
static void estimate_evictions(struct scraper *s, uint64_t expired)
{
	uint64_t inserts = s->snap.losses[TCFLOW_STAT_FLOW_INSERTS];
	uint64_t known = s->snap.n_flows + expired;
	uint64_t gone = inserts > known ? inserts - known : 0;

	if (s->snap.flows_ok && s->snap.losses_ok && gone > s->evictions)
		s->evictions = gone;
}

struct flow_reader {
	struct series_store *series;	/* NULL: count only */
	size_t n;
	size_t key_size;	/* the table's: without owners, shorter */
};

static int read_flow(void *ctx, const void *key, const void *value)
{
	struct flow_reader *r = ctx;
	struct flow_key whole;

	r->n++;
	if (!r->series)
		return 0;
	if (r->key_size < sizeof(whole)) {
		flow_key_load(&whole, key, r->key_size);
		key = &whole;
	}
	series_flow(r->series, key, value);
	return 0;
}

/* Flows the idle sweeper deleted since the last scrape: what they counted
 * after that scrape read them, and a clean start if they are back. */
static void credit_gone(struct scraper *s)
{
	struct flow_entry *gone;
	size_t n = flow_expiry_take_gone(s->expiry, &gone);

	for (size_t i = 0; i < n; i++)
		series_flow_gone(&s->series, &gone[i].key, &gone[i].val);
	free(gone);
}

/* Reads the maps and folds them into the series, the flow table streamed
 * from the batch reads into the accounting (no copy of it is kept). Runs
 * without the lock: s->running keeps it the only writer of s->snap and
 * s->series. Returns the seconds the reads took. */
double scraper_read(struct scraper *s)
{
	double started = clock_seconds(CLOCK_MONOTONIC), took;
	struct flow_reader r = { .series = NULL, .key_size = flow_key_size(s->flows_fd) };
	int err;

	snapshot_read_totals(&s->snap, s->ifaces_fd, s->losses_fd);
	/* Without the totals the accounting cannot tell what was lost. */
	if (s->snap.ifaces_ok) {
		series_begin(&s->series, &s->snap, monotonic_ns(), clock_seconds(CLOCK_REALTIME));
		r.series = &s->series;
	}
	if (s->expiry)
		flow_expiry_begin_read(s->expiry);
	if (s->expiry && r.series)
		credit_gone(s);
	err = map_drain(s->flows_fd, r.key_size, sizeof(struct flow_value), read_flow, &r);
	if (s->expiry)
		flow_expiry_end_read(s->expiry);
	took = clock_seconds(CLOCK_MONOTONIC) - started;
	s->snap.flows_ok = !err;
	s->snap.n_flows = r.n;
	if (err)
		pr_warn("reading the flow table: %s\n", strerror(-err));
	if (r.series && series_end(&s->series, !err))
		pr_warn("out of memory while updating the series: the next scrape catches up\n");
	estimate_evictions(s, s->expiry ? flow_expiry_count(s->expiry) : 0);
	return took;
}

/* b is a body to reuse, or NULL. */
static struct scrape_body *scrape_new(struct scraper *s, struct scrape_body *b,
				      enum scrape_format format)
{
	struct process_stats ps;
	struct hub_stats *hub = NULL;
	struct iface_follow *follow = __atomic_load_n(&s->follow, __ATOMIC_ACQUIRE);
	struct iface_health_view ifaces = { 0 };
	struct render_input in = { .series = &s->series, .snap = &s->snap,
				   .flow_max_entries = s->flow_max_entries,
				   .start_time = s->start_time };
	int err;

	if (!b)
		b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	in.read_seconds = scraper_read(s);
	in.created = s->openmetrics_created;
	in.expired = s->expiry ? flow_expiry_count(s->expiry) : 0;
	in.evictions = s->evictions;
	if (s->exporter_metrics && process_metrics_read(&ps) == 0)
		in.proc = &ps;
	if (s->hub && (hub = malloc(sizeof(*hub))))
		hub_snapshot(s->hub, hub);
	in.hub = hub;
	in.extra = s->extra_render;
	in.extra_cls = s->extra_cls;
	if (follow && iface_follow_snapshot(follow, &ifaces) == 0)
		in.ifaces = &ifaces;
	err = scrape_render(b, format, &in, s->text_max, &s->work);
	free(hub);
	free(ifaces.hooks);
	if (err) {
		body_free(b);
		return NULL;
	}
	b->refs = 1;	/* the cache's own reference */
	return b;
}

/* Called with the lock held: the result of a scrape in this format that
 * started after the request arrived, shared with others where one runs. */
static struct scrape_body *latest_or_new(struct scraper *s, enum scrape_format format)
{
	unsigned long gen = s->generation;
	struct scrape_body *b;

	while (s->running) {
		int same = s->running_format == format;

		while (s->running && s->generation == gen)
			pthread_cond_wait(&s->done, &s->lock);
		/* Share the walk that was under way, if it spoke our format. */
		if (same && s->generation != gen && s->latest && s->latest->format == format)
			return s->latest;
		gen = s->generation;
	}
	s->running = 1;
	s->running_format = format;
	b = s->spare;
	s->spare = NULL;
	pthread_mutex_unlock(&s->lock);
	b = scrape_new(s, b, format);
	pthread_mutex_lock(&s->lock);
	if (b) {
		if (s->latest)
			release(s, s->latest);
		s->latest = b;
	}
	s->running = 0;
	s->generation++;
	pthread_cond_broadcast(&s->done);
	return b;
}

/* Called with the lock held: the gzip variant, made once per body. A
 * failed variant is emptied, never cached half made. Its second thread is
 * not the render's, which a scrape running beside may hold, and starts
 * only for a text worth splitting. */
static int make_gzip(struct scraper *s, struct scrape_body *b)
{
	if (b->gzip.len)
		return 0;
	if (b->text.len >= s->gzip_split)
		worker_lazy(&s->gzip_worker, &s->gzip_one_thread);
	if (scrape_gzip(&b->text, &b->gzip, s->gzip_worker, s->gzip_split)) {
		strbuf_reset(&b->gzip);
		return -1;
	}
	return 0;
}

const struct strbuf *scrape_payload(const struct scrape_body *b, enum scrape_format format,
				    int gzip)
{
	(void)format;	/* a body has one format: the one it was made in */
	if (gzip)
		return &b->gzip;
	return b->compressed_only ? NULL : &b->text;
}

struct scrape_body *scraper_get(struct scraper *s, enum scrape_format format, int gzip)
{
	struct scrape_body *b;

	pthread_mutex_lock(&s->lock);
	b = latest_or_new(s, format);
	if (b && gzip && make_gzip(s, b))
		b = NULL;
	if (b)
		b->refs++;
	pthread_mutex_unlock(&s->lock);
	return b;
}

void scraper_put(struct scraper *s, struct scrape_body *b)
{
	pthread_mutex_lock(&s->lock);
	release(s, b);
	pthread_mutex_unlock(&s->lock);
}
