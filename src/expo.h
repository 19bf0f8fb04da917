/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one writer of exposition text. Callers hand plain values; this module
 * alone knows the Prometheus text format 0.0.4 and OpenMetrics 1.0, so the
 * two can never disagree on a name, an escape or a line.
 */
#ifndef TCFLOW_EXPO_H
#define TCFLOW_EXPO_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

enum expo_format { EXPO_TEXT = 0, EXPO_OPENMETRICS = 1 };
enum expo_type { EXPO_COUNTER, EXPO_GAUGE, EXPO_HISTOGRAM };

struct expo_label {
	const char *name;
	const char *value;
	/* For the flow families' million series a scrape: the value's length
	 * (0: measure it) and plain = 1 when it cannot hold anything to
	 * escape (a number, an address, a fixed word): copied whole. */
	size_t len;
	int plain;
};

#define EXPO_LABEL(n, v) ((struct expo_label){ .name = (n), .value = (v) })

/* Where the text goes when it is not to be held whole: once out holds at
 * least `at` bytes, before a family or between the flow families'
 * samples, flush takes them (and empties out); flushed counts what it
 * took. */
struct expo_sink {
	size_t at;
	size_t flushed;
	void (*flush)(struct expo_sink *sink, struct strbuf *out);
	/* Optional: where a family can be written beside the one before it
	 * (the packets family beside the bytes family, from the same labels),
	 * and what puts side's text in at out's end once out has come there. */
	struct expo *side;
	void (*splice)(struct expo_sink *sink, struct strbuf *out);
	/* Optional, with side: a second thread for part of a family. twin
	 * runs fn(arg, e, side) there, with a pair of its own that writes the
	 * same families as e and side; -1 when it cannot (nothing runs).
	 * twin_join waits for it and puts what the pair wrote after what e
	 * and side hold. */
	int (*twin)(struct expo_sink *sink, const struct expo *e, const struct expo *side,
		    void (*fn)(void *arg, struct expo *e, struct expo *side), void *arg);
	void (*twin_join)(struct expo_sink *sink, struct strbuf *out);
};

struct expo {
	struct strbuf *out;
	struct expo_sink *sink;	/* NULL: out holds it all */
	enum expo_format format;
	int created;		/* OpenMetrics: counters carry their x_created */
	enum expo_type type;
	const char *family;	/* counters: without _total */
	size_t family_len;
};

void expo_init(struct expo *e, struct strbuf *out, enum expo_format format);
/* Whether e's counters carry their x_created: OpenMetrics, where asked for. */
static inline int expo_has_created(const struct expo *e)
{
	return e->format == EXPO_OPENMETRICS && e->created;
}
/* Starts a family. A counter's name is given without _total. */
void expo_family(struct expo *e, const char *name, enum expo_type type, const char *help);
/* The family whose samples follow, without its HELP and TYPE (a side). */
void expo_family_begin(struct expo *e, const char *name, enum expo_type type);

/* Appends {name="value",...} (escaped) to sb: a label set built once and
 * used for several samples. n = 0, or more than EXPO_MAX_LABELS, appends
 * nothing. */
#define EXPO_MAX_LABELS 16
void expo_label_text(struct strbuf *sb, const struct expo_label *l, size_t n);

/* A counter sample; labels is a label text from expo_label_text (may be
 * empty). created > 0 is the unix time the counter started at zero:
 * OpenMetrics writes it as _created where e->created asks for it, the
 * text format has no place for it. */
void expo_counter(struct expo *e, const char *labels, size_t len, uint64_t v, double created);
void expo_counter_l(struct expo *e, const struct expo_label *l, size_t n, uint64_t v,
		    double created);
/* The same, its label text written in place: returns where that text
 * starts in the output, and its length in *len, for another family's
 * samples to copy with expo_counter_copy (offsets stay valid as the
 * output grows; pointers would not). */
size_t expo_counter_labels(struct expo *e, const struct expo_label *l, size_t n, uint64_t v,
			   double created, size_t *len);
void expo_counter_copy(struct expo *e, size_t off, size_t len, uint64_t v, double created);
/* The same, the label text copied from another output: the bytes line's,
 * for the packets line written beside it. */
void expo_counter_from(struct expo *e, const char *labels, size_t len, uint64_t v,
		       double created);
/* A counter that is not a whole number (process_cpu_seconds_total). */
void expo_counter_f(struct expo *e, const struct expo_label *l, size_t n, double v,
		    double created);
void expo_gauge(struct expo *e, const struct expo_label *l, size_t n, double v);
void expo_gauge_u64(struct expo *e, const struct expo_label *l, size_t n, uint64_t v);
/* A whole histogram: bounds[nb] upper bounds (the +Inf bucket is added),
 * counts[nb + 1] per bucket (not cumulative). */
void expo_histogram(struct expo *e, const struct expo_label *l, size_t n, const unsigned *bounds,
		    size_t nb, const uint64_t *counts, uint64_t sum, double created);
/* Ends the exposition (OpenMetrics: # EOF). */
void expo_finish(struct expo *e);

void expo_flush(struct expo *e);
/* Between samples of a family of many series. */
static inline void expo_maybe_flush(struct expo *e)
{
	if (e->sink && e->out->len >= e->sink->at)
		expo_flush(e);
}

#endif
