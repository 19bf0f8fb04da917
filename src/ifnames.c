#include "ifnames.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "flags.h"

static struct {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
} known[MAX_INTERFACES];
static int n_known;

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
	if (!if_indextoname(ifindex, out))
		snprintf(out, IF_NAMESIZE, "%u", ifindex);
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
