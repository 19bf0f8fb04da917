// SPDX-License-Identifier: BSD-2-Clause
#include "expo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "labels.h"

static const char *const type_names[] = {
	[EXPO_COUNTER] = "counter", [EXPO_GAUGE] = "gauge", [EXPO_HISTOGRAM] = "histogram",
};

void expo_init(struct expo *e, struct strbuf *out, enum expo_format format)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
	e->format = format;
}

/* OpenMetrics escapes a double quote in HELP too; text 0.0.4 must not. */
static void help_text(struct expo *e, const char *help)
{
	if (e->format == EXPO_OPENMETRICS)
		label_escape(e->out, help);
	else
		help_escape(e->out, help);
}

/* The text format names a counter family by its sample (x_total);
 * OpenMetrics by the bare name. */
static void meta_name(struct expo *e)
{
	strbuf_append(e->out, e->family, e->family_len);
	if (e->type == EXPO_COUNTER && e->format == EXPO_TEXT)
		strbuf_puts(e->out, "_total");
}

void expo_family_begin(struct expo *e, const char *name, enum expo_type type)
{
	e->family = name;
	e->family_len = strlen(name);
	e->type = type;
}

void expo_family(struct expo *e, const char *name, enum expo_type type, const char *help)
{
	expo_maybe_flush(e);
	expo_family_begin(e, name, type);
	strbuf_puts(e->out, "# HELP ");
	meta_name(e);
	strbuf_putc(e->out, ' ');
	help_text(e, help);
	strbuf_puts(e->out, "\n# TYPE ");
	meta_name(e);
	strbuf_putc(e->out, ' ');
	strbuf_puts(e->out, type_names[type]);
	strbuf_putc(e->out, '\n');
}

/* A million series' labels per scrape: room is made once, then written
 * in place rather than appended piece by piece; plain values are copied
 * whole instead of scanned for what to escape. */
void expo_label_text(struct strbuf *sb, const struct expo_label *l, size_t n)
{
	size_t room = 2, nlen[EXPO_MAX_LABELS], vlen[EXPO_MAX_LABELS];
	char *p;

	if (!n || n > EXPO_MAX_LABELS)
		return;
	for (size_t i = 0; i < n; i++) {
		nlen[i] = strlen(l[i].name);
		vlen[i] = l[i].len ? l[i].len : strlen(l[i].value);
		room += nlen[i] + (l[i].plain ? 1 : 2) * vlen[i] + 4;
	}
	if (strbuf_reserve(sb, room))
		return;
	p = sb->data + sb->len;
	for (size_t i = 0; i < n; i++) {
		*p++ = i ? ',' : '{';
		memcpy(p, l[i].name, nlen[i]);
		p += nlen[i];
		*p++ = '=';
		*p++ = '"';
		if (l[i].plain) {
			memcpy(p, l[i].value, vlen[i]);
			p += vlen[i];
		} else {
			p = label_escape_at(p, l[i].value);
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	sb->len = (size_t)(p - sb->data);
}

/* Decimal digits of v ending at end; returns where they start. */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/* created as printf("%.3f") writes it, without printf's cost (a fifth of
 * an OpenMetrics scrape of 300k series): times 1000 is exact in long
 * double (53 + 10 bits), and llrintl rounds half to even as printf does.
 * Returns where the text starts; it ends at end. */
static char *created_digits(char *end, double created)
{
	long long ms = llrintl((long double)created * 1000.0L);
	char *p = end;

	for (int i = 0; i < 3; i++, ms /= 10)
		*--p = (char)('0' + ms % 10);
	*--p = '.';
	return u64_digits(p, (uint64_t)ms);
}

/* " created\n" (lead ' ') or "created\n" appended. */
static void created_value(struct strbuf *out, int lead, double created)
{
	char text[32], *end = text + sizeof(text), *d;

	*--end = '\n';
	d = created_digits(end, created);
	if (lead)
		*--d = ' ';
	strbuf_append(out, d, (size_t)(text + sizeof(text) - d));
}

/* name suffix labels v\n, in one reservation. */
static void sample_u64(struct expo *e, const char *suffix, const char *labels, size_t len,
		       uint64_t v)
{
	size_t flen = e->family_len, slen = strlen(suffix);
	char digits[20], *d = u64_digits(digits + sizeof(digits), v), *p;
	size_t dlen = (size_t)(digits + sizeof(digits) - d);

	if (strbuf_reserve(e->out, flen + slen + len + dlen + 2))
		return;
	p = e->out->data + e->out->len;
	memcpy(p, e->family, flen);
	p += flen;
	memcpy(p, suffix, slen);
	p += slen;
	memcpy(p, labels, len);
	p += len;
	*p++ = ' ';
	memcpy(p, d, dlen);
	p += dlen;
	*p++ = '\n';
	*p = '\0';
	e->out->len = (size_t)(p - e->out->data);
}

static void sample_name(struct expo *e, const char *suffix, const char *labels, size_t len)
{
	strbuf_append(e->out, e->family, e->family_len);
	strbuf_puts(e->out, suffix);
	strbuf_append(e->out, labels, len);
	strbuf_putc(e->out, ' ');
}

static void end_u64(struct expo *e, uint64_t v)
{
	strbuf_put_u64(e->out, v);
	strbuf_putc(e->out, '\n');
}

/* OpenMetrics' x_created: when the counter started at zero, where asked
 * for. The text format has no place for it. */
static int writes_created(const struct expo *e, double created)
{
	return expo_has_created(e) && created > 0;
}

static void created_line(struct expo *e, const struct expo_label *l, size_t n, double created)
{
	if (!writes_created(e, created))
		return;
	strbuf_append(e->out, e->family, e->family_len);
	strbuf_puts(e->out, "_created");
	expo_label_text(e->out, l, n);
	created_value(e->out, 1, created);
}

void expo_counter(struct expo *e, const char *labels, size_t len, uint64_t v, double created)
{
	sample_u64(e, "_total", labels, len, v);
	if (!writes_created(e, created))
		return;
	sample_name(e, "_created", labels, len);
	created_value(e->out, 0, created);
}

/* The rest of a counter sample whose name and labels (len bytes at off)
 * are in the output already. */
static void counter_rest(struct expo *e, size_t off, size_t len, uint64_t v, double created)
{
	struct strbuf *out = e->out;
	size_t flen = e->family_len;
	char digits[20], *d = u64_digits(digits + sizeof(digits), v), *p;
	size_t dlen = (size_t)(digits + sizeof(digits) - d);
	int created_line = writes_created(e, created);

	if (strbuf_reserve(out, dlen + 2 + (created_line ? flen + 9 + len : 0)))
		return;
	p = out->data + out->len;
	*p++ = ' ';
	memcpy(p, d, dlen);
	p += dlen;
	*p++ = '\n';
	if (created_line) {
		memcpy(p, e->family, flen);
		p += flen;
		memcpy(p, "_created", 8);
		p += 8;
		memcpy(p, out->data + off, len);
		p += len;
		*p++ = ' ';
	}
	*p = '\0';
	out->len = (size_t)(p - out->data);
	if (created_line)
		created_value(out, 0, created);
}

size_t expo_counter_labels(struct expo *e, const struct expo_label *l, size_t n, uint64_t v,
			   double created, size_t *len)
{
	size_t off;

	strbuf_append(e->out, e->family, e->family_len);
	strbuf_append(e->out, "_total", 6);
	off = e->out->len;
	expo_label_text(e->out, l, n);
	*len = e->out->len - off;
	counter_rest(e, off, *len, v, created);
	return off;
}

/* The name and label text (len bytes, room for them reserved), then the
 * rest of the sample. */
static void counter_copied(struct expo *e, const char *labels, size_t len, uint64_t v,
			   double created)
{
	struct strbuf *out = e->out;
	size_t flen = e->family_len, at;
	char *p = out->data + out->len;

	memcpy(p, e->family, flen);
	p += flen;
	memcpy(p, "_total", 6);
	p += 6;
	at = (size_t)(p - out->data);
	memcpy(p, labels, len);	/* never overlapping: labels end before p */
	out->len = at + len;
	counter_rest(e, at, len, v, created);
}

void expo_counter_copy(struct expo *e, size_t off, size_t len, uint64_t v, double created)
{
	if (strbuf_reserve(e->out, e->family_len + 6 + len))
		return;
	counter_copied(e, e->out->data + off, len, v, created);
}

void expo_counter_from(struct expo *e, const char *labels, size_t len, uint64_t v,
		       double created)
{
	if (strbuf_reserve(e->out, e->family_len + 6 + len))
		return;
	counter_copied(e, labels, len, v, created);
}

void expo_counter_l(struct expo *e, const struct expo_label *l, size_t n, uint64_t v,
		    double created)
{
	size_t len;

	expo_counter_labels(e, l, n, v, created, &len);
}

void expo_counter_f(struct expo *e, const struct expo_label *l, size_t n, double v,
		    double created)
{
	strbuf_append(e->out, e->family, e->family_len);
	strbuf_puts(e->out, "_total");
	expo_label_text(e->out, l, n);
	strbuf_printf(e->out, " %.17g\n", v);
	created_line(e, l, n, created);
}

static void gauge_head(struct expo *e, const struct expo_label *l, size_t n)
{
	strbuf_append(e->out, e->family, e->family_len);
	expo_label_text(e->out, l, n);
	strbuf_putc(e->out, ' ');
}

void expo_gauge(struct expo *e, const struct expo_label *l, size_t n, double v)
{
	gauge_head(e, l, n);
	strbuf_printf(e->out, "%.17g\n", v);
}

void expo_gauge_u64(struct expo *e, const struct expo_label *l, size_t n, uint64_t v)
{
	gauge_head(e, l, n);
	end_u64(e, v);
}

/* One histogram line: name_suffix{labels,le="..."} v. */
static void hist_line(struct expo *e, const char *suffix, const struct expo_label *l, size_t n,
		      const char *le, uint64_t v)
{
	struct expo_label all[8];
	size_t m = 0;

	for (; m < n && m < 7; m++)
		all[m] = l[m];
	if (le)
		all[m++] = EXPO_LABEL("le", le);
	strbuf_append(e->out, e->family, e->family_len);
	strbuf_puts(e->out, suffix);
	expo_label_text(e->out, all, m);
	strbuf_putc(e->out, ' ');
	end_u64(e, v);
}

void expo_histogram(struct expo *e, const struct expo_label *l, size_t n, const unsigned *bounds,
		    size_t nb, const uint64_t *counts, uint64_t sum, double created)
{
	uint64_t cum = 0;
	char le[24];

	for (size_t b = 0; b <= nb; b++) {
		cum += counts[b];
		if (b == nb)
			snprintf(le, sizeof(le), "+Inf");
		else	/* OpenMetrics wants canonical floats in le */
			snprintf(le, sizeof(le), e->format == EXPO_OPENMETRICS ? "%u.0" : "%u",
				 bounds[b]);
		hist_line(e, "_bucket", l, n, le, cum);
	}
	hist_line(e, "_sum", l, n, NULL, sum);
	hist_line(e, "_count", l, n, NULL, cum);
	created_line(e, l, n, created);
}

void expo_flush(struct expo *e)
{
	size_t len = e->out->len;

	if (!e->sink || e->out->oom)
		return;
	e->sink->flush(e->sink, e->out);	/* sets out->oom when it cannot */
	if (e->out->oom)
		return;
	e->sink->flushed += len;
	strbuf_reset(e->out);
}

void expo_finish(struct expo *e)
{
	if (e->format == EXPO_OPENMETRICS)
		strbuf_puts(e->out, "# EOF\n");
}
