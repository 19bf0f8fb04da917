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
	s->flows_fd = flows_fd;
	s->ifaces_fd = ifaces_fd;
	s->losses_fd = losses_fd;
	s->exporter_metrics = exporter_metrics;
	s->latest_started = -1;
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

static struct scrape_body *render_new(struct scraper *s, double started)
{
	struct scrape_body *b = s->spare ? s->spare : calloc(1, sizeof(*b));
	struct process_stats ps;
	struct render_input in = { .snap = &s->snap };

	s->spare = NULL;
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

struct scrape_body *scraper_get(struct scraper *s, int gzip)
{
	double arrived = now_seconds();
	struct scrape_body *b;

	pthread_mutex_lock(&s->lock);
	/* A scrape that started after we arrived has data as fresh as we need. */
	if (!s->latest || s->latest_started < arrived) {
		b = render_new(s, arrived);
		if (!b) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		if (s->latest)
			release(s, s->latest);
		s->latest = b;
		s->latest_started = arrived;
	}
	b = s->latest;
	if (gzip && !b->gzip.len && gzip_compress(&b->text, &b->gzip))
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
