// SPDX-License-Identifier: BSD-2-Clause
#include "aggregate.h"

#include <string.h>

#include "owners.h"

static int ephemeral(uint16_t port, const struct label_set *ls)
{
	return port >= ls->ephemeral_lo && port <= ls->ephemeral_hi;
}

uint16_t service_port(uint16_t src, uint16_t dst, const struct label_set *ls)
{
	int es = ephemeral(src, ls), ed = ephemeral(dst, ls);

	if (!src || !dst)	/* port 0 is never a service's */
		return src ? src : dst;
	if (es != ed)
		return es ? dst : src;
	return src < dst ? src : dst;
}

static void mask_prefix(uint8_t *addr, unsigned int bytes, unsigned int prefix)
{
	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int keep = prefix > i * 8 ? prefix - i * 8 : 0;

		if (keep < 8)
			addr[i] &= (uint8_t)(0xff00 >> keep);
	}
}

static void project_addrs(const struct flow_key *k, const struct label_set *ls,
			  struct series_key *out)
{
	unsigned int v6 = k->family == TCFLOW_FAM_IPV6;
	unsigned int bytes = v6 ? 16 : 4, prefix = v6 ? ls->ipv6_prefix : ls->ipv4_prefix;

	/* Without addresses nothing in the labels tells the families apart. */
	if (!(ls->mask & (FL_SRC_IP | FL_DST_IP)))
		return;
	out->family = k->family;
	if (ls->mask & FL_SRC_IP) {
		memcpy(out->src_addr, k->src_addr, bytes);
		mask_prefix(out->src_addr, bytes, prefix);
	}
	if (ls->mask & FL_DST_IP) {
		memcpy(out->dst_addr, k->dst_addr, bytes);
		mask_prefix(out->dst_addr, bytes, prefix);
	}
}

void aggregate_project(const struct flow_key *k, const char *ifname, const struct label_set *ls,
		       struct series_key *out)
{
	unsigned int m = ls->mask;

	memset(out, 0, sizeof(*out));
	if (m & FL_INTERFACE)
		strncpy(out->ifname, ifname, sizeof(out->ifname) - 1);
	if (m & FL_DIRECTION)
		out->direction = k->direction;
	if (m & FL_PROTOCOL)
		out->protocol = k->protocol;
	if (m & FL_SRC_PORT)
		out->src_port = k->src_port;
	if (m & FL_DST_PORT)
		out->dst_port = k->dst_port;
	if (m & FL_SERVICE_PORT)
		out->service_port = service_port(k->src_port, k->dst_port, ls);
	if ((m & FL_OWNER) && ls->owners)
		out->owner = owners_intern(ls->owners, k->cgroup_id);
	project_addrs(k, ls, out);
}

void aggregate_fold_key(const char *ifname, uint8_t direction, const struct label_set *ls,
			struct series_key *out)
{
	memset(out, 0, sizeof(*out));
	/* Labels that say no more than interface and direction leave nothing
	 * to tell a fold from its flows: one series holds both. */
	out->fold = (ls->mask & ~(unsigned int)(FL_INTERFACE | FL_DIRECTION)) != 0;
	if (ls->mask & FL_INTERFACE)
		strncpy(out->ifname, ifname, sizeof(out->ifname) - 1);
	if (ls->mask & FL_DIRECTION)
		out->direction = direction;
}

int series_key_cmp(const struct series_key *a, const struct series_key *b)
{
	int c = strcmp(a->ifname, b->ifname);

	if (c)
		return c;
	if (a->direction != b->direction)
		return a->direction - b->direction;
	if (a->fold != b->fold)
		return a->fold - b->fold;
	if (a->family != b->family)
		return a->family - b->family;
	if (a->protocol != b->protocol)
		return a->protocol - b->protocol;
	if ((c = memcmp(a->src_addr, b->src_addr, 16)))
		return c;
	if ((c = memcmp(a->dst_addr, b->dst_addr, 16)))
		return c;
	if (a->src_port != b->src_port)
		return a->src_port - b->src_port;
	if (a->dst_port != b->dst_port)
		return a->dst_port - b->dst_port;
	if (a->service_port != b->service_port)
		return a->service_port - b->service_port;
	/* In the order owners were first seen: stable for the process. */
	return a->owner < b->owner ? -1 : a->owner > b->owner;
}
