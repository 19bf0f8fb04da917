/* Interface names for the interface label, stable for the process's life. */
#ifndef TCFLOW_IFNAMES_H
#define TCFLOW_IFNAMES_H

#include <stdint.h>

/* The name the flow table's ifindex 0 stands for in capture replay. */
#define IFNAME_REPLAY "pcap"

/* Remembers the name an attached interface had when we attached to it, so
 * that series keep their label if the interface is renamed or removed. */
int ifnames_register(uint32_t ifindex, const char *name);
/* Fills out (IF_NAMESIZE bytes) with the name of ifindex. */
const char *ifnames_get(uint32_t ifindex, char *out);
void ifnames_clear(void);
/* The ifindex of a name (IFNAME_REPLAY is 0), or -1 when unknown. */
int64_t ifnames_find(const char *name);
/* Whether ifindex is an interface we attached to (or 0, replay's). */
int ifnames_watched(int64_t ifindex);

#endif
