#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "compat.h"
#include "config.h"
#include "events_http.h"
#include "log.h"

struct http_server {
	struct MHD_Daemon *daemon;
	struct scraper *scraper;
	struct event_hub *hub;
	char *telemetry_path;
	char *landing_page;
	int fd;
};

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

int http_accepts_gzip(const char *value)
{
	const char *p = value;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[64];

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len < sizeof(item)) {
			memcpy(item, p, len);
			item[len] = '\0';
			if (!strncasecmp(item, "gzip", 4) && (item[4] == '\0' || item[4] == ';' ||
							      item[4] == ' ')) {
				const char *q = strstr(item, "q=");
				return !q || strtod(q + 2, NULL) > 0;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* The q of the first media range of accept that starts with type, or -1. */
static double media_q(const char *accept, const char *type)
{
	size_t tlen = strlen(type);

	for (const char *p = accept; p && *p; ) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len >= tlen && !strncasecmp(p, type, tlen)) {
			const char *q = p;

			while ((q = memchr(q, ';', len - (size_t)(q - p)))) {
				q++;
				while (*q == ' ')
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

int http_accepts_openmetrics(const char *accept)
{
	double om = media_q(accept, "application/openmetrics-text");

	return om > 0 && om >= media_q(accept, "text/plain");
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

static MHD_RESULT send_text(struct MHD_Connection *c, unsigned int status, const char *type,
			    const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_MUST_COPY);
	MHD_RESULT ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

struct body_ref {
	struct scraper *scraper;
	struct scrape_body *body;
	const struct strbuf *data;
};

static ssize_t body_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct body_ref *ref = cls;
	size_t n;

	if (pos >= ref->data->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = ref->data->len - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, ref->data->data + pos, n);
	return (ssize_t)n;
}

static void body_release(void *cls)
{
	struct body_ref *ref = cls;

	scraper_put(ref->scraper, ref->body);
	free(ref);
}

static MHD_RESULT send_metrics(struct http_server *srv, struct MHD_Connection *c)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	int gzip = ae && http_accepts_gzip(ae);
	enum scrape_format format = accept && http_accepts_openmetrics(accept) ?
				    FORMAT_OPENMETRICS : FORMAT_TEXT;
	struct body_ref *ref = calloc(1, sizeof(*ref));
	struct MHD_Response *r;
	MHD_RESULT ret;

	if (!ref || !(ref->body = scraper_get(srv->scraper, format, gzip))) {
		free(ref);
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
				 "out of memory while rendering the metrics\n");
	}
	ref->scraper = srv->scraper;
	ref->data = scrape_payload(ref->body, format, gzip);
	r = MHD_create_response_from_callback(ref->data->len, 64 * 1024, body_reader, ref,
					      body_release);
	if (!r) {
		body_release(ref);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, format == FORMAT_OPENMETRICS ?
				OPENMETRICS_CONTENT_TYPE : METRICS_CONTENT_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gzip)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static MHD_RESULT handle(void *cls, struct MHD_Connection *c, const char *url,
			 const char *method, const char *version, const char *upload_data,
			 size_t *upload_size, void **req_cls)
{
	struct http_server *srv = cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				 "method not allowed: use GET or HEAD\n");
	if (strcmp(url, srv->telemetry_path) == 0)
		return send_metrics(srv, c);
	if (strcmp(url, "/events") == 0 && srv->hub)
		return events_http_respond(c, srv->hub);
	if (strcmp(url, "/events") == 0)
		return send_text(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
				 "events are off (--events.sample=0, or a capture replay)\n");
	if (strcmp(url, "/") == 0)
		return send_text(c, MHD_HTTP_OK, "text/html; charset=UTF-8", srv->landing_page);
	return send_text(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
}

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

static char *landing_page(const char *path)
{
	char *esc = html_escape(path), *page = NULL;

	if (esc && asprintf(&page,
		"<!DOCTYPE html>\n<html>\n<head><title>tcflow_exporter</title></head>\n"
		"<body>\n<h1>tcflow_exporter</h1>\n"
		"<p>Per-flow packet and byte counters from eBPF TC programs. Version %s.</p>\n"
		"<p><a href=\"%s\">Metrics</a></p>\n"
		"<p><a href=\"/events?limit=20\">Events</a> (JSON lines; <code>curl -N</code>)</p>\n"
		"</body>\n</html>\n",
		PACKAGE_VERSION, esc) < 0)
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

struct http_server *http_bind(const struct http_opts *opts, struct scraper *scraper)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	char host[256], port[32];

	if (!srv)
		return NULL;
	srv->scraper = scraper;
	srv->hub = opts->hub;
	srv->fd = -1;
	if (http_split_address(opts->listen_address, host, sizeof(host), port, sizeof(port))) {
		pr_err("invalid value for --web.listen-address: \"%s\" (want [host]:port)\n",
		       opts->listen_address);
		goto fail;
	}
	srv->telemetry_path = strdup(opts->telemetry_path);
	srv->landing_page = landing_page(opts->telemetry_path);
	srv->fd = bind_socket(opts->listen_address, host, port);
	if (srv->fd < 0 || !srv->telemetry_path || !srv->landing_page)
		goto fail;
	return srv;
fail:
	http_stop(srv);
	return NULL;
}

int http_serve(struct http_server *srv, const struct http_opts *opts)
{
	log_bound_address(srv->fd);
	/* A thread per connection: a long scrape never holds up the others. */
	srv->daemon = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_POLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, srv->fd,
		MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_END);
	if (!srv->daemon) {
		pr_err("starting the HTTP server on \"%s\" failed\n", opts->listen_address);
		return -1;
	}
	return 0;
}

struct http_server *http_start(const struct http_opts *opts, struct scraper *scraper)
{
	struct http_server *srv = http_bind(opts, scraper);

	if (srv && http_serve(srv, opts)) {
		http_stop(srv);
		return NULL;
	}
	return srv;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	/* MHD closes the listening socket it was handed. */
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	else if (srv->fd >= 0)
		close(srv->fd);
	free(srv->telemetry_path);
	free(srv->landing_page);
	free(srv);
}
