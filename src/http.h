/* The HTTP layer: libmicrohttpd serving /metrics and a landing page. */
#ifndef TCFLOW_HTTP_H
#define TCFLOW_HTTP_H

#include "scrape.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OPENMETRICS_CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

struct http_server;

struct http_opts {
	const char *listen_address;	/* [host]:port */
	const char *telemetry_path;
	unsigned int max_connections;
	unsigned int timeout_seconds;
	struct event_hub *hub;	/* serves /events; NULL when events are off */
};

/* Binds and starts serving; NULL after logging one line naming the cause. */
struct http_server *http_start(const struct http_opts *opts, struct scraper *scraper);
/* The same in two steps: bind the port (so that a port conflict is found
 * before anything else is done), then serve ("listening on" is logged). */
struct http_server *http_bind(const struct http_opts *opts, struct scraper *scraper);
int http_serve(struct http_server *srv, const struct http_opts *opts);
void http_stop(struct http_server *srv);

/* Whether an Accept-Encoding value accepts gzip (a q=0 refuses it). */
int http_accepts_gzip(const char *accept_encoding);
/* Whether an Accept value asks for application/openmetrics-text (q > 0). */
int http_accepts_openmetrics(const char *accept);
/* Splits "[host]:port" into a host (NULL for any) and a port. 0 or -1. */
int http_split_address(const char *addr, char *host, size_t host_len, char *port,
		       size_t port_len);

#endif
