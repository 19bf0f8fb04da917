// SPDX-License-Identifier: BSD-2-Clause
#include "scrape.h"

#include <stddef.h>
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
	s->read_ahead_min = READ_AHEAD_MIN;
	s->work.one_thread = sysconf(_SC_NPROCESSORS_ONLN) < 2;
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

struct worker *scrape_worker(struct scrape_work *w)
{
	if (!w->worker && !w->one_thread && !(w->worker = worker_new()))
		w->one_thread = 1;	/* no thread to be had: one from now on */
	return w->worker;
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
	err = map_drain_ahead(s->flows_fd, r.key_size, sizeof(struct flow_value), read_flow, &r,
			      s->snap.n_flows >= s->read_ahead_min ? scrape_worker(&s->work) : NULL);
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

/* Once a body is to be kept gzipped, the text is compressed a megabyte at
 * a time, while it is still in the cache. */
#define GZIP_CHUNK ((size_t)1 << 20)

/* A text written to bare deflate data, to be spliced into the member. */
struct deflate_sink {
	struct expo_sink base;	/* first: expo_flush hands this back */
	struct expo e;		/* e.out: the text */
	struct gzip_stream *z;
	struct strbuf *out;
};

/* The flow series' second half, rendered and compressed on the worker. */
struct twin {
	struct deflate_sink bytes, packets;
	void (*fn)(void *arg, struct expo *e, struct expo *side);
	void *arg;
	int failed, joined;
};

struct gzip_sink {
	struct expo_sink base;	/* first: the renderer hands this back */
	struct gzip_stream *z;	/* the member */
	struct strbuf *gz;
	struct scrape_work *work;
	/* The packets family, written beside the bytes family and compressed
	 * apart, so that its labels are not made a second time. */
	struct deflate_sink side;
	struct twin twin;
};

static int compress(struct gzip_stream **z, int member, const struct strbuf *text,
		    enum gzip_flush flush, struct strbuf *out)
{
	if (!*z)
		*z = gzip_stream_new(member);
	return !*z || gzip_stream_write(*z, text->data, text->len, flush, out) ? -1 : 0;
}

static void gzip_chunk(struct expo_sink *sink, struct strbuf *out)
{
	struct gzip_sink *g = (struct gzip_sink *)sink;

	if (compress(&g->z, 1, out, GZIP_MORE, g->gz))
		out->oom = 1;
	sink->at = GZIP_CHUNK;
}

static void deflate_chunk(struct expo_sink *sink, struct strbuf *text)
{
	struct deflate_sink *d = (struct deflate_sink *)sink;

	if (compress(&d->z, 0, text, GZIP_MORE, d->out))
		text->oom = 1;
}

static void deflate_sink_init(struct deflate_sink *d, struct strbuf *text, struct strbuf *out,
			      enum expo_format format, size_t at)
{
	strbuf_reset(text);
	strbuf_reset(out);
	expo_init(&d->e, text, format);
	d->base = (struct expo_sink){ .at = at, .flush = deflate_chunk };
	d->e.sink = &d->base;
	d->z = NULL;
	d->out = out;
}

/* What d's text still holds to its deflate data, which then ends
 * byte-aligned with a fresh history: ready to be spliced. */
static int deflate_finish(struct deflate_sink *d)
{
	struct strbuf *text = d->e.out;

	if (compress(&d->z, 0, text, GZIP_FULL, d->out))
		return -1;
	d->base.flushed += text->len;
	strbuf_reset(text);
	return 0;
}

/* Puts from's deflate data after into's (a bare stream, or the member). */
static int splice_after(struct gzip_stream **into, int member, struct strbuf *text,
			struct strbuf *out, struct deflate_sink *from)
{
	return compress(into, member, text, GZIP_FULL, out) ||
	       gzip_stream_splice(*into, out, from->z, from->out) ? -1 : 0;
}

/* The packets family's header is the last of out: its samples follow. */
static void gzip_splice(struct expo_sink *sink, struct strbuf *out)
{
	struct gzip_sink *g = (struct gzip_sink *)sink;
	struct deflate_sink *twin = g->twin.joined ? &g->twin.packets : NULL;
	size_t len = out->len;

	if (deflate_finish(&g->side) || splice_after(&g->z, 1, out, g->gz, &g->side) ||
	    (twin && gzip_stream_splice(g->z, g->gz, twin->z, twin->out))) {
		out->oom = 1;
		return;
	}
	sink->flushed += len + g->side.base.flushed + (twin ? twin->base.flushed : 0);
	strbuf_reset(out);
}

static void twin_run(void *arg)
{
	struct twin *t = arg;

	t->fn(t->arg, &t->bytes.e, &t->packets.e);
	t->failed = t->bytes.e.out->oom || t->packets.e.out->oom ||
		    deflate_finish(&t->bytes) || deflate_finish(&t->packets);
}

static int twin_start(struct expo_sink *sink, const struct expo *e, const struct expo *side,
		      void (*fn)(void *arg, struct expo *e, struct expo *side), void *arg)
{
	struct gzip_sink *g = (struct gzip_sink *)sink;
	struct scrape_work *w = g->work;
	struct twin *t = &g->twin;

	if (!scrape_worker(w))
		return -1;
	deflate_sink_init(&t->bytes, &w->twin_text[0], &w->twin_out[0], e->format, g->side.base.at);
	deflate_sink_init(&t->packets, &w->twin_text[1], &w->twin_out[1], e->format,
			  g->side.base.at);
	/* Made here, so that they and their growth stay in this thread's heap,
	 * where the body's gzip can reuse what they free (at 1M series in
	 * OpenMetrics, 3-5 MiB of peak RSS). */
	t->bytes.z = gzip_stream_new(0);
	t->packets.z = gzip_stream_new(0);
	for (int i = 0; i < 2; i++) {
		strbuf_reserve(&w->twin_text[i], 2 * g->side.base.at);
		strbuf_reserve(&w->twin_out[i], g->side.base.at);
	}
	expo_family_begin(&t->bytes.e, e->family, e->type);
	expo_family_begin(&t->packets.e, side->family, side->type);
	t->fn = fn;
	t->arg = arg;
	t->failed = 0;
	worker_start(w->worker, twin_run, t);
	return 0;
}

/* The twin's bytes after out; its packets go in after the side's, at the
 * packets family, so that they are not copied in between. */
static void twin_join(struct expo_sink *sink, struct strbuf *out)
{
	struct gzip_sink *g = (struct gzip_sink *)sink;
	struct twin *t = &g->twin;
	size_t len = out->len;

	worker_join(g->work->worker);
	t->joined = 1;
	if (t->failed || splice_after(&g->z, 1, out, g->gz, &t->bytes))
		out->oom = 1;
	sink->flushed += len + t->bytes.base.flushed;
	strbuf_reset(out);
	strbuf_free(t->bytes.out);	/* spliced: not held while the body grows */
}

void scrape_work_free(struct scrape_work *w)
{
	worker_free(w->worker);
	w->worker = NULL;
	strbuf_free(&w->buf);
	strbuf_free(&w->side_text);
	strbuf_free(&w->side_out);
	for (int i = 0; i < 2; i++) {
		strbuf_free(&w->twin_text[i]);
		strbuf_free(&w->twin_out[i]);
	}
}

static void strbuf_swap(struct strbuf *a, struct strbuf *b)
{
	struct strbuf t = *a;

	*a = *b;
	*b = t;
}

/* After a large body, the next is taken for large from the start. */
static void begin_large(struct gzip_sink *g, struct scrape_work *w, enum scrape_format format,
			size_t at)
{
	g->base.at = at;
	deflate_sink_init(&g->side, &w->side_text, &w->side_out, (enum expo_format)format, at);
	g->base.side = &g->side.e;
	g->base.splice = gzip_splice;
	g->base.twin = twin_start;
	g->base.twin_join = twin_join;
}

int scrape_render(struct scrape_body *b, enum scrape_format format, struct render_input *in,
		  size_t text_max, struct scrape_work *w)
{
	struct gzip_sink g = { .base = { .at = text_max, .flush = gzip_chunk }, .gz = &b->gzip,
			       .work = w };
	int err;

	/* The text of a large body is not held up to text_max first, and its
	 * packets family is made beside its bytes family. */
	if (w->last_len > text_max)
		begin_large(&g, w, format, GZIP_CHUNK < text_max ? GZIP_CHUNK : text_max);
	/* Write into the larger buffer: the other is let go. */
	if (w->buf.cap > b->text.cap)
		strbuf_swap(&w->buf, &b->text);
	strbuf_free(&w->buf);
	strbuf_reset(&b->text);
	strbuf_reset(&b->gzip);
	b->format = format;
	in->sink = &g.base;
	render_exposition(&b->text, (enum expo_format)format, in);
	in->sink = NULL;
	b->compressed_only = g.base.flushed > 0;
	b->text_len = g.base.flushed + b->text.len;
	w->last_len = b->text_len;
	err = b->text.oom;
	if (!err && b->compressed_only) {
		err = compress(&g.z, 1, &b->text, GZIP_END, &b->gzip);
		/* The chunk is kept for the next, unless it grew to text_max. */
		strbuf_swap(&w->buf, &b->text);
		if (w->buf.cap > 4 * GZIP_CHUNK)
			strbuf_free(&w->buf);
	}
	gzip_stream_free(g.z);
	gzip_stream_free(g.side.z);
	gzip_stream_free(g.twin.bytes.z);
	gzip_stream_free(g.twin.packets.z);
	return err ? -1 : 0;
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
 * failed variant is emptied, never cached half made. */
static int make_gzip(struct scrape_body *b)
{
	if (b->gzip.len)
		return 0;
	if (gzip_compress(&b->text, &b->gzip)) {
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
	if (b && gzip && make_gzip(b))
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
