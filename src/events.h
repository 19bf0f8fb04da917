/* SPDX-License-Identifier: BSD-2-Clause */
/* The raw event stream in user space: one ring buffer record, decoded
 * (event_filter.h picks events, event_hub.h fans them out). */
#ifndef TCFLOW_EVENTS_H
#define TCFLOW_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

struct event_view {
	uint64_t timestamp_ns;
	uint64_t cgroup_id;
	uint32_t ifindex;
	uint8_t family;		/* TCFLOW_FAM_IPV4 or TCFLOW_FAM_IPV6 */
	uint8_t protocol;
	uint8_t direction;
	uint16_t src_port, dst_port;
	uint16_t packet_len;
	uint8_t src[16], dst[16];	/* network order; IPv4 in the first 4 */
};

/* Decodes one ring buffer record. 0, or -1 for an unknown kind or size. */
int event_decode(const void *data, size_t size, struct event_view *ev);
/* Appends the event as one JSON object and a newline. */
void event_to_json(const struct event_view *ev, struct strbuf *out);

#endif
