/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The series Prometheus sees, kept by delta accounting so that they add up
 * and never go down.
 *
 * Each scrape reads the kernel's tables; per flow we remember what was read
 * last time and add the difference (the delta) to the series the flow
 * belongs to now. Series hold accumulated deltas: a flow that the LRU
 * evicts, the sweeper expires, or that moves to another series takes
 * nothing away from any series.
 *
 * A new series first shows 0 and its first delta one update later:
 * Prometheus' rate() and increase() start from a series' first sample, so
 * a series born with its count would lose it from every sum. (On an
 * interface's first read its series are born whole, as are the interface's
 * own: they all start together.)
 *
 * Per interface and direction, the IPv4 + IPv6 totals (exact, never
 * evicted) minus what flow series received is held by a fold series:
 * deltas the series cap had no seat for, and what the kernel lost (a flow
 * evicted between two reads, a malformed packet, a failed insert). So per
 * interface and direction, flow series + fold = interface totals.
 */
#ifndef TCFLOW_SERIES_H
#define TCFLOW_SERIES_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include "aggregate.h"
#include "hashidx.h"
#include "map_reader.h"

/* A million of each at 1M flows: the 32-bit fields fill what the 64-bit
 * ones would leave as padding (88 bytes, not 96). */
struct flow_state {
	struct flow_key key;	/* first: the index compares it */
	uint32_t gen;		/* the update that last saw it in the table */
	/* Where its deltas went last time, valid while epoch is the store's:
	 * a steady flow skips projecting and looking up its series. */
	uint32_t series, acct, epoch;
	uint64_t packets, bytes;	/* as read last time */
};

/* 120 bytes, not 128: born_gen sits in the key's tail padding. */
struct series {
	struct series_key key;	/* first: the index compares it */
	uint32_t born_gen;	/* the update that made it */
	uint64_t packets, bytes;	/* accumulated deltas */
	uint64_t pending[2];	/* a newborn's first delta, shown next update */
	uint64_t changed_ns;	/* monotonic time it last grew (or, for a fold, was live) */
	double created;		/* unix time it started at zero */
};
_Static_assert(sizeof(struct flow_state) == 88 && sizeof(struct series) == 120,
	       "flow and series state packed");

/* What one interface and direction's totals and flows have told us. */
struct iface_acct {
	uint64_t id;		/* ifindex << 8 | direction: first, the index key */
	char ifname[IF_NAMESIZE];
	int present;		/* in the interface table at the last read */
	uint32_t seen;		/* the update that last read it there */
	int fresh;		/* its counters started in this update */
	int claims;		/* took its name in this update: namesakes go */
	uint64_t gone_ns;	/* when it left the table */
	double created;		/* when its kernel counters started at zero */
	struct iface_value last;	/* totals as read last */
	/* Since its kernel counters started, [0] packets, [1] bytes: */
	uint64_t attributed[2];	/* deltas that went (or go next) to flow series */
	uint64_t folded[2];	/* deltas that went to the fold: no seat */
	uint64_t unaccounted[2];	/* totals no flow read explains; never lowered */
	uint64_t fold_told[2];	/* folded + unaccounted already in the fold series */
};

struct series_stats {
	uint64_t created, removed, refused;
};

struct series_store {
	const struct label_set *labels;
	uint64_t retention_ns;
	uint32_t gen;
	uint64_t now_ns;	/* the update under way: monotonic ns, unix seconds */
	double now_unix;
	uint32_t epoch;		/* moves when series or accounts move or rename */
	struct flow_state *flows;
	size_t n_flows, cap_flows;
	struct hashidx flow_idx;
	size_t next_flow;	/* where the flow read next is likely to be */
	size_t n_seen;		/* states read in this update */
	struct series *series;
	size_t n_series, cap_series;
	size_t n_flow_series;	/* series that are not folds */
	struct hashidx series_idx;
	int any_pending;	/* a newborn holds a delta to show next update */
	uint32_t *order;	/* series indexes in exposition order */
	int order_dirty;
	struct iface_acct *accts;
	size_t n_accts, cap_accts;
	struct hashidx acct_idx;
	struct series_stats stats;
};

void series_init(struct series_store *st, const struct label_set *labels);
void series_free(struct series_store *st);

/* One update, streamed: the interface totals (read first), then every
 * entry of the flow table as it is read, then whether that read was whole.
 * now_ns is monotonic, now_unix wall-clock seconds. series_end returns 0,
 * or -1 without memory (nothing lost: the next update catches up). */
void series_begin(struct series_store *st, const struct snapshot *ifaces, uint64_t now_ns,
		  double now_unix);
void series_flow(struct series_store *st, const struct flow_key *k, const struct flow_value *v);
/* Before the flows: one the idle sweeper deleted, with its counts then.
 * Credits what was not read yet; if it is back in the table it counts
 * from zero. */
void series_flow_gone(struct series_store *st, const struct flow_key *k,
		      const struct flow_value *v);
int series_end(struct series_store *st, int flows_whole);
/* The same from a snapshot of both tables. A failed interface read
 * changes nothing. */
int series_update(struct series_store *st, const struct snapshot *snap, uint64_t now_ns,
		  double now_unix);
/* The series in exposition order (sorted by key). */
const uint32_t *series_order(struct series_store *st);

#endif
