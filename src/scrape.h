/* One map walk at a time: requests that arrive while a scrape is running
 * wait for it and share its result instead of walking the map again. */
#ifndef TCFLOW_SCRAPE_H
#define TCFLOW_SCRAPE_H

#include <pthread.h>
#include "aggregate.h"
#include "map_reader.h"

struct flow_expiry;
struct iface_follow;
#include "strbuf.h"

struct scrape_body {
	int refs;
	struct strbuf text;
	struct strbuf gzip;	/* filled on the first request that accepts gzip */
	struct strbuf om;	/* OpenMetrics 1.0, made from text on first request */
	struct strbuf om_gzip;
};

enum scrape_format { FORMAT_TEXT = 0, FORMAT_OPENMETRICS = 1 };

struct scraper {
	pthread_mutex_t lock;
	int flows_fd, ifaces_fd, losses_fd;
	int exporter_metrics;	/* render process_* */
	struct event_hub *hub;	/* NULL when events are off */
	uint64_t flow_max_entries;
	const struct label_set *labels;
	struct flow_expiry *expiry;	/* NULL without --flow.idle-timeout */
	struct iface_follow *follow;	/* NULL in replay: no interface health */
	uint64_t evictions;	/* estimate, kept monotonic across scrapes */
	struct snapshot snap;
	pthread_cond_t done;	/* broadcast when a scrape finishes */
	int running;		/* a scrape is walking the maps */
	unsigned long generation;	/* scrapes finished so far */
	struct scrape_body *latest;	/* result of the last finished scrape */
	struct scrape_body *spare;	/* a released body, reused to save allocations */
};

void scraper_init(struct scraper *s, int flows_fd, int ifaces_fd, int losses_fd,
		  int exporter_metrics);
void scraper_destroy(struct scraper *s);
/* The result of a scrape that finished after the call was made (its own,
 * or the one already running), with a reference the caller gives back
 * with scraper_put. With gzip, body->gzip is filled. NULL when memory
 * ran out. */
struct scrape_body *scraper_get(struct scraper *s, enum scrape_format format, int gzip);
/* The bytes to send for a body got with the same format and gzip. */
const struct strbuf *scrape_payload(const struct scrape_body *b, enum scrape_format format,
				    int gzip);
/* Text format 0.0.4 to OpenMetrics 1.0: counter families are named without
 * _total in HELP and TYPE, and the exposition ends with # EOF. */
int openmetrics_from_text(const struct strbuf *text, struct strbuf *om);
void scraper_put(struct scraper *s, struct scrape_body *b);
/* Deflates in into out with a gzip wrapper. Returns 0 or -1. */
int gzip_compress(const struct strbuf *in, struct strbuf *out);

#endif
