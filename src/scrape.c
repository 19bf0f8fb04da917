#include "scrape.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "process_metrics.h"
#include "flow_expiry.h"
#include "render.h"

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void scraper_init(struct scraper *s, int flows_fd, int ifaces_fd, int losses_fd,
		  int exporter_metrics)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->done, NULL);
	s->flows_fd = flows_fd;
	s->ifaces_fd = ifaces_fd;
	s->losses_fd = losses_fd;
	s->exporter_metrics = exporter_metrics;
}

static void body_free(struct scrape_body *b)
{
	if (!b)
		return;
	strbuf_free(&b->text);
	strbuf_free(&b->gzip);
	strbuf_free(&b->om);
	strbuf_free(&b->om_gzip);
	free(b);
}

void scraper_destroy(struct scraper *s)
{
	body_free(s->latest);
	body_free(s->spare);
	snapshot_free(&s->snap);
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

/* Runs without the lock: s->running keeps it the only walker of s->snap.
 * b is a body to reuse, or NULL. */
static struct scrape_body *render_new(struct scraper *s, struct scrape_body *b,
				      double started)
{
	struct process_stats ps;
	struct render_input in = { .snap = &s->snap, .hub = s->hub,
				   .flow_max_entries = s->flow_max_entries,
				   .labels = s->labels, .expiry = s->expiry,
				   .follow = __atomic_load_n(&s->follow, __ATOMIC_ACQUIRE),
				   .evictions = &s->evictions };

	if (!b)
		b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	strbuf_reset(&b->text);
	strbuf_reset(&b->gzip);
	strbuf_reset(&b->om);
	strbuf_reset(&b->om_gzip);
	if (s->expiry)
		flow_expiry_begin_read(s->expiry, &s->snap);
	snapshot_read(&s->snap, s->flows_fd, s->ifaces_fd, s->losses_fd);
	if (s->expiry)
		flow_expiry_end_read(s->expiry);
	in.read_seconds = now_seconds() - started;
	if (s->exporter_metrics && process_stats_read(&ps) == 0)
		in.proc = &ps;
	render_exposition(&b->text, &in);
	if (s->expiry)
		flow_expiry_return(s->expiry, &s->snap);
	if (b->text.oom) {
		body_free(b);
		return NULL;
	}
	b->refs = 1;	/* the cache's own reference */
	return b;
}

/* Called with the lock held: the result of the scrape in progress, or a
 * new scrape of our own when none is running. */
static struct scrape_body *latest_or_new(struct scraper *s)
{
	unsigned long gen = s->generation;
	struct scrape_body *b = s->spare;

	if (s->running) {
		/* Share the walk already under way instead of starting another. */
		while (s->generation == gen)
			pthread_cond_wait(&s->done, &s->lock);
		return s->latest;
	}
	s->running = 1;
	s->spare = NULL;
	pthread_mutex_unlock(&s->lock);
	b = render_new(s, b, now_seconds());
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

/* Called with the lock held: makes the variant a request needs, once. */
static int make_variant(struct scrape_body *b, enum scrape_format format, int gzip)
{
	const struct strbuf *src = format == FORMAT_OPENMETRICS ? &b->om : &b->text;
	struct strbuf *gz = format == FORMAT_OPENMETRICS ? &b->om_gzip : &b->gzip;

	/* A failed variant is emptied, never cached half made. */
	if (format == FORMAT_OPENMETRICS && !b->om.len &&
	    openmetrics_from_text(&b->text, &b->om)) {
		strbuf_reset(&b->om);
		return -1;
	}
	if (!gzip || gz->len)
		return 0;
	if (gzip_compress(src, gz)) {
		strbuf_reset(gz);
		return -1;
	}
	return 0;
}

const struct strbuf *scrape_payload(const struct scrape_body *b, enum scrape_format format,
				    int gzip)
{
	if (format == FORMAT_OPENMETRICS)
		return gzip ? &b->om_gzip : &b->om;
	return gzip ? &b->gzip : &b->text;
}

int openmetrics_from_text(const struct strbuf *text, struct strbuf *om)
{
	const char *p = text->data, *end = text->data + text->len;

	strbuf_reset(om);
	strbuf_reserve(om, text->len + 16);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *total = len > 8 && (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7)) ?
				    strstr(p + 7, "_total ") : NULL;

		/* Only metadata lines change: "# HELP x_total ..." -> "# HELP x ...". */
		if (total && total < p + len && !memchr(p + 7, ' ', (size_t)(total - p - 7))) {
			strbuf_append(om, p, (size_t)(total - p));
			strbuf_append(om, total + 6, len - (size_t)(total + 6 - p));
		} else {
			strbuf_append(om, p, len);
		}
		p += len;
	}
	strbuf_puts(om, "# EOF\n");
	return om->oom ? -1 : 0;
}

struct scrape_body *scraper_get(struct scraper *s, enum scrape_format format, int gzip)
{
	struct scrape_body *b;

	pthread_mutex_lock(&s->lock);
	b = latest_or_new(s);
	if (b && make_variant(b, format, gzip))
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

int gzip_compress(const struct strbuf *in, struct strbuf *out)
{
	z_stream zs = { 0 };
	int rc;

	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
	/* Level 1: exposition text is repetitive enough that the fastest level
	 * still shrinks it ~15 times, at a third of the default level's cost. */
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	strbuf_reset(out);
	if (strbuf_reserve(out, deflateBound(&zs, in->len))) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)in->data;
	zs.avail_in = (uInt)in->len;
	zs.next_out = (Bytef *)out->data;
	zs.avail_out = (uInt)(out->cap - 1);
	rc = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -1;
}
