/* SPDX-License-Identifier: BSD-2-Clause */
/* The query parameters of /events: which events a client wants. */
#ifndef TCFLOW_EVENT_FILTER_H
#define TCFLOW_EVENT_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include "events.h"

#define EVENT_ANY -1

struct event_filter {
	int64_t ifindex;	/* EVENT_ANY or an ifindex */
	int protocol;
	int src_port, dst_port, port;	/* port: either side */
	int src_family, dst_family, any_family;	/* 0 when no address filter */
	uint8_t src[16], dst[16], any[16];
	uint64_t limit;		/* 0: no limit */
};

void event_filter_init(struct event_filter *f);
/* Applies one query parameter (interface, protocol, src_ip, dst_ip, ip,
 * src_port, dst_port, port, limit). 0, or -1 with err naming what is wrong. */
int event_filter_set(struct event_filter *f, const char *key, const char *value,
		     char *err, size_t errlen);
int event_filter_match(const struct event_filter *f, const struct event_view *ev);

#endif
