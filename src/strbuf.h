/* SPDX-License-Identifier: BSD-2-Clause */
/* A growable byte buffer, reused across scrapes to avoid allocations. */
#ifndef TCFLOW_STRBUF_H
#define TCFLOW_STRBUF_H

#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
	int oom;	/* set once an allocation failed; appends become no-ops */
};

void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* Grows sb for extra more bytes and a terminator: 0, or -1 (oom set). */
int strbuf_grow(struct strbuf *sb, size_t extra);

/* Room for extra more bytes and a terminator: 0, or -1 when memory ran
 * out. Inline: the exposition asks a few times for each of a million
 * series, and nearly always there is room. */
static inline int strbuf_reserve(struct strbuf *sb, size_t extra)
{
	if (!sb->oom && sb->len + extra + 1 <= sb->cap)
		return 0;
	return strbuf_grow(sb, extra);
}
void strbuf_append(struct strbuf *sb, const char *data, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_put_u64(struct strbuf *sb, unsigned long long v);

#endif
