/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTTP layer: libmicrohttpd serving /metrics, /events, /-/healthy and
 * a landing page, with TLS and basic auth from --web.config.file, and the
 * limits that keep it answering under abuse. */
#ifndef TCFLOW_HTTP_H
#define TCFLOW_HTTP_H

#include "scrape.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OPENMETRICS_CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

struct http_server;
struct web_watch;
struct event_hub;

struct http_opts {
	const char *listen_address;	/* [host]:port */
	const char *telemetry_path;
	unsigned int max_requests;	/* requests served at once; more get 503 */
	unsigned int max_connections;
	unsigned int max_per_ip;
	unsigned int max_event_streams;
	unsigned int timeout_seconds;	/* idle connection */
	unsigned int header_timeout_seconds;	/* whole request head */
	int events_disabled;		/* --web.disable-events */
	struct web_watch *web;		/* --web.config.file; NULL: none */
};

/* Binds the listening socket (before attaching, and before privileges
 * are dropped). NULL after logging one line naming the cause. */
struct http_server *http_bind(const struct http_opts *opts);
/* Starts serving; hub serves /events (NULL when events are off). Creates
 * the server's threads. 0, or -1 logged. */
int http_run(struct http_server *srv, struct scraper *scraper, struct event_hub *hub);
void http_stop(struct http_server *srv);
/* tcflow_http_* metrics: open connections, requests refused by each
 * limit (counters since start_time, unix seconds). */
void http_render(struct http_server *srv, struct expo *e, double start_time);

/* Whether an Accept-Encoding value accepts gzip (a q=0 refuses it). */
int http_accepts_gzip(const char *accept_encoding);
/* Whether an Accept value asks for application/openmetrics-text (q > 0). */
int http_accepts_openmetrics(const char *accept);
/* Splits "[host]:port" into a host (NULL for any) and a port. 0 or -1. */
int http_split_address(const char *addr, char *host, size_t host_len, char *port,
		       size_t port_len);

#endif
