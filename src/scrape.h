/* One map walk at a time: requests that arrive while a scrape is running
 * wait for it and share its result instead of walking the map again. */
#ifndef TCFLOW_SCRAPE_H
#define TCFLOW_SCRAPE_H

#include <pthread.h>
#include "map_reader.h"
#include "strbuf.h"

struct scrape_body {
	int refs;
	struct strbuf text;
	struct strbuf gzip;	/* filled on the first request that accepts gzip */
};

struct scraper {
	pthread_mutex_t lock;
	int flows_fd, ifaces_fd, losses_fd;
	int exporter_metrics;	/* render process_* */
	struct event_hub *hub;	/* NULL when events are off */
	uint64_t flow_max_entries;
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
struct scrape_body *scraper_get(struct scraper *s, int gzip);
void scraper_put(struct scraper *s, struct scrape_body *b);
/* Deflates in into out with a gzip wrapper. Returns 0 or -1. */
int gzip_compress(const struct strbuf *in, struct strbuf *out);

#endif
