// SPDX-License-Identifier: BSD-2-Clause
#include "gzip.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

/* RFC 1952: deflate, no name, no time, unknown OS. */
static const unsigned char gzip_header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };

#ifdef HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

struct gzip_stream {
	struct isal_zstream zs;
	int member, started;
	uint32_t crc;		/* of the input, as gzip's trailer wants it */
	uint64_t len;
	uint8_t level_buf[ISAL_DEF_LVL1_DEFAULT];
};

static uint32_t crc_update(uint32_t crc, const void *data, size_t len)
{
	return crc32_gzip_refl(crc, data, len);
}

static int stream_init(struct gzip_stream *z)
{
	isal_deflate_init(&z->zs);
	/* Level 1: exposition text is repetitive enough that the fastest
	 * level with a match finder still shrinks it ~14 times. */
	z->zs.level = 1;
	z->zs.level_buf = z->level_buf;
	z->zs.level_buf_size = sizeof(z->level_buf);
	z->zs.gzip_flag = IGZIP_DEFLATE;
	return 0;
}

/* Whether the call that left z so has taken and written all it was given. */
static int step_done(const struct gzip_stream *z, enum gzip_flush flush)
{
	if (z->zs.avail_in)
		return 0;
	if (flush == GZIP_END)
		return z->zs.internal_state.state == ZSTATE_END;
	return flush == GZIP_MORE || z->zs.avail_out > 0;
}

static int deflate_step(struct gzip_stream *z, const void *data, size_t len,
			enum gzip_flush flush, struct strbuf *out)
{
	z->zs.next_in = (uint8_t *)data;
	z->zs.avail_in = (uint32_t)len;
	z->zs.end_of_stream = flush == GZIP_END;
	z->zs.flush = flush == GZIP_FULL ? FULL_FLUSH : NO_FLUSH;
	do {
		if (strbuf_reserve(out, OUT_STEP))
			return -1;
		z->zs.next_out = (uint8_t *)out->data + out->len;
		z->zs.avail_out = (uint32_t)out_room(out);
		if (isal_deflate(&z->zs) != COMP_OK)
			return -1;
		out->len = (size_t)((char *)z->zs.next_out - out->data);
	} while (!step_done(z, flush));
	return 0;
}

static void stream_end(struct gzip_stream *z)
{
	(void)z;
}

#else /* zlib */

struct gzip_stream {
	z_stream zs;
	int member, started;
	uint32_t crc;
	uint64_t len;
};

static uint32_t crc_update(uint32_t crc, const void *data, size_t len)
{
	return (uint32_t)crc32(crc, data, (uInt)len);
}

static int stream_init(struct gzip_stream *z)
{
	/* -15: bare deflate, the member's framing is ours; level 1 as ISA-L. */
	return deflateInit2(&z->zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

static int deflate_step(struct gzip_stream *z, const void *data, size_t len,
			enum gzip_flush flush, struct strbuf *out)
{
	int mode = flush == GZIP_END ? Z_FINISH : flush == GZIP_FULL ? Z_FULL_FLUSH : Z_NO_FLUSH;
	int rc;

	z->zs.next_in = (Bytef *)data;
	z->zs.avail_in = (uInt)len;
	do {
		if (strbuf_reserve(out, OUT_STEP))
			return -1;
		z->zs.next_out = (Bytef *)out->data + out->len;
		z->zs.avail_out = (uInt)out_room(out);
		rc = deflate(&z->zs, mode);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			return -1;
		out->len = (size_t)((char *)z->zs.next_out - out->data);
	} while (z->zs.avail_in || (mode == Z_FINISH ? rc != Z_STREAM_END :
				    mode != Z_NO_FLUSH && z->zs.avail_out == 0));
	return 0;
}

static void stream_end(struct gzip_stream *z)
{
	deflateEnd(&z->zs);
}
#endif

struct gzip_stream *gzip_stream_new(int member)
{
	struct gzip_stream *z = malloc(sizeof(*z));

	if (!z)
		return NULL;
	memset(z, 0, offsetof(struct gzip_stream, len) + sizeof(z->len));
	z->member = member;
	if (stream_init(z)) {
		free(z);
		return NULL;
	}
	return z;
}

static void put_le32(struct strbuf *out, uint32_t v)
{
	char b[4] = { (char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24) };

	strbuf_append(out, b, sizeof(b));
}

int gzip_stream_write(struct gzip_stream *z, const void *data, size_t len,
		      enum gzip_flush flush, struct strbuf *out)
{
	const char *p = data;

	if (z->member && !z->started)
		strbuf_append(out, (const char *)gzip_header, sizeof(gzip_header));
	z->started = 1;
	z->crc = crc_update(z->crc, p ? p : "", len);
	z->len += len;
	for (; len > MAX_STEP; p += MAX_STEP, len -= MAX_STEP)
		if (deflate_step(z, p, MAX_STEP, GZIP_MORE, out))
			return -1;
	if (deflate_step(z, p ? p : "", len, flush, out))
		return -1;
	if (z->member && flush == GZIP_END) {
		put_le32(out, z->crc);
		put_le32(out, (uint32_t)z->len);	/* ISIZE: the length mod 2^32 */
	}
	return out->oom ? -1 : 0;
}

int gzip_stream_splice(struct gzip_stream *z, struct strbuf *out, const struct gzip_stream *side,
		       const struct strbuf *side_out)
{
	if (gzip_stream_write(z, NULL, 0, GZIP_FULL, out))
		return -1;
	strbuf_append(out, side_out->data ? side_out->data : "", side_out->len);
	z->crc = (uint32_t)crc32_combine(z->crc, side->crc, (z_off_t)side->len);
	z->len += side->len;
	return out->oom ? -1 : 0;
}

void gzip_stream_free(struct gzip_stream *z)
{
	if (!z)
		return;
	stream_end(z);
	free(z);
}

int gzip_compress(const struct strbuf *in, struct strbuf *out)
{
	struct gzip_stream *z = gzip_stream_new(1);
	int rc;

	strbuf_reset(out);
	rc = z ? gzip_stream_write(z, in->data, in->len, GZIP_END, out) : -1;
	gzip_stream_free(z);
	return rc;
}

/* ---- reading a member back --------------------------------------------- */

#ifdef HAVE_ISAL
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
