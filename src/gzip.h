/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gzip (RFC 1952) of /metrics, made as the text is rendered and read back
 * as it is sent: a million series make 300 MB of text, which is then
 * never held whole. One member, not one per chunk: curl and browsers stop
 * after the first member. Intel's ISA-L where configure found it (a
 * stream at 2 GB/s, 3x libdeflate's whole-buffer level 1), zlib where not.
 */
#ifndef TCFLOW_GZIP_H
#define TCFLOW_GZIP_H

#include <stddef.h>
#include <sys/types.h>
#include "strbuf.h"

struct gzip_stream;

struct gzip_stream *gzip_stream_new(void);
/* Compresses data onto the end of out; last ends the member. 0, or -1
 * (out of memory, or the compressor failed: the stream is then unusable). */
int gzip_stream_write(struct gzip_stream *z, const void *data, size_t len, int last,
		      struct strbuf *out);
void gzip_stream_free(struct gzip_stream *z);

/* All of in into out (emptied first) as one member. Returns 0 or -1. */
int gzip_compress(const struct strbuf *in, struct strbuf *out);

struct gunzip_stream;

/* Reads the member at gz (len bytes), which must outlive the stream. */
struct gunzip_stream *gunzip_stream_new(const void *gz, size_t len);
/* Up to max bytes of text into out: how many, 0 at the end, -1 when the
 * data is not a whole gzip member. */
ssize_t gunzip_stream_read(struct gunzip_stream *u, void *out, size_t max);
void gunzip_stream_free(struct gunzip_stream *u);

#endif
