/* SPDX-License-Identifier: BSD-2-Clause */
/* GET /events: the event stream as JSON lines, filtered by query. */
#ifndef TCFLOW_EVENTS_HTTP_H
#define TCFLOW_EVENTS_HTTP_H

#include <microhttpd.h>

#include "event_hub.h"

#define EVENTS_CONTENT_TYPE "application/x-ndjson; charset=utf-8"
/* Events a client's queue holds before it starts losing them. */
#define EVENTS_CLIENT_QUEUE 8192

/* The response to GET or HEAD /events and its status: a stream, or a 400
 * for a bad query, or a 503 when max_streams streams are open already
 * (open_streams counts them; a stream gives its place back on close).
 * NULL when memory ran out. */
struct MHD_Response *events_http_response(struct MHD_Connection *c, struct event_hub *hub,
					  int head, int *open_streams, unsigned int max_streams,
					  unsigned int *status);

#endif
