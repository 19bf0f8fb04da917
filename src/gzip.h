/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gzip (RFC 1952) of /metrics, made as the text is rendered and read back
 * as it is sent: a million series make 300 MB of text, which is then
 * never held whole. One member, not one per chunk: curl and browsers stop
 * after the first member; the header and trailer are written here, so
 * that deflate data made apart (the packets family, made beside the bytes
 * family) can be spliced in. Intel's ISA-L where configure found it (a
 * stream at 2 GB/s, 3x libdeflate's whole-buffer level 1), zlib where not;
 * zlib's crc32_combine either way.
 */
#ifndef TCFLOW_GZIP_H
#define TCFLOW_GZIP_H

#include <stddef.h>
#include <sys/types.h>
#include "strbuf.h"

/* How a write ends: GZIP_FULL byte-aligns the output and starts a new
 * history, so that deflate data made apart can follow it; GZIP_END ends
 * the stream. */
enum gzip_flush { GZIP_MORE, GZIP_FULL, GZIP_END };

struct gzip_stream;

/* member: a gzip member (header, deflate data, trailer); else bare
 * deflate data, to be spliced into a member. */
struct gzip_stream *gzip_stream_new(int member);
/* Compresses data onto the end of out. 0, or -1 (out of memory, or the
 * compressor failed: the stream is then unusable). */
int gzip_stream_write(struct gzip_stream *z, const void *data, size_t len,
		      enum gzip_flush flush, struct strbuf *out);
/* Appends to out (z's output) what side made, as if z had been written
 * side's input: z ends its data with GZIP_FULL first, and side must have
 * ended its own with GZIP_FULL. 0 or -1. */
int gzip_stream_splice(struct gzip_stream *z, struct strbuf *out, const struct gzip_stream *side,
		       const struct strbuf *side_out);
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
