// SPDX-License-Identifier: BSD-2-Clause
/* The query parameters of /events: which events a client wants. */
#include "event_filter.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ifnames.h"
#include "labels.h"
#include "parse_num.h"
#include "tcflow.h"

void event_filter_init(struct event_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->ifindex = EVENT_ANY;
	f->protocol = EVENT_ANY;
	f->src_port = f->dst_port = f->port = EVENT_ANY;
}

static int parse_protocol(const char *v)
{
	int named = proto_number(v);
	uint32_t n;

	if (named >= 0)
		return named;
	return parse_u32(v, 0, 255, &n) ? -1 : (int)n;
}

/* IPv4 or IPv6 text: the family, or 0 when it is neither. */
static int parse_addr(const char *v, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, v, out) == 1)
		return TCFLOW_FAM_IPV4 + 1;
	if (inet_pton(AF_INET6, v, out) == 1)
		return TCFLOW_FAM_IPV6 + 1;
	return 0;
}

static int set_port(int *port, const char *v)
{
	uint32_t n;

	if (parse_u32(v, 0, 65535, &n))
		return -1;
	*port = (int)n;
	return 0;
}

static int set_interface(struct event_filter *f, const char *v)
{
	int64_t ifindex = ifnames_find(v);

	if (ifindex < 0 || !ifnames_watched(ifindex))
		return -1;
	f->ifindex = ifindex;
	return 0;
}

int event_filter_set(struct event_filter *f, const char *key, const char *value,
		     char *err, size_t errlen)
{
	const char *want = NULL;
	uint32_t n;

	if (!value)
		value = "";
	if (!strcmp(key, "interface"))
		want = set_interface(f, value) ? "an interface the exporter watches" : NULL;
	else if (!strcmp(key, "protocol"))
		want = (f->protocol = parse_protocol(value)) < 0 ? "a protocol name or number" : NULL;
	else if (!strcmp(key, "src_ip"))
		want = !(f->src_family = parse_addr(value, f->src)) ? "an IP address" : NULL;
	else if (!strcmp(key, "dst_ip"))
		want = !(f->dst_family = parse_addr(value, f->dst)) ? "an IP address" : NULL;
	else if (!strcmp(key, "ip"))
		want = !(f->any_family = parse_addr(value, f->any)) ? "an IP address" : NULL;
	else if (!strcmp(key, "src_port"))
		want = set_port(&f->src_port, value) ? "a port from 0 to 65535" : NULL;
	else if (!strcmp(key, "dst_port"))
		want = set_port(&f->dst_port, value) ? "a port from 0 to 65535" : NULL;
	else if (!strcmp(key, "port"))
		want = set_port(&f->port, value) ? "a port from 0 to 65535" : NULL;
	else if (!strcmp(key, "limit")) {
		want = parse_u32(value, 1, UINT32_MAX, &n) ? "a whole number from 1" : NULL;
		f->limit = n;
	} else {
		snprintf(err, errlen, "unknown query parameter \"%s\" (use interface, protocol, "
			 "src_ip, dst_ip, ip, src_port, dst_port, port or limit)", key);
		return -1;
	}
	if (!want)
		return 0;
	snprintf(err, errlen, "invalid value for query parameter %s: \"%s\" (want %s)",
		 key, value, want);
	return -1;
}

static int addr_is(int family, const uint8_t want[16], const struct event_view *ev,
		   const uint8_t have[16])
{
	return family == ev->family + 1 && memcmp(want, have, 16) == 0;
}

int event_filter_match(const struct event_filter *f, const struct event_view *ev)
{
	if (f->ifindex != EVENT_ANY && f->ifindex != (int64_t)ev->ifindex)
		return 0;
	if (f->protocol != EVENT_ANY && f->protocol != ev->protocol)
		return 0;
	if (f->src_port != EVENT_ANY && f->src_port != ev->src_port)
		return 0;
	if (f->dst_port != EVENT_ANY && f->dst_port != ev->dst_port)
		return 0;
	if (f->port != EVENT_ANY && f->port != ev->src_port && f->port != ev->dst_port)
		return 0;
	if (f->src_family && !addr_is(f->src_family, f->src, ev, ev->src))
		return 0;
	if (f->dst_family && !addr_is(f->dst_family, f->dst, ev, ev->dst))
		return 0;
	if (f->any_family && !addr_is(f->any_family, f->any, ev, ev->src) &&
	    !addr_is(f->any_family, f->any, ev, ev->dst))
		return 0;
	return 1;
}
