/* SPDX-License-Identifier: BSD-2-Clause */
/* Interface names for the interface label. The interface follower keeps
 * them current (a rename relabels at the next scrape); an interface that
 * went keeps its last name, so that its flows keep their label until they
 * expire. */
#ifndef TCFLOW_IFNAMES_H
#define TCFLOW_IFNAMES_H

#include <stdint.h>

/* The name the flow table's ifindex 0 stands for in capture replay. */
#define IFNAME_REPLAY "pcap"

/* An interface we count, under its current name (new, or renamed). */
int ifnames_set(uint32_t ifindex, const char *name);
/* The interface went, or is no longer counted: its name stays for labels. */
void ifnames_gone(uint32_t ifindex);
/* Kept for the callers of the first version: ifnames_set. */
int ifnames_register(uint32_t ifindex, const char *name);
/* Fills out (IF_NAMESIZE bytes) with the name of ifindex. */
const char *ifnames_get(uint32_t ifindex, char *out);
void ifnames_clear(void);
/* The ifindex of a name (IFNAME_REPLAY is 0), or -1 when unknown. */
int64_t ifnames_find(const char *name);
/* Whether ifindex is an interface we count now (or 0, replay's). */
int ifnames_watched(int64_t ifindex);

#endif
