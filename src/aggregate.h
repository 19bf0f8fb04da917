/*
 * Cardinality control at scrape time: which labels the flow families keep
 * (--flow.labels), address prefixes (--flow.ipv4-prefix, --flow.ipv6-prefix)
 * and the top-N cut (--flow.max-series). Omitted labels are summed away, so
 * every sum over the labels that remain is the same as on the full table.
 */
#ifndef TCFLOW_AGGREGATE_H
#define TCFLOW_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>
#include "map_reader.h"

enum flow_label {
	FL_INTERFACE = 1 << 0,
	FL_DIRECTION = 1 << 1,
	FL_PROTOCOL = 1 << 2,
	FL_SRC_IP = 1 << 3,
	FL_DST_IP = 1 << 4,
	FL_SRC_PORT = 1 << 5,
	FL_DST_PORT = 1 << 6,
	FL_ALL = (1 << 7) - 1,
};

struct label_set {
	unsigned int mask;	/* enum flow_label bits kept */
	int services;		/* drop the ephemeral side's port per flow */
	uint8_t ipv4_prefix;	/* 32: whole addresses */
	uint8_t ipv6_prefix;	/* 128 */
	uint32_t max_series;	/* 0: no cut */
};

void label_set_default(struct label_set *ls);
/* A preset (full, hosts, services) or a comma-separated list of labels.
 * 0, or -1 with err naming what is wrong. */
int label_set_parse(struct label_set *ls, const char *spec, char *err, size_t errlen);

/* Flows after aggregation: s->flows[0, n) are the series to render, in
 * label order. When the top-N cut folded flows away, *other holds their sum
 * and the function returns 1; else 0. key.pad carries per-series omitted
 * label bits (a services port). */
int aggregate_flows(struct snapshot *s, const struct label_set *ls, struct flow_value *other);

/* Whether the label set changes nothing (every series is one flow). */
int label_set_is_identity(const struct label_set *ls);
/* Rewrites a flow key to what its series' labels can tell apart. */
void aggregate_project(struct flow_key *k, const struct label_set *ls);
/* Sorts projected entries and sums equal keys; returns the new count. */
size_t aggregate_compact(struct flow_entry *f, size_t n);
/* Adds to each series of s (projected, merged, sorted) the counts that
 * retired (sorted, merged) holds for it, and keeps in retired only the
 * keys that still have a series. Returns the new length of retired. */
size_t aggregate_join_retired(struct snapshot *s, struct flow_entry *retired, size_t n);

#endif
