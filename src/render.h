/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What /metrics shows, family by family, from plain values: the series
 * store, one read of the kernel's tables, the event hub's counts and the
 * process' own. Writes through expo.c in either format.
 */
#ifndef TCFLOW_RENDER_H
#define TCFLOW_RENDER_H

#include <stdint.h>
#include "event_hub.h"
#include "expo.h"
#include "map_reader.h"
#include "process_metrics.h"
#include "series.h"
#include "strbuf.h"

struct iface_health_view;

struct render_input {
	struct series_store *series;
	const struct snapshot *snap;	/* losses, table entries, read health */
	const struct process_stats *proc;	/* NULL leaves process_* out */
	const struct hub_stats *hub;	/* NULL when events are off */
	double read_seconds;		/* time spent reading the maps */
	uint64_t flow_max_entries;	/* size of the flow table */
	uint64_t expired;		/* flows the idle sweeper deleted */
	uint64_t evictions;		/* estimate, kept monotonic by the caller */
	double start_time;		/* unix time the exporter started */
	/* More families (the HTTP server's), written before the end. */
	void (*extra)(void *cls, struct expo *e);
	void *extra_cls;
	const struct iface_health_view *ifaces;	/* NULL: no tcflow_interface_attached */
	struct expo_sink *sink;		/* NULL: the text is written whole */
	int created;			/* OpenMetrics: x_created samples too */
};

void render_exposition(struct strbuf *out, enum expo_format format,
		       const struct render_input *in);

#endif
