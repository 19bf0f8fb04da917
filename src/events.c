// SPDX-License-Identifier: BSD-2-Clause
#include "events.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ifnames.h"
#include "labels.h"
#include "tcflow.h"

/* The fields both event layouts share, under the same names. */
#define COPY_COMMON(view, e) do { \
		(view)->timestamp_ns = (e)->timestamp_ns; \
		(view)->cgroup_id = (e)->cgroup_id; \
		(view)->src_port = (e)->src_port; \
		(view)->dst_port = (e)->dst_port; \
		(view)->protocol = (e)->protocol; \
		(view)->direction = (e)->direction; \
		(view)->packet_len = (e)->packet_len; \
	} while (0)

int event_decode(const void *data, size_t size, struct event_view *ev)
{
	const struct event_header *h = data;

	if (size < sizeof(*h))
		return -1;
	memset(ev, 0, sizeof(*ev));
	ev->ifindex = h->ifindex;
	if (h->kind == TCFLOW_EVENT_IPV4 && size >= sizeof(struct event_record4)) {
		const struct network_flow_event *e = &((const struct event_record4 *)data)->ev;

		ev->family = TCFLOW_FAM_IPV4;
		for (int i = 0; i < 4; i++) {
			ev->src[i] = (uint8_t)(e->src_ip >> (8 * i));
			ev->dst[i] = (uint8_t)(e->dst_ip >> (8 * i));
		}
		COPY_COMMON(ev, e);
		return 0;
	}
	if (h->kind == TCFLOW_EVENT_IPV6 && size >= sizeof(struct event_record6)) {
		const struct network_flow_event6 *e = &((const struct event_record6 *)data)->ev;

		ev->family = TCFLOW_FAM_IPV6;
		memcpy(ev->src, e->src_ip, 16);
		memcpy(ev->dst, e->dst_ip, 16);
		COPY_COMMON(ev, e);
		return 0;
	}
	return -1;
}

void event_to_json(const struct event_view *ev, struct strbuf *out)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];
	char proto[PROTO_NAME_MAX];

	strbuf_printf(out,
		"{\"timestamp_ns\":%llu,\"cgroup_id\":%llu,\"src_ip\":\"%s\",\"dst_ip\":\"%s\","
		"\"src_port\":%u,\"dst_port\":%u,\"protocol\":\"%s\",\"direction\":\"%s\","
		"\"packet_len\":%u,\"interface\":\"",
		(unsigned long long)ev->timestamp_ns, (unsigned long long)ev->cgroup_id,
		addr_text(ev->family, ev->src, src, sizeof(src)),
		addr_text(ev->family, ev->dst, dst, sizeof(dst)),
		ev->src_port, ev->dst_port, proto_name(ev->protocol, proto),
		direction_name(ev->direction), ev->packet_len);
	/* An interface name may hold any byte but '/' and blanks: escape it. */
	for (const char *p = ifnames_get(ev->ifindex, ifname); *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_printf(out, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			strbuf_printf(out, "\\u%04x", *p);
		else
			strbuf_putc(out, *p);
	}
	strbuf_puts(out, "\"}\n");
}
