/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One scrape: read the kernel's tables, fold them into the series store,
 * render. One map walk at a time: requests that arrive while a scrape is
 * running wait for it and share its result instead of walking the maps
 * again. Results are immutable, reference-counted bodies.
 */
#ifndef TCFLOW_SCRAPE_H
#define TCFLOW_SCRAPE_H

#include <pthread.h>
#include "aggregate.h"
#include "expo.h"
#include "gzip.h"
#include "map_reader.h"
#include "render.h"
#include "series.h"
#include "strbuf.h"

struct flow_expiry;
struct iface_follow;
struct event_hub;
struct worker;

enum scrape_format { FORMAT_TEXT = EXPO_TEXT, FORMAT_OPENMETRICS = EXPO_OPENMETRICS };

/* Bodies whose text would pass this are kept gzipped only, compressed as
 * they are rendered: at a million series, 23 MB instead of 316 MB. */
#define SCRAPE_TEXT_MAX ((size_t)32 << 20)

/* A text held whole from this length up is gzipped in two halves at once,
 * the second on a second thread, where there is one. Below it the gzip
 * takes under 2 ms, and an exporter that never makes a larger text starts
 * no thread for it. */
#define SCRAPE_GZIP_SPLIT ((size_t)4 << 20)

/* What one body tells the rendering of the next. */
struct scrape_work {
	struct strbuf buf;	/* a gzip-only body's chunk buffer, not faulted in again */
	size_t last_len;	/* the last text's length */
	struct strbuf side_text, side_out;	/* a family made beside another */
	/* A second thread: it renders and compresses the second half of a
	 * large body's flow series into twin_text and twin_out. */
	struct worker *worker;
	struct strbuf twin_text[2], twin_out[2];
	int one_thread;		/* no second thread: one CPU, or a test */
};
/* w's thread, started on first need; NULL with one CPU, or none to be had. */
struct worker *scrape_worker(struct scrape_work *w);
void scrape_work_free(struct scrape_work *w);
/* text as one gzip member into gz (emptied first), its second half
 * compressed on w where w is not NULL and text is split bytes or more
 * (SCRAPE_GZIP_SPLIT). 0 or -1. */
int scrape_gzip(const struct strbuf *text, struct strbuf *gz, struct worker *w, size_t split);

struct scrape_body {
	int refs;
	enum scrape_format format;
	int compressed_only;	/* text is empty: gzip holds it all */
	size_t text_len;	/* the text's length, held whole or not */
	struct strbuf text;
	struct strbuf gzip;	/* filled as rendered, or on the first gzip request */
};

struct scraper {
	pthread_mutex_t lock;
	int flows_fd, ifaces_fd, losses_fd;
	int exporter_metrics;	/* render process_* */
	int openmetrics_created;	/* x_created samples in OpenMetrics */
	struct event_hub *hub;	/* NULL when events are off */
	uint64_t flow_max_entries;
	struct flow_expiry *expiry;	/* NULL without --flow.idle-timeout */
	struct iface_follow *follow;	/* NULL in replay: no interface health */
	uint64_t evictions;	/* estimate, kept monotonic across scrapes */
	double start_time;	/* unix time: the _created of process-long counters */
	struct snapshot snap;
	struct series_store series;
	pthread_cond_t done;	/* broadcast when a scrape finishes */
	int running;		/* a scrape is walking the maps */
	enum scrape_format running_format;
	unsigned long generation;	/* scrapes finished so far */
	struct scrape_body *latest;	/* result of the last finished scrape */
	struct scrape_body *spare;	/* a released body, reused to save allocations */
	size_t text_max;	/* SCRAPE_TEXT_MAX; tests make it small */
	size_t gzip_split;	/* SCRAPE_GZIP_SPLIT; tests make it small */
	struct scrape_work work;	/* see scrape_render */
	/* Under the lock: a body's gzip made on request. Not work's worker,
	 * which a scrape may be using meanwhile. */
	struct worker *gzip_worker;
	int gzip_one_thread;	/* as work.one_thread, for gzip_worker */
	/* Families of other parts (the HTTP server), rendered last. */
	void (*extra_render)(void *cls, struct expo *e);
	void *extra_cls;
};

/* labels must outlive the scraper. */
void scraper_init(struct scraper *s, int flows_fd, int ifaces_fd, int losses_fd,
		  int exporter_metrics, const struct label_set *labels);
void scraper_destroy(struct scraper *s);
/* Reads the kernel's tables into s->snap (totals) and s->series (flows);
 * the seconds it took. Only one caller at a time: scraper_get sees to it. */
double scraper_read(struct scraper *s);
/* The result of a scrape in format that finished after the call was made
 * (its own, or one already running), with a reference the caller gives
 * back with scraper_put. With gzip, body->gzip is filled. NULL when memory
 * ran out. */
struct scrape_body *scraper_get(struct scraper *s, enum scrape_format format, int gzip);
/* The bytes to send for a body got with the same gzip; NULL when the
 * text is to be inflated from b->gzip as it is sent (compressed_only). */
const struct strbuf *scrape_payload(const struct scrape_body *b, enum scrape_format format,
				    int gzip);
void scraper_put(struct scraper *s, struct scrape_body *b);
/* Renders in into b: the text whole, or, once it passes text_max (or,
 * after a body that did, from its first megabyte, with the packets family
 * made beside the bytes family), gzipped as it goes. w is kept from one
 * body to the next. 0, or -1 when memory ran out. */
int scrape_render(struct scrape_body *b, enum scrape_format format, struct render_input *in,
		  size_t text_max, struct scrape_work *w);

#endif
