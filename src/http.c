// SPDX-License-Identifier: BSD-2-Clause
#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <gnutls/abstract.h>
#include <microhttpd.h>

#include "config.h"
#include "events_http.h"
#include "gzip.h"
#include "http_text.h"
#include "log.h"
#include "web_config.h"

/* A body still being sent is served again to requests that come within
 * SHARE_SECONDS of its scrape, and to every request while MAX_LIVE_BODIES
 * bodies are being sent: slow readers pin a few bodies, not one each. */
#define SHARE_SECONDS 1.0
#define MAX_LIVE_BODIES 3

struct shared_body {
	struct http_server *srv;
	struct scrape_body *body;
	const struct strbuf *data;
	int refs;		/* under srv->lock */
	int slot;
	double made;
};

/* One per open connection, from libmicrohttpd's connection notifications. */
struct conn {
	struct conn *next, *prev;
	int fd;
	long long deadline_ms;	/* the request head must be in by then; 0: none */
	struct web_config *tls_cfg;	/* the TLS session was set up with it */
};

enum refusal { REFUSED_MAX_REQUESTS, REFUSED_MAX_STREAMS, REFUSED_HEADER_TIMEOUT,
	       REFUSED_UNAUTHORIZED, REFUSED_CLIENT_CERT, REFUSED_QUERY, N_REFUSALS };

static const char *const refusal_names[N_REFUSALS] = {
	"max_requests", "max_event_streams", "read_header_timeout", "unauthorized",
	"client_certificate", "too_many_parameters",
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct scraper *scraper;
	struct event_hub *hub;
	struct http_opts opts;
	struct web_watch *web;
	int tls;
	char *telemetry_path;
	char *landing_page;
	int fd;
	pthread_mutex_t lock;	/* conns, slots */
	struct conn *conns;
	int n_conns;
	struct shared_body *slots[4];	/* the newest body of each variant */
	int live_bodies;
	int in_flight, open_streams;	/* atomic */
	unsigned long refused[N_REFUSALS];	/* atomic */
	pthread_t watchdog;
	pthread_cond_t wake;
	int stopping, watchdog_running;
};

/* Markers in a request's context: its request line is in (with too many
 * query parameters); its head is in (likewise); it counts in in_flight
 * (given back on completion). */
static int line_received, line_too_many, head_received, head_too_many, counted_request;

int http_split_address(const char *addr, char *host, size_t host_len, char *port,
		       size_t port_len)
{
	const char *colon = strrchr(addr, ':');
	size_t hlen;

	if (!colon || !colon[1] || strlen(colon + 1) >= port_len)
		return -1;
	hlen = (size_t)(colon - addr);
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		addr++;
		hlen -= 2;
	} else if (memchr(addr, ':', hlen)) {
		return -1;	/* a bare IPv6 address needs brackets */
	}
	if (hlen >= host_len)
		return -1;
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	snprintf(port, port_len, "%s", colon + 1);
	return 0;
}

/* The q of the first element of a comma-separated header (Accept,
 * Accept-Encoding) that is token, with or without parameters: 1 when it
 * gives none, -1 when no element is token. Case-insensitive. */
static double header_q(const char *list, const char *token)
{
	size_t tlen = strlen(token);

	for (const char *p = list; p && *p; ) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len >= tlen && !strncasecmp(p, token, tlen) &&
		    (len == tlen || strchr("; \t", p[tlen]))) {
			const char *q = p;

			while ((q = memchr(q, ';', len - (size_t)(q - p)))) {
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				if (!strncmp(q, "q=", 2))
					return strtod(q + 2, NULL);
			}
			return 1.0;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

int http_accepts_gzip(const char *value)
{
	return header_q(value, "gzip") > 0;
}

int http_accepts_openmetrics(const char *accept)
{
	double om = header_q(accept, "application/openmetrics-text");

	return om > 0 && om >= header_q(accept, "text/plain");
}

static int bind_socket(const char *what, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res, *ai;
	int fd = -1, one = 1, zero = 0, rc, err = 0;

	hints.ai_family = *host ? AF_UNSPEC : AF_INET6;
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (rc && !*host) {	/* no IPv6 at all: listen on IPv4 only */
		hints.ai_family = AF_INET;
		rc = getaddrinfo(NULL, port, &hints, &res);
	}
	if (rc) {
		pr_err("invalid value for --web.listen-address: \"%s\": %s\n", what, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !*host)	/* ":port" means IPv4 too */
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		pr_err("cannot listen on --web.listen-address \"%s\": %s\n", what, strerror(err));
	return fd;
}

static void log_bound_address(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		pr_info("listening on [%s]:%u\n", host, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		pr_info("listening on %s:%u\n", host, port);
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void refuse(struct http_server *srv, enum refusal why)
{
	__atomic_add_fetch(&srv->refused[why], 1, __ATOMIC_RELAXED);
}

/* Every response carries http_server_config.headers. */
static enum MHD_Result queue(struct MHD_Connection *c, const struct web_config *cfg,
			unsigned int status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	for (int i = 0; cfg && i < cfg->n_headers; i++)
		MHD_add_response_header(r, cfg->headers[i].name, cfg->headers[i].value);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status == MHD_HTTP_UNAUTHORIZED)
		ret = MHD_queue_basic_auth_fail_response(c, "tcflow_exporter", r);
	else
		ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, const struct web_config *cfg,
			    unsigned int status, const char *text)
{
	return queue(c, cfg, status, http_text_response(HTTP_TEXT_PLAIN, text));
}

/* ---- /metrics: one body shared by concurrent and slow readers ---------- */

static double mono_seconds(void)
{
	return (double)now_ms() / 1000.0;
}

static struct shared_body *body_get(struct http_server *srv, enum scrape_format format,
				    int gzip)
{
	int slot = (int)format * 2 + !!gzip;
	struct shared_body *sb;
	struct scrape_body *b;

	pthread_mutex_lock(&srv->lock);
	sb = srv->slots[slot];
	if (sb && (mono_seconds() - sb->made < SHARE_SECONDS ||
		   srv->live_bodies >= MAX_LIVE_BODIES)) {
		sb->refs++;
		pthread_mutex_unlock(&srv->lock);
		return sb;
	}
	pthread_mutex_unlock(&srv->lock);
	b = scraper_get(srv->scraper, format, gzip);
	sb = b ? calloc(1, sizeof(*sb)) : NULL;
	if (!sb) {
		if (b)
			scraper_put(srv->scraper, b);
		return NULL;
	}
	sb->srv = srv;
	sb->body = b;
	sb->data = scrape_payload(b, format, gzip);
	sb->refs = 1;
	sb->slot = slot;
	sb->made = mono_seconds();
	pthread_mutex_lock(&srv->lock);
	srv->slots[slot] = sb;	/* a body nobody reads any more is never offered */
	srv->live_bodies++;
	pthread_mutex_unlock(&srv->lock);
	return sb;
}

static void body_release(void *cls)
{
	struct shared_body *sb = cls;
	struct http_server *srv = sb->srv;

	pthread_mutex_lock(&srv->lock);
	if (--sb->refs > 0) {
		pthread_mutex_unlock(&srv->lock);
		return;
	}
	if (srv->slots[sb->slot] == sb)
		srv->slots[sb->slot] = NULL;
	srv->live_bodies--;
	pthread_mutex_unlock(&srv->lock);
	scraper_put(srv->scraper, sb->body);
	free(sb);
}

/* A body kept only gzipped, for a client that does not take gzip: inflated
 * a block at a time as the socket takes it, so that a slow reader holds
 * its place in the shared body, not a text of its own. */
struct inflating {
	struct shared_body *sb;
	struct gunzip_stream *u;
};

static ssize_t inflate_block(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct inflating *in = cls;
	ssize_t n = gunzip_stream_read(in->u, buf, max);

	(void)pos;	/* called in order: the stream knows where it is */
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n ? n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void inflating_free(void *cls)
{
	struct inflating *in = cls;

	gunzip_stream_free(in->u);
	body_release(in->sb);
	free(in);
}

static struct MHD_Response *inflated_response(struct shared_body *sb)
{
	const struct strbuf *gz = &sb->body->gzip;
	struct inflating *in = calloc(1, sizeof(*in));
	struct MHD_Response *r = NULL;

	if (in && (in->u = gunzip_stream_new(gz->data, gz->len))) {
		in->sb = sb;
		r = MHD_create_response_from_callback(sb->body->text_len, 64 * 1024, inflate_block,
						      in, inflating_free);
	}
	if (r)
		return r;
	if (in)
		gunzip_stream_free(in->u);
	free(in);
	body_release(sb);
	return NULL;
}

static struct MHD_Response *metrics_response(struct shared_body *sb)
{
	struct MHD_Response *r;

	if (!sb->data)
		return inflated_response(sb);
	/* Sent straight from the shared body: no copy per request. */
	r = MHD_create_response_from_buffer_with_free_callback_cls(sb->data->len, sb->data->data,
								   body_release, sb);
	if (!r)
		body_release(sb);
	return r;
}

static enum MHD_Result send_metrics(struct http_server *srv, struct MHD_Connection *c,
			       const struct web_config *cfg)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	int gzip = ae && http_accepts_gzip(ae);
	enum scrape_format format = accept && http_accepts_openmetrics(accept) ?
				    FORMAT_OPENMETRICS : FORMAT_TEXT;
	struct shared_body *sb = body_get(srv, format, gzip);
	struct MHD_Response *r;

	if (!sb)
		return send_text(c, cfg, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "out of memory while rendering the metrics\n");
	r = metrics_response(sb);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, format == FORMAT_OPENMETRICS ?
				OPENMETRICS_CONTENT_TYPE : METRICS_CONTENT_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gzip)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return queue(c, cfg, MHD_HTTP_OK, r);
}

/* ---- requests ------------------------------------------------------------ */

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static gnutls_session_t session_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	return ci ? (gnutls_session_t)ci->tls_session : NULL;
}

/* TLS client certificate (checked again after the handshake: libmicrohttpd
 * only requests one) and basic auth. 0 to go on, or the status sent. */
static int authorize(struct http_server *srv, struct MHD_Connection *c, struct conn *cn,
		     const struct web_config *cfg, enum MHD_Result *ret)
{
	const char *why = NULL;
	char *user, *pass = NULL;
	int ok;

	if (srv->tls && (!cn || !cn->tls_cfg || !session_of(c) ||
			 web_config_check_peer(cn->tls_cfg, session_of(c), &why))) {
		refuse(srv, REFUSED_CLIENT_CERT);
		*ret = send_text(c, cfg, MHD_HTTP_FORBIDDEN, "client certificate refused\n");
		pr_debug("refused a TLS client: %s\n", why ? why : "no session");
		return -1;
	}
	if (!cfg || !cfg->n_users)
		return 0;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = user && pass && web_config_check_user((struct web_config *)cfg, user, pass);
	if (user)
		MHD_free(user);
	if (pass) {
		memset(pass, 0, strlen(pass));
		MHD_free(pass);
	}
	if (ok)
		return 0;
	refuse(srv, REFUSED_UNAUTHORIZED);
	*ret = send_text(c, cfg, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	return -1;
}

#define MAX_QUERY_PARAMETERS 32

/* Called with the request line, before libmicrohttpd stores the query
 * parameters in the connection's memory pool: thousands of them exhaust
 * it, and the connection would close without a status. A query with too
 * many is cut here (the line is in libmicrohttpd's own writable buffer)
 * and answered 400 once the head is in. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
	char *q = strchr(uri, '?');
	unsigned int n = 0;

	if (!q)
		return &line_received;
	for (const char *p = q + 1; *p; p++)
		n += *p == '&' || *p == ';';
	if (n < MAX_QUERY_PARAMETERS)
		return &line_received;
	q[1] = '\0';
	return &line_too_many;
}

static enum MHD_Result route(struct http_server *srv, struct MHD_Connection *c, const char *url,
			const char *method, const struct web_config *cfg, void **req_cls)
{
	int head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
	struct MHD_Response *r;
	unsigned int status;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && !head)
		return send_text(c, cfg, MHD_HTTP_METHOD_NOT_ALLOWED,
				 "method not allowed: use GET or HEAD\n");
	if (*req_cls == &head_too_many) {
		refuse(srv, REFUSED_QUERY);
		return send_text(c, cfg, MHD_HTTP_BAD_REQUEST, "too many query parameters\n");
	}
	if (!strcmp(url, "/-/healthy"))
		return send_text(c, cfg, MHD_HTTP_OK, "tcflow_exporter is healthy.\n");
	if (!strcmp(url, "/events")) {
		if (!srv->hub)
			return send_text(c, cfg, MHD_HTTP_NOT_FOUND, srv->opts.events_disabled ?
					 "events are off (--web.disable-events)\n" :
					 "events are off (--events.sample=0, or a capture replay)\n");
		r = events_http_response(c, srv->hub, head, &srv->open_streams,
					 srv->opts.max_event_streams, &status);
		if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
			refuse(srv, REFUSED_MAX_STREAMS);
		return queue(c, cfg, status, r);
	}
	/* Streams have their own cap: the rest count against max_requests. */
	if (__atomic_add_fetch(&srv->in_flight, 1, __ATOMIC_RELAXED) > (int)srv->opts.max_requests) {
		__atomic_sub_fetch(&srv->in_flight, 1, __ATOMIC_RELAXED);
		refuse(srv, REFUSED_MAX_REQUESTS);
		return send_text(c, cfg, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "too many requests at once (--web.max-requests)\n");
	}
	*req_cls = &counted_request;
	if (!strcmp(url, srv->telemetry_path))
		return send_metrics(srv, c, cfg);
	if (!strcmp(url, "/"))
		return queue(c, cfg, MHD_HTTP_OK,
			     http_text_response("text/html; charset=UTF-8", srv->landing_page));
	return send_text(c, cfg, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* libmicrohttpd 0.9.75 closes the connection after a response queued in
 * the first call (before it knows there is no body): GET and HEAD are
 * answered in the second call, so scrapers keep their connection. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			 const char *method, const char *version, const char *upload_data,
			 size_t *upload_size, void **req_cls)
{
	struct http_server *srv = cls;
	struct conn *cn;
	struct web_config *cfg;
	enum MHD_Result ret;

	if (*req_cls == NULL || *req_cls == &line_received || *req_cls == &line_too_many) {
		cn = conn_of(c);
		if (cn)		/* the head is in: the deadline is met */
			__atomic_store_n(&cn->deadline_ms, 0, __ATOMIC_RELAXED);
		*req_cls = *req_cls == &line_too_many ? &head_too_many : &head_received;
		if (!strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD))
			return MHD_YES;
	} else if ((*req_cls != &head_received && *req_cls != &head_too_many) || *upload_size) {
		*upload_size = 0;
		return MHD_NO;	/* a body we never asked for */
	}
	cfg = srv->web ? web_watch_get(srv->web) : NULL;
	if (!authorize(srv, c, conn_of(c), cfg, &ret))
		ret = route(srv, c, url, method, cfg, req_cls);
	web_config_unref(cfg);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct conn *cn = conn_of(c);

	if (*req_cls == &counted_request)
		__atomic_sub_fetch(&srv->in_flight, 1, __ATOMIC_RELAXED);
	*req_cls = NULL;
	/* Keep-alive: the next head is due within the idle time and the head
	 * time, however slowly it trickles in. */
	if (cn)
		__atomic_store_n(&cn->deadline_ms, now_ms() + 1000LL *
				 (srv->opts.timeout_seconds + srv->opts.header_timeout_seconds),
				 __ATOMIC_RELAXED);
}

/* ---- connections: TLS set-up, the head deadline ------------------------- */

static void conn_started(struct http_server *srv, struct MHD_Connection *c, void **ctx)
{
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn *cn = calloc(1, sizeof(*cn));

	*ctx = cn;
	if (!cn)
		return;
	cn->fd = fd ? fd->connect_fd : -1;
	cn->deadline_ms = now_ms() + 1000LL * srv->opts.header_timeout_seconds;
	/* Before the handshake: the certificate, priorities and client
	 * certificate policy of the configuration in force now. */
	if (srv->tls) {
		gnutls_session_t s = session_of(c);

		cn->tls_cfg = web_watch_get(srv->web);
		if (!s || web_config_setup_session(cn->tls_cfg, s)) {
			pr_err("setting up a TLS session failed\n");
			cn->deadline_ms = 1;	/* closed by the watchdog at once */
		}
	}
	pthread_mutex_lock(&srv->lock);
	cn->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = cn;
	srv->conns = cn;
	srv->n_conns++;
	pthread_mutex_unlock(&srv->lock);
}

/* Called before libmicrohttpd closes the socket: the watchdog never
 * shuts down a descriptor number that was reused. */
static void conn_closed(struct http_server *srv, struct conn *cn)
{
	if (!cn)
		return;
	pthread_mutex_lock(&srv->lock);
	if (cn->prev)
		cn->prev->next = cn->next;
	else
		srv->conns = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	srv->n_conns--;
	pthread_mutex_unlock(&srv->lock);
	web_config_unref(cn->tls_cfg);
	free(cn);
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **ctx,
			      enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(cls, c, ctx);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conn_closed(cls, *ctx);
		*ctx = NULL;
	}
}

/* libmicrohttpd's timeout is per read, so a head sent a byte at a time
 * never ends; this thread shuts down the connections whose whole head
 * (TLS handshake included) is late. Their threads then see end of file. */
static void *watchdog(void *arg)
{
	struct http_server *srv = arg;
	struct timespec ts;

	pthread_mutex_lock(&srv->lock);
	while (!srv->stopping) {
		long long now = now_ms();

		for (struct conn *cn = srv->conns; cn; cn = cn->next) {
			long long d = __atomic_load_n(&cn->deadline_ms, __ATOMIC_RELAXED);

			if (d && now >= d && cn->fd >= 0) {
				shutdown(cn->fd, SHUT_RDWR);
				__atomic_store_n(&cn->deadline_ms, 0, __ATOMIC_RELAXED);
				refuse(srv, REFUSED_HEADER_TIMEOUT);
			}
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->wake, &srv->lock, &ts);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

void http_render(struct http_server *srv, struct expo *e, double start_time)
{
	int n;

	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	n = srv->n_conns;
	pthread_mutex_unlock(&srv->lock);
	expo_family(e, "tcflow_http_connections", EXPO_GAUGE, "HTTP connections open now.");
	expo_gauge(e, NULL, 0, n);
	expo_family(e, "tcflow_http_refused", EXPO_COUNTER,
		    "Requests and connections refused, by the limit or check that refused them.");
	for (int i = 0; i < N_REFUSALS; i++) {
		struct expo_label l = EXPO_LABEL("reason", refusal_names[i]);

		expo_counter_l(e, &l, 1, __atomic_load_n(&srv->refused[i], __ATOMIC_RELAXED),
			       start_time);
	}
}

/* ---- start and stop ------------------------------------------------------- */

static char *html_escape(const char *s)
{
	struct strbuf sb = { 0 };

	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_puts(&sb, "&amp;"); break;
		case '<': strbuf_puts(&sb, "&lt;"); break;
		case '>': strbuf_puts(&sb, "&gt;"); break;
		case '"': strbuf_puts(&sb, "&quot;"); break;
		default: strbuf_putc(&sb, *s);
		}
	}
	return sb.data;
}

static char *landing_page(const char *path, int events)
{
	char *esc = html_escape(path), *page = NULL;

	if (esc && asprintf(&page,
		"<!DOCTYPE html>\n<html>\n<head><title>tcflow_exporter</title></head>\n"
		"<body>\n<h1>tcflow_exporter</h1>\n"
		"<p>Per-flow packet and byte counters from eBPF TC programs. Version %s.</p>\n"
		"<p><a href=\"%s\">Metrics</a></p>\n%s"
		"<p><a href=\"/-/healthy\">Health</a></p>\n"
		"</body>\n</html>\n",
		PACKAGE_VERSION, esc, events ?
		"<p><a href=\"/events?limit=20\">Events</a> (JSON lines; <code>curl -N</code>)</p>\n" :
		"") < 0)
		page = NULL;
	free(esc);
	return page;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	pr_debug("libmicrohttpd: %s%s", line, strchr(line, '\n') ? "" : "\n");
}

/* The daemon's own certificate callback: never used, since every session
 * gets the credentials of the configuration in force (conn_started). */
static int no_certificate(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
			  const gnutls_pk_algorithm_t *algos, int n_algos, gnutls_pcert_st **pcert,
			  unsigned int *pcert_length, gnutls_privkey_t *key)
{
	return -1;
}

struct http_server *http_bind(const struct http_opts *opts)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	char host[256], port[32];

	if (!srv)
		return NULL;
	srv->opts = *opts;
	srv->web = opts->web;
	srv->fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->wake, NULL);
	if (http_split_address(opts->listen_address, host, sizeof(host), port, sizeof(port))) {
		pr_err("invalid value for --web.listen-address: \"%s\" (want [host]:port)\n",
		       opts->listen_address);
		goto fail;
	}
	srv->telemetry_path = strdup(opts->telemetry_path);
	srv->fd = bind_socket(opts->listen_address, host, port);
	if (srv->fd < 0 || !srv->telemetry_path)
		goto fail;
	return srv;
fail:
	http_stop(srv);
	return NULL;
}

int http_run(struct http_server *srv, struct scraper *scraper, struct event_hub *hub)
{
	struct web_config *cfg = srv->web ? web_watch_get(srv->web) : NULL;
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem o[16];
	int n = 0;

	srv->scraper = scraper;
	srv->hub = srv->opts.events_disabled ? NULL : hub;
	srv->tls = cfg && cfg->tls;
	web_config_unref(cfg);
	srv->landing_page = landing_page(srv->opts.telemetry_path, srv->hub != NULL);
	if (!srv->landing_page)
		return -1;
#define OPT(k, v, p) (o[n++] = (struct MHD_OptionItem){ (k), (intptr_t)(v), (p) })
	OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL);
	OPT(MHD_OPTION_LISTEN_SOCKET, srv->fd, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, srv->opts.max_connections, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->opts.max_per_ip, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, srv->opts.timeout_seconds, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), NULL);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, completed, srv);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, uri_seen, srv);
	if (srv->tls) {
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)no_certificate);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	/* A thread per connection: a long scrape or a blocked /events stream
	 * never holds up the others; ITC frees a finished connection at once. */
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
				       MHD_OPTION_ARRAY, o, MHD_OPTION_END);
	if (!srv->daemon) {
		pr_err("starting the HTTP server on \"%s\" failed\n", srv->opts.listen_address);
		return -1;
	}
	log_bound_address(srv->fd);
	if (pthread_create(&srv->watchdog, NULL, watchdog, srv)) {
		pr_err("starting the HTTP watchdog failed\n");
		return -1;
	}
	srv->watchdog_running = 1;
	return 0;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->watchdog_running) {
		pthread_mutex_lock(&srv->lock);
		srv->stopping = 1;
		pthread_cond_broadcast(&srv->wake);
		pthread_mutex_unlock(&srv->lock);
		pthread_join(srv->watchdog, NULL);
	}
	/* MHD closes the listening socket it was handed. */
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	else if (srv->fd >= 0)
		close(srv->fd);
	pthread_cond_destroy(&srv->wake);
	pthread_mutex_destroy(&srv->lock);
	free(srv->telemetry_path);
	free(srv->landing_page);
	free(srv);
}
