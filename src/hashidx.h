/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An open-addressing index over a dense array whose entries start with
 * their key: the array stays compact and cache-friendly (a scrape walks it
 * in order), the index finds an entry by key in one or two probes. Removal
 * is by compacting the array and rebuilding the index, once per scrape.
 */
#ifndef TCFLOW_HASHIDX_H
#define TCFLOW_HASHIDX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define HASHIDX_NONE UINT32_MAX

struct hashidx {
	uint64_t *slots;	/* hash << 32 | (index + 1); 0 is empty */
	size_t mask;		/* slots - 1, a power of two minus one */
	size_t used;
};

static inline uint64_t hashidx_hash(const void *key, size_t len)
{
	return XXH3_64bits(key, len);
}

/* Makes room for n entries at a load of at most one half. When it has
 * to grow, every entry is forgotten: the caller indexes them again. Returns
 * 1 when it grew, 0 when there was room, -1 without memory. */
int hashidx_reserve(struct hashidx *h, size_t n);
void hashidx_clear(struct hashidx *h);
void hashidx_free(struct hashidx *h);
/* Indexes entry idx under hash; the caller has checked it is absent. */
void hashidx_insert(struct hashidx *h, uint64_t hash, uint32_t idx);

/* The index of the entry of base (stride bytes apart, key first) whose
 * first len bytes equal key, or HASHIDX_NONE. */
static inline uint32_t hashidx_find(const struct hashidx *h, uint64_t hash, const void *base,
				    size_t stride, const void *key, size_t len)
{
	uint32_t tag = (uint32_t)(hash >> 32);

	if (!h->slots)
		return HASHIDX_NONE;
	for (size_t i = hash & h->mask;; i = (i + 1) & h->mask) {
		uint64_t s = h->slots[i];
		uint32_t idx = (uint32_t)s - 1;

		if (!s)
			return HASHIDX_NONE;
		if ((uint32_t)(s >> 32) == tag &&
		    !memcmp((const char *)base + (size_t)idx * stride, key, len))
			return idx;
	}
}

#endif
