// SPDX-License-Identifier: BSD-2-Clause
/*
 * A scrape's body: the text rendered whole, or, past text_max, gzipped as
 * it is rendered, its packets family made beside its bytes family and,
 * with a second CPU, the second half of its flow series rendered and
 * compressed on the scrape's second thread; all of it spliced into one
 * gzip member (doc/design.md).
 */
#include "scrape.h"

#include <stdlib.h>

#include "gzip.h"
#include "render.h"
#include "worker.h"

struct worker *scrape_worker(struct scrape_work *w)
{
	return worker_lazy(&w->worker, &w->one_thread);
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
			      enum expo_format format, int created, size_t at)
{
	strbuf_reset(text);
	strbuf_reset(out);
	expo_init(&d->e, text, format);
	d->e.created = created;
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

	if (out->oom)
		return;	/* the body is lost: the streams may be half made */
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
	deflate_sink_init(&t->bytes, &w->twin_text[0], &w->twin_out[0], e->format, e->created,
			  g->side.base.at);
	deflate_sink_init(&t->packets, &w->twin_text[1], &w->twin_out[1], e->format, e->created,
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

/* The second half of a body's text, compressed on the worker. */
struct gzip_half {
	struct gzip_stream *z;
	const char *data;
	size_t len;
	struct strbuf out;
	int failed;
};

static void gzip_half_run(void *arg)
{
	struct gzip_half *h = arg;

	h->failed = gzip_stream_write(h->z, h->data, h->len, GZIP_FULL, &h->out);
}

int scrape_gzip(const struct strbuf *text, struct strbuf *gz, struct worker *w, size_t split)
{
	size_t mid = text->len / 2;
	struct gzip_half h = { .data = text->data + mid, .len = text->len - mid };
	struct gzip_stream *z;
	int err;

	if (!w || text->len < split)
		return gzip_compress(text, gz);
	strbuf_reset(gz);
	z = gzip_stream_new(1);
	h.z = gzip_stream_new(0);
	/* Reserved here: its pages then come from this thread's heap, where
	 * the body's gzip goes next. */
	err = !z || !h.z || strbuf_reserve(&h.out, h.len / 8);
	if (!err) {
		worker_start(w, gzip_half_run, &h);
		err = gzip_stream_write(z, text->data, mid, GZIP_MORE, gz);
		worker_join(w);
	}
	err = err || h.failed || gzip_stream_splice(z, gz, h.z, &h.out) ||
	      gzip_stream_write(z, NULL, 0, GZIP_END, gz);
	gzip_stream_free(z);
	gzip_stream_free(h.z);
	strbuf_free(&h.out);
	return err ? -1 : 0;
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
			int created, size_t at)
{
	g->base.at = at;
	deflate_sink_init(&g->side, &w->side_text, &w->side_out, (enum expo_format)format,
			  created, at);
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
		begin_large(&g, w, format, in->created,
			    GZIP_CHUNK < text_max ? GZIP_CHUNK : text_max);
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

