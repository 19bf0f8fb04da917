#include "ifnames.h"

#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "flags.h"

static struct {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
} known[MAX_INTERFACES];
static int n_known;

/* Names looked up in the kernel, so that a scrape does not make one
 * if_indextoname() call per series. Replaced round robin. */
#define LOOKUP_CACHE 64
static struct {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
} cache[LOOKUP_CACHE];
static int n_cache, next_slot;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

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

int ifnames_register(uint32_t ifindex, const char *name)
{
	if (n_known == MAX_INTERFACES)
		return -1;
	known[n_known].ifindex = ifindex;
	snprintf(known[n_known].name, IF_NAMESIZE, "%s", name);
	n_known++;
	return 0;
}

void ifnames_clear(void)
{
	n_known = 0;
	pthread_mutex_lock(&cache_lock);
	n_cache = next_slot = 0;
	pthread_mutex_unlock(&cache_lock);
}

const char *ifnames_get(uint32_t ifindex, char *out)
{
	if (ifindex == 0) {
		snprintf(out, IF_NAMESIZE, "%s", IFNAME_REPLAY);
		return out;
	}
	for (int i = 0; i < n_known; i++)
		if (known[i].ifindex == ifindex) {
			memcpy(out, known[i].name, IF_NAMESIZE);
			return out;
		}
	if (cached(ifindex, out))
		return out;
	if (!if_indextoname(ifindex, out))
		snprintf(out, IF_NAMESIZE, "%u", ifindex);
	remember(ifindex, out);
	return out;
}

int64_t ifnames_find(const char *name)
{
	unsigned int ifindex;

	if (strcmp(name, IFNAME_REPLAY) == 0)
		return 0;
	for (int i = 0; i < n_known; i++)
		if (strcmp(known[i].name, name) == 0)
			return known[i].ifindex;
	ifindex = if_nametoindex(name);
	return ifindex ? (int64_t)ifindex : -1;
}

int ifnames_watched(int64_t ifindex)
{
	if (ifindex == 0)
		return 1;
	for (int i = 0; i < n_known; i++)
		if (known[i].ifindex == ifindex)
			return 1;
	return 0;
}
