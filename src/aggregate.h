/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How a flow key becomes the key of the series it counts in, as the label
 * set (label_set.h) says: omitted labels are summed away, addresses cut to
 * their prefixes.
 */
#ifndef TCFLOW_AGGREGATE_H
#define TCFLOW_AGGREGATE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include "label_set.h"
#include "tcflow.h"

/* What a series is told apart by: its label values. Fields whose label is
 * not kept are zero. A fold series (fold = 1) holds, per interface and
 * direction, what no flow series holds. */
struct series_key {
	char ifname[IF_NAMESIZE];
	uint8_t direction;
	uint8_t family;
	uint8_t protocol;
	uint8_t fold;
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t service_port;
	uint16_t pad;
	uint32_t owner;		/* owners_intern(): 0 no owner */
	uint32_t pad2;
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
};

/* The service's port of a conversation: a port outside the client range
 * beats one inside it; otherwise the smaller port; never 0 beside another
 * port. 0 without ports. */
uint16_t service_port(uint16_t src, uint16_t dst, const struct label_set *ls);
/* The key of the series flow k (on interface ifname) counts in. */
void aggregate_project(const struct flow_key *k, const char *ifname, const struct label_set *ls,
		       struct series_key *out);
/* The fold series of an interface and direction, as the label set sees it. */
void aggregate_fold_key(const char *ifname, uint8_t direction, const struct label_set *ls,
			struct series_key *out);
/* Exposition order: interface, direction, fold last, family, protocol,
 * addresses, ports. */
int series_key_cmp(const struct series_key *a, const struct series_key *b);

#endif
