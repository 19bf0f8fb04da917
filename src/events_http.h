/* GET /events: the event stream as JSON lines, filtered by query. */
#ifndef TCFLOW_EVENTS_HTTP_H
#define TCFLOW_EVENTS_HTTP_H

#include "compat.h"
#include "events.h"

#define EVENTS_CONTENT_TYPE "application/x-ndjson; charset=utf-8"
/* Events a client's queue holds before it starts losing them. */
#define EVENTS_CLIENT_QUEUE 8192

MHD_RESULT events_http_respond(struct MHD_Connection *c, struct event_hub *hub);

#endif
