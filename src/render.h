/* The Prometheus text exposition (format 0.0.4) of one snapshot. */
#ifndef TCFLOW_RENDER_H
#define TCFLOW_RENDER_H

#include "aggregate.h"
#include "events.h"
#include "map_reader.h"
#include "process_metrics.h"
#include "strbuf.h"

struct iface_follow;

struct render_input {
	struct snapshot *snap;		/* flows are sorted in place */
	const struct process_stats *proc;	/* NULL leaves process_* out */
	double read_seconds;		/* time spent reading the maps */
	struct event_hub *hub;		/* NULL when events are off */
	uint64_t flow_max_entries;	/* size of the flow table */
	const struct label_set *labels;	/* NULL: the full 5-tuple */
	struct flow_expiry *expiry;	/* NULL without idle expiry */
	uint64_t *evictions;	/* the estimate so far, kept monotonic; may be NULL */
	struct iface_follow *follow;	/* NULL: no tcflow_interface_attached */
};

void render_exposition(struct strbuf *out, const struct render_input *in);
/* Sorts flows by interface, direction, family, protocol, addresses, ports:
 * stable output that diffs well between scrapes. */
void render_sort_flows(struct snapshot *snap);
/* qsort comparator of flow entries in that order. */
int render_cmp_flow(const void *a, const void *b);

#endif
