// SPDX-License-Identifier: BSD-2-Clause
#include "hashidx.h"

#include <stdlib.h>

int hashidx_reserve(struct hashidx *h, size_t n)
{
	size_t want = 16;
	uint64_t *slots;

	while (want < 2 * n)
		want *= 2;
	if (h->slots && want <= h->mask + 1)
		return 0;
	slots = calloc(want, sizeof(*slots));
	if (!slots)
		return -1;
	free(h->slots);
	h->slots = slots;
	h->mask = want - 1;
	h->used = 0;
	return 1;
}

void hashidx_clear(struct hashidx *h)
{
	if (h->slots)
		memset(h->slots, 0, (h->mask + 1) * sizeof(*h->slots));
	h->used = 0;
}

void hashidx_free(struct hashidx *h)
{
	free(h->slots);
	memset(h, 0, sizeof(*h));
}

void hashidx_insert(struct hashidx *h, uint64_t hash, uint32_t idx)
{
	size_t i = hash & h->mask;

	while (h->slots[i])
		i = (i + 1) & h->mask;
	h->slots[i] = (hash & 0xffffffff00000000ULL) | ((uint64_t)idx + 1);
	h->used++;
}
