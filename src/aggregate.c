#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "owners.h"

const char *const flow_label_names[FL_N] = {
	"interface", "direction", "protocol", "src_ip", "dst_ip", "src_port", "dst_port",
	"service_port", "cgroup", "namespace", "pod", "container",
};

void label_set_default(struct label_set *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->mask = FL_SERVICES;
	ls->ipv4_prefix = 32;
	ls->ipv6_prefix = 128;
	ls->max_series = DEFAULT_MAX_SERIES;
	ls->retention_s = DEFAULT_SERIES_RETENTION_S;
	ls->ephemeral_lo = 32768;
	ls->ephemeral_hi = 60999;
}

void label_set_read_ephemeral(struct label_set *ls, const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned int lo, hi;

	if (!f)
		return;
	if (fscanf(f, "%u %u", &lo, &hi) == 2 && lo <= hi && hi <= 65535) {
		ls->ephemeral_lo = (uint16_t)lo;
		ls->ephemeral_hi = (uint16_t)hi;
	}
	fclose(f);
}

static int preset(struct label_set *ls, const char *spec)
{
	if (!strcmp(spec, "full") || !strcmp(spec, "5-tuple"))
		ls->mask = FL_FULL;
	else if (!strcmp(spec, "hosts"))
		ls->mask = FL_INTERFACE | FL_DIRECTION | FL_SRC_IP | FL_DST_IP;
	else if (!strcmp(spec, "services"))
		ls->mask = FL_SERVICES;
	else
		return -1;
	return 0;
}

static unsigned int label_bit(const char *name, size_t len)
{
	for (unsigned int i = 0; i < FL_N; i++)
		if (strlen(flow_label_names[i]) == len && !strncmp(flow_label_names[i], name, len))
			return 1u << i;
	return 0;
}

int label_set_parse(struct label_set *ls, const char *spec, char *err, size_t errlen)
{
	unsigned int mask = 0, bit;
	const char *p = spec;

	if (!preset(ls, spec))
		return 0;
	while (*p) {
		size_t len = strcspn(p, ",");

		bit = label_bit(p, len);
		if (!bit || (p[len] == ',' && !p[len + 1])) {
			snprintf(err, errlen, "invalid value for --flow.labels: \"%.*s\" is not a preset "
				 "(services, hosts, full) or a label (interface, direction, protocol, "
				 "src_ip, dst_ip, src_port, dst_port, service_port, cgroup, namespace, "
				 "pod, container)", (int)len, p);
			return -1;
		}
		mask |= bit;
		p += len + (p[len] == ',');
	}
	if (!mask) {
		snprintf(err, errlen, "invalid value for --flow.labels: no label given");
		return -1;
	}
	ls->mask = mask;
	return 0;
}

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

unsigned int label_set_owner_labels(unsigned int mask)
{
	return (mask & FL_CGROUP ? OWNER_L_CGROUP : 0) |
	       (mask & FL_NAMESPACE ? OWNER_L_NAMESPACE : 0) |
	       (mask & FL_POD ? OWNER_L_POD : 0) |
	       (mask & FL_CONTAINER ? OWNER_L_CONTAINER : 0);
}
