#include "scrape.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "process_metrics.h"
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
				   .flow_max_entries = s->flow_max_entries };

	if (!b)
		b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	strbuf_reset(&b->text);
	strbuf_reset(&b->gzip);
	snapshot_read(&s->snap, s->flows_fd, s->ifaces_fd, s->losses_fd);
	in.read_seconds = now_seconds() - started;
	if (s->exporter_metrics && process_stats_read(&ps) == 0)
		in.proc = &ps;
	render_exposition(&b->text, &in);
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

struct scrape_body *scraper_get(struct scraper *s, int gzip)
{
	struct scrape_body *b;

	pthread_mutex_lock(&s->lock);
	b = latest_or_new(s);
	if (b && gzip && !b->gzip.len && gzip_compress(&b->text, &b->gzip))
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
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
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
