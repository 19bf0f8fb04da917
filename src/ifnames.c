// SPDX-License-Identifier: BSD-2-Clause
#include "ifnames.h"

#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing by ifindex: a scrape looks a name up per series, and
 * thousands of interfaces must not make that a linear search. Entries are
 * never removed one by one (an interface that went keeps its name, see
 * ifnames.h); the table is rebuilt without them when they pile up. */
struct entry {
	uint32_t ifindex;	/* 0: empty slot */
	int gone;
	char name[IF_NAMESIZE];
};

#define MAX_GONE 16384

static struct entry *table;
static size_t cap, used, n_gone;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

/* Names of interfaces we never counted, looked up in the kernel once
 * rather than once per series. Replaced round robin; emptied on every
 * change, since a rename may concern one of them. */
#define LOOKUP_CACHE 64
static struct {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
} cache[LOOKUP_CACHE];
static int n_cache, next_slot;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	n_cache = next_slot = 0;
	pthread_mutex_unlock(&cache_lock);
}

static int cached(uint32_t ifindex, char *out)
{
	int found = 0;

	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < n_cache && !found; i++)
		if (cache[i].ifindex == ifindex) {
			memcpy(out, cache[i].name, IF_NAMESIZE);
			found = 1;
		}
	pthread_mutex_unlock(&cache_lock);
	return found;
}

static void remember(uint32_t ifindex, const char *name)
{
	pthread_mutex_lock(&cache_lock);
	cache[next_slot].ifindex = ifindex;
	snprintf(cache[next_slot].name, IF_NAMESIZE, "%s", name);
	next_slot = (next_slot + 1) % LOOKUP_CACHE;
	if (n_cache < LOOKUP_CACHE)
		n_cache++;
	pthread_mutex_unlock(&cache_lock);
}

static size_t slot_of(const struct entry *t, size_t c, uint32_t ifindex)
{
	size_t i = (ifindex * 2654435761u) & (c - 1);

	while (t[i].ifindex && t[i].ifindex != ifindex)
		i = (i + 1) & (c - 1);
	return i;
}

/* Called with the write lock: a table of new_cap slots, without the
 * entries of interfaces that went when drop_gone is set. */
static int rebuild(size_t new_cap, int drop_gone)
{
	struct entry *t = calloc(new_cap, sizeof(*t));

	if (!t)
		return -1;
	used = 0;
	for (size_t i = 0; i < cap; i++) {
		if (!table[i].ifindex || (drop_gone && table[i].gone))
			continue;
		t[slot_of(t, new_cap, table[i].ifindex)] = table[i];
		used++;
	}
	if (drop_gone)
		n_gone = 0;
	free(table);
	table = t;
	cap = new_cap;
	return 0;
}

int ifnames_set(uint32_t ifindex, const char *name)
{
	struct entry *e;
	int rc = 0;

	pthread_rwlock_wrlock(&lock);
	if ((used + 1) * 2 > cap && rebuild(cap ? cap * 2 : 256, 0))
		rc = -1;
	if (!rc) {
		e = &table[slot_of(table, cap, ifindex)];
		if (!e->ifindex) {
			e->ifindex = ifindex;
			used++;
		} else if (e->gone) {
			n_gone--;
		}
		e->gone = 0;
		snprintf(e->name, IF_NAMESIZE, "%s", name);
	}
	pthread_rwlock_unlock(&lock);
	cache_clear();
	return rc;
}

int ifnames_register(uint32_t ifindex, const char *name)
{
	return ifnames_set(ifindex, name);
}

void ifnames_gone(uint32_t ifindex)
{
	pthread_rwlock_wrlock(&lock);
	if (cap) {
		struct entry *e = &table[slot_of(table, cap, ifindex)];

		if (e->ifindex && !e->gone) {
			e->gone = 1;
			n_gone++;
		}
		if (n_gone > MAX_GONE)
			rebuild(cap, 1);
	}
	pthread_rwlock_unlock(&lock);
	cache_clear();
}

void ifnames_clear(void)
{
	pthread_rwlock_wrlock(&lock);
	free(table);
	table = NULL;
	cap = used = n_gone = 0;
	pthread_rwlock_unlock(&lock);
	cache_clear();
}

/* The entry's name into out: 1 when known; *gone says whether it went. */
static int lookup(uint32_t ifindex, char *out, int *gone)
{
	int found = 0;

	pthread_rwlock_rdlock(&lock);
	if (cap) {
		const struct entry *e = &table[slot_of(table, cap, ifindex)];

		if (e->ifindex) {
			if (out)
				memcpy(out, e->name, IF_NAMESIZE);
			*gone = e->gone;
			found = 1;
		}
	}
	pthread_rwlock_unlock(&lock);
	return found;
}

const char *ifnames_get(uint32_t ifindex, char *out)
{
	int gone;

	if (ifindex == 0) {
		snprintf(out, IF_NAMESIZE, "%s", IFNAME_REPLAY);
		return out;
	}
	if (lookup(ifindex, out, &gone) || cached(ifindex, out))
		return out;
	if (!if_indextoname(ifindex, out))
		snprintf(out, IF_NAMESIZE, "%u", ifindex);
	remember(ifindex, out);
	return out;
}

int64_t ifnames_find(const char *name)
{
	unsigned int ifindex;
	int64_t found = -1;

	if (strcmp(name, IFNAME_REPLAY) == 0)
		return 0;
	pthread_rwlock_rdlock(&lock);
	for (size_t i = 0; i < cap && found < 0; i++)
		if (table[i].ifindex && !table[i].gone && strcmp(table[i].name, name) == 0)
			found = table[i].ifindex;
	pthread_rwlock_unlock(&lock);
	if (found >= 0)
		return found;
	ifindex = if_nametoindex(name);
	return ifindex ? (int64_t)ifindex : -1;
}

int ifnames_watched(int64_t ifindex)
{
	int gone = 1;

	if (ifindex == 0)
		return 1;
	if (ifindex < 0 || ifindex > UINT32_MAX)
		return 0;
	return lookup((uint32_t)ifindex, NULL, &gone) && !gone;
}
