// SPDX-License-Identifier: BSD-2-Clause
#include "gzip.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Room asked of out before each call: the compressor writes what fits and
 * is called again, so this is a step, not a bound. */
#define OUT_STEP (256 * 1024)
/* The compressors count in 32 bits. */
#define MAX_STEP ((size_t)1 << 30)

static size_t out_room(const struct strbuf *out)
{
	size_t room = out->cap - 1 - out->len;

	return room < MAX_STEP ? room : MAX_STEP;
}

#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>

struct gzip_stream {
	struct isal_zstream zs;
	uint8_t level_buf[ISAL_DEF_LVL1_DEFAULT];
};

struct gzip_stream *gzip_stream_new(void)
{
	struct gzip_stream *z = malloc(sizeof(*z));

	if (!z)
		return NULL;
	isal_deflate_init(&z->zs);
	/* Level 1: exposition text is repetitive enough that the fastest
	 * level with a match finder still shrinks it ~14 times. */
	z->zs.level = 1;
	z->zs.level_buf = z->level_buf;
	z->zs.level_buf_size = sizeof(z->level_buf);
	z->zs.gzip_flag = IGZIP_GZIP;
	return z;
}

static int ended(const struct gzip_stream *z)
{
	return z->zs.internal_state.state == ZSTATE_END;
}

static int write_step(struct gzip_stream *z, const void *data, size_t len, int last,
		      struct strbuf *out)
{
	z->zs.next_in = (uint8_t *)data;
	z->zs.avail_in = (uint32_t)len;
	z->zs.end_of_stream = !!last;
	z->zs.flush = NO_FLUSH;
	while (z->zs.avail_in || (last && !ended(z))) {
		if (strbuf_reserve(out, OUT_STEP))
			return -1;
		z->zs.next_out = (uint8_t *)out->data + out->len;
		z->zs.avail_out = (uint32_t)out_room(out);
		if (isal_deflate(&z->zs) != COMP_OK)
			return -1;
		out->len = (size_t)((char *)z->zs.next_out - out->data);
	}
	return 0;
}

void gzip_stream_free(struct gzip_stream *z)
{
	free(z);
}

struct gunzip_stream {
	struct inflate_state st;
};

struct gunzip_stream *gunzip_stream_new(const void *gz, size_t len)
{
	struct gunzip_stream *u = malloc(sizeof(*u));

	if (!u)
		return NULL;
	isal_inflate_init(&u->st);
	u->st.crc_flag = ISAL_GZIP;
	u->st.next_in = (uint8_t *)gz;
	u->st.avail_in = (uint32_t)len;
	return u;
}

ssize_t gunzip_stream_read(struct gunzip_stream *u, void *out, size_t max)
{
	if (u->st.block_state == ISAL_BLOCK_FINISH)
		return 0;
	u->st.next_out = out;
	u->st.avail_out = (uint32_t)max;
	if (isal_inflate(&u->st) != ISAL_DECOMP_OK)
		return -1;
	if (u->st.avail_out == max && u->st.block_state != ISAL_BLOCK_FINISH)
		return -1;	/* no progress: the data ended early */
	return (ssize_t)(max - u->st.avail_out);
}

void gunzip_stream_free(struct gunzip_stream *u)
{
	free(u);
}

#else /* zlib */
#include <zlib.h>

struct gzip_stream {
	z_stream zs;
};

struct gzip_stream *gzip_stream_new(void)
{
	struct gzip_stream *z = calloc(1, sizeof(*z));

	/* 15 + 16: a gzip wrapper; level 1 as with ISA-L. */
	if (z && deflateInit2(&z->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(z);
		return NULL;
	}
	return z;
}

static int write_step(struct gzip_stream *z, const void *data, size_t len, int last,
		      struct strbuf *out)
{
	int rc = Z_OK;

	z->zs.next_in = (Bytef *)data;
	z->zs.avail_in = (uInt)len;
	while (z->zs.avail_in || (last && rc != Z_STREAM_END)) {
		if (strbuf_reserve(out, OUT_STEP))
			return -1;
		z->zs.next_out = (Bytef *)out->data + out->len;
		z->zs.avail_out = (uInt)out_room(out);
		rc = deflate(&z->zs, last ? Z_FINISH : Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			return -1;
		out->len = (size_t)((char *)z->zs.next_out - out->data);
	}
	return 0;
}

void gzip_stream_free(struct gzip_stream *z)
{
	if (!z)
		return;
	deflateEnd(&z->zs);
	free(z);
}

struct gunzip_stream {
	z_stream zs;
	int done;
};

struct gunzip_stream *gunzip_stream_new(const void *gz, size_t len)
{
	struct gunzip_stream *u = calloc(1, sizeof(*u));

	if (u && inflateInit2(&u->zs, 15 + 16) != Z_OK) {
		free(u);
		return NULL;
	}
	if (u) {
		u->zs.next_in = (Bytef *)gz;
		u->zs.avail_in = (uInt)len;
	}
	return u;
}

ssize_t gunzip_stream_read(struct gunzip_stream *u, void *out, size_t max)
{
	int rc;

	if (u->done)
		return 0;
	u->zs.next_out = out;
	u->zs.avail_out = (uInt)max;
	rc = inflate(&u->zs, Z_NO_FLUSH);
	if (rc == Z_STREAM_END)
		u->done = 1;
	else if (rc != Z_OK)
		return -1;	/* corrupt, or ended early (Z_BUF_ERROR) */
	return (ssize_t)(max - u->zs.avail_out);
}

void gunzip_stream_free(struct gunzip_stream *u)
{
	if (!u)
		return;
	inflateEnd(&u->zs);
	free(u);
}
#endif

int gzip_stream_write(struct gzip_stream *z, const void *data, size_t len, int last,
		      struct strbuf *out)
{
	const char *p = data;

	while (len > MAX_STEP) {
		if (write_step(z, p, MAX_STEP, 0, out))
			return -1;
		p += MAX_STEP;
		len -= MAX_STEP;
	}
	return write_step(z, p, len, last, out);
}

int gzip_compress(const struct strbuf *in, struct strbuf *out)
{
	struct gzip_stream *z = gzip_stream_new();
	int rc;

	strbuf_reset(out);
	rc = z ? gzip_stream_write(z, in->data ? in->data : "", in->len, 1, out) : -1;
	gzip_stream_free(z);
	return rc;
}
