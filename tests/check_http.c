// SPDX-License-Identifier: BSD-2-Clause
/* The HTTP layer (http.c) as a scraper and a browser meet it: the server
 * on 127.0.0.1 at a port the kernel picks, asked over a plain socket for
 * /metrics (text, OpenMetrics, gzip, HEAD), the landing page, health, a
 * missing page, a wrong method and the limits, the status line, headers
 * and body of each checked exactly; the Accept and Accept-Encoding
 * negotiation and the listen address parsing on their own; the error a
 * bad or busy address gives. The scraper has no maps (a scrape reports
 * every read failed), so no privilege is needed. */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "gunzip.h"
#include "http.h"
#include "log.h"
#include "scrape.h"

static struct label_set ls;
static struct scraper sc;
static struct http_server *srv;
static int port;

/* The port of the one listening loopback socket this process has: the
 * server's, bound to port 0 (the API does not say which it got). */
static int bound_port(void)
{
	for (int fd = 3; fd < 1024; fd++) {
		struct sockaddr_in a;
		socklen_t alen = sizeof(a), ilen = sizeof(int);
		int listening = 0;

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) || !listening)
			continue;
		if (getsockname(fd, (struct sockaddr *)&a, &alen) || a.sin_family != AF_INET ||
		    a.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
			continue;
		return ntohs(a.sin_port);
	}
	return -1;
}

static void start(const char *path, unsigned int max_requests, int events_disabled)
{
	struct http_opts o = { .listen_address = "127.0.0.1:0", .telemetry_path = path,
			       .max_requests = max_requests, .max_connections = 16,
			       .max_per_ip = 16, .max_event_streams = 1, .timeout_seconds = 10,
			       .header_timeout_seconds = 10, .events_disabled = events_disabled };

	srv = http_bind(&o);
	ck_assert_ptr_nonnull(srv);
	port = bound_port();
	ck_assert_int_gt(port, 0);
	ck_assert_int_eq(http_run(srv, &sc, NULL), 0);
}

static void setup(void)
{
	label_set_default(&ls);
	scraper_init(&sc, -1, -1, -1, 0, &ls);
	srv = NULL;
}

static void teardown(void)
{
	http_stop(srv);
	scraper_destroy(&sc);
}

struct reply {
	char *raw;		/* the whole response */
	char status[64];	/* its status line */
	const char *head;	/* its header lines */
	const char *body;
	size_t body_len;
};

/* Sends request (one connection, closed by the server after one reply)
 * and reads the whole response; 10 s at most. */
static struct reply fetch(const char *request)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 10 };
	struct reply r = { 0 };
	size_t len = 0, cap = 1 << 16;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char *end;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	r.raw = malloc(cap + 1);
	while ((n = read(fd, r.raw + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap)
			r.raw = realloc(r.raw, (cap *= 2) + 1);
	}
	ck_assert_msg(n == 0, "reading the response: %s", strerror(errno));
	close(fd);
	r.raw[len] = '\0';
	end = strstr(r.raw, "\r\n");
	ck_assert_ptr_nonnull(end);
	snprintf(r.status, sizeof(r.status), "%.*s", (int)(end - r.raw), r.raw);
	r.head = end + 2;
	end = strstr(r.raw, "\r\n\r\n");
	ck_assert_ptr_nonnull(end);
	r.body = end + 4;
	r.body_len = len - (size_t)(r.body - r.raw);
	return r;
}

static struct reply get(const char *path, const char *extra_headers)
{
	char *req;
	struct reply r;

	ck_assert_int_ge(asprintf(&req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
				  "Connection: close\r\n\r\n", path, extra_headers), 0);
	r = fetch(req);
	free(req);
	return r;
}

/* The value of a header of r (case aside), or "" when it has none. */
static const char *header(const struct reply *r, const char *name)
{
	static char value[256];
	size_t nlen = strlen(name);

	for (const char *p = r->head; p < r->body - 2; p = strstr(p, "\r\n") + 2) {
		if (!strncasecmp(p, name, nlen) && p[nlen] == ':') {
			const char *v = p + nlen + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(value, sizeof(value), "%.*s", (int)(e - v), v);
			return value;
		}
	}
	return "";
}

static void done(struct reply *r)
{
	free(r->raw);
}

START_TEST(landing_page)
{
	struct reply r;
	char *want;

	start("/x&y", 4, 1);
	r = get("/", "");
	ck_assert_str_eq(r.status, "HTTP/1.1 200 OK");
	ck_assert_str_eq(header(&r, "Content-Type"), "text/html; charset=UTF-8");
	ck_assert_int_ge(asprintf(&want,
		"<!DOCTYPE html>\n<html>\n<head><title>tcflow_exporter</title></head>\n"
		"<body>\n<h1>tcflow_exporter</h1>\n"
		"<p>Per-flow packet and byte counters from eBPF TC programs. Version %s.</p>\n"
		"<p><a href=\"/x&amp;y\">Metrics</a></p>\n"
		"<p><a href=\"/-/healthy\">Health</a></p>\n"
		"</body>\n</html>\n", PACKAGE_VERSION), 0);
	ck_assert_str_eq(r.body, want);
	free(want);
	done(&r);
	/* The page's link works: the metrics are at the path it names. */
	r = get("/x&y", "");
	ck_assert_str_eq(r.status, "HTTP/1.1 200 OK");
	ck_assert_str_eq(header(&r, "Content-Type"), METRICS_CONTENT_TYPE);
	done(&r);
}
END_TEST

/* Plain answers: the exact status line, text type and body. */
static const struct {
	const char *request, *status, *body, *allow;
} plain[] = {
	{ "GET /-/healthy HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	  "HTTP/1.1 200 OK", "tcflow_exporter is healthy.\n", "" },
	{ "GET /nope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	  "HTTP/1.1 404 Not Found", "not found\n", "" },
	{ "GET /metrics/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	  "HTTP/1.1 404 Not Found", "not found\n", "" },
	{ "POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	  "HTTP/1.1 405 Method Not Allowed", "method not allowed: use GET or HEAD\n", "GET, HEAD" },
	{ "DELETE / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	  "HTTP/1.1 405 Method Not Allowed", "method not allowed: use GET or HEAD\n", "GET, HEAD" },
	{ "GET /events HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	  "HTTP/1.1 404 Not Found", "events are off (--web.disable-events)\n", "" },
};

START_TEST(plain_answers)
{
	struct reply r;

	start("/metrics", 4, 1);
	r = fetch(plain[_i].request);
	ck_assert_str_eq(r.status, plain[_i].status);
	ck_assert_str_eq(header(&r, "Content-Type"), "text/plain; charset=utf-8");
	ck_assert_str_eq(r.body, plain[_i].body);
	ck_assert_str_eq(header(&r, "Allow"), plain[_i].allow);
	done(&r);
}
END_TEST

/* Events on, but no event hub (--events.sample=0, or a replay). */
START_TEST(events_off_without_hub)
{
	struct reply r;

	start("/metrics", 4, 0);
	r = get("/events", "");
	ck_assert_str_eq(r.status, "HTTP/1.1 404 Not Found");
	ck_assert_str_eq(r.body, "events are off (--events.sample=0, or a capture replay)\n");
	done(&r);
}
END_TEST

/* Every map read failed: the scrape says so, and is still served. */
#define FAILED_READS "tcflow_scrape_success{map=\"flows\"} 0\n" \
	"tcflow_scrape_success{map=\"interfaces\"} 0\n" \
	"tcflow_scrape_success{map=\"losses\"} 0\n"

START_TEST(metrics_text)
{
	struct reply r;

	start("/metrics", 4, 1);
	r = get("/metrics", "");
	ck_assert_str_eq(r.status, "HTTP/1.1 200 OK");
	ck_assert_str_eq(header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_str_eq(header(&r, "Vary"), "Accept, Accept-Encoding");
	ck_assert_str_eq(header(&r, "Content-Encoding"), "");
	ck_assert_uint_eq(strtoul(header(&r, "Content-Length"), NULL, 10), r.body_len);
	ck_assert_uint_eq(strlen(r.body), r.body_len);
	ck_assert_ptr_nonnull(strstr(r.body, "\n# TYPE tcflow_flows gauge\ntcflow_flows 0\n"));
	ck_assert_ptr_nonnull(strstr(r.body, FAILED_READS));
	ck_assert_ptr_null(strstr(r.body, "# EOF"));
	done(&r);
}
END_TEST

/* Prometheus' own Accept header (2.x, scrape_protocols default) gets
 * OpenMetrics; text/plain preferred, or OpenMetrics refused, gets text. */
static const struct {
	const char *accept, *type;
} negotiated[] = {
	{ "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
	  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n",
	  OPENMETRICS_CONTENT_TYPE },
	{ "Accept: text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5\r\n",
	  METRICS_CONTENT_TYPE },
	{ "Accept: application/openmetrics-text;q=0\r\n", METRICS_CONTENT_TYPE },
	{ "Accept: */*\r\n", METRICS_CONTENT_TYPE },
};

START_TEST(metrics_negotiated)
{
	struct reply r;
	int om = !strcmp(negotiated[_i].type, OPENMETRICS_CONTENT_TYPE);

	start("/metrics", 4, 1);
	r = get("/metrics", negotiated[_i].accept);
	ck_assert_str_eq(r.status, "HTTP/1.1 200 OK");
	ck_assert_str_eq(header(&r, "Content-Type"), negotiated[_i].type);
	ck_assert_ptr_nonnull(strstr(r.body, FAILED_READS));
	if (om)
		ck_assert_str_eq(r.body + r.body_len - 6, "# EOF\n");
	else
		ck_assert_ptr_null(strstr(r.body, "# EOF"));
	done(&r);
}
END_TEST

static char *inflate_body(const struct reply *r, size_t *len)
{
	char *text;

	ck_assert_int_eq(gunzip(r->body, r->body_len, &text, len), 0);
	return text;
}

START_TEST(metrics_gzip)
{
	struct reply r;
	size_t len;
	char *text;

	start("/metrics", 4, 1);
	r = get("/metrics", "Accept-Encoding: deflate, gzip;q=0.8\r\n");
	ck_assert_str_eq(r.status, "HTTP/1.1 200 OK");
	ck_assert_str_eq(header(&r, "Content-Encoding"), "gzip");
	ck_assert_str_eq(header(&r, "Content-Type"), METRICS_CONTENT_TYPE);
	text = inflate_body(&r, &len);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_ptr_nonnull(strstr(text, "\n# TYPE tcflow_flows gauge\ntcflow_flows 0\n"));
	ck_assert_ptr_nonnull(strstr(text, FAILED_READS));
	free(text);
	done(&r);

	r = get("/metrics", "Accept-Encoding: gzip;q=0, identity\r\n");
	ck_assert_str_eq(header(&r, "Content-Encoding"), "");
	ck_assert_ptr_nonnull(strstr(r.body, FAILED_READS));
	done(&r);
}
END_TEST

/* Removes from text the line that starts with what follows the newline
 * in start. */
static void drop_line(char *text, const char *start)
{
	char *at = strstr(text, start), *end;

	ck_assert_ptr_nonnull(at);
	end = strchr(at + 1, '\n');
	ck_assert_ptr_nonnull(end);
	memmove(at, end, strlen(end) + 1);
}

/* A body kept gzipped only (its text passed the scraper's text_max) is
 * inflated for a client that does not take gzip: the same text, with its
 * length announced; gzip clients get the gzip as it is. */
START_TEST(metrics_kept_gzipped_sent_plain)
{
	struct reply plain, gz;
	size_t len;
	char *text;

	sc.text_max = 256;
	start("/metrics", 4, 1);
	plain = get("/metrics", "");
	ck_assert_str_eq(plain.status, "HTTP/1.1 200 OK");
	ck_assert_str_eq(header(&plain, "Content-Encoding"), "");
	ck_assert_uint_eq(strtoul(header(&plain, "Content-Length"), NULL, 10), plain.body_len);
	ck_assert_uint_gt(plain.body_len, 256);
	ck_assert_uint_eq(strlen(plain.body), plain.body_len);
	ck_assert_ptr_nonnull(strstr(plain.body, "\n# TYPE tcflow_flows gauge\ntcflow_flows 0\n"));
	ck_assert_ptr_nonnull(strstr(plain.body, FAILED_READS));
	gz = get("/metrics", "Accept-Encoding: gzip\r\n");
	ck_assert_str_eq(header(&gz, "Content-Encoding"), "gzip");
	text = inflate_body(&gz, &len);
	/* Two scrapes: the same text but for the time the reads took. */
	drop_line(text, "\ntcflow_scrape_duration_seconds ");
	drop_line((char *)plain.body, "\ntcflow_scrape_duration_seconds ");
	ck_assert_str_eq(text, plain.body);
	free(text);
	done(&gz);
	done(&plain);
}
END_TEST

START_TEST(metrics_head)
{
	struct reply r;

	start("/metrics", 4, 1);
	r = fetch("HEAD /metrics HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
	ck_assert_str_eq(r.status, "HTTP/1.1 200 OK");
	ck_assert_str_eq(header(&r, "Content-Type"), METRICS_CONTENT_TYPE);
	ck_assert_uint_gt(strtoul(header(&r, "Content-Length"), NULL, 10), 0);
	ck_assert_uint_eq(r.body_len, 0);
	done(&r);
}
END_TEST

/* The refusal counters as /metrics shows them (main renders them there). */
static char *refusals(void)
{
	struct strbuf out = { 0 };
	struct expo e;

	expo_init(&e, &out, EXPO_TEXT);
	http_render(srv, &e, 0);
	return out.data;
}

#define REFUSED(reason, n) "tcflow_http_refused_total{reason=\"" reason "\"} " #n "\n"

START_TEST(too_many_query_parameters)
{
	char path[256] = "/metrics?a=1";
	struct reply r;
	char *counts;

	start("/metrics", 4, 1);
	for (int i = 1; i < 32; i++)
		strcat(path, "&a=1");
	r = get(path, "");	/* 31 separators: served; 32 are too many */
	ck_assert_str_eq(r.status, "HTTP/1.1 200 OK");
	done(&r);
	strcat(path, "&a=1");
	r = get(path, "");
	ck_assert_str_eq(r.status, "HTTP/1.1 400 Bad Request");
	ck_assert_str_eq(r.body, "too many query parameters\n");
	done(&r);
	counts = refusals();
	ck_assert_ptr_nonnull(strstr(counts, REFUSED("max_requests", 0) REFUSED("max_event_streams", 0)
		REFUSED("read_header_timeout", 0) REFUSED("unauthorized", 0)
		REFUSED("client_certificate", 0) REFUSED("too_many_parameters", 1)));
	free(counts);
}
END_TEST

/* --web.max-requests: a request past the limit gets 503 and a retry time;
 * health checks are not held to it. (A limit of 0 refuses every one.) */
START_TEST(max_requests_refused)
{
	struct reply r;
	char *counts;

	start("/metrics", 0, 1);
	r = get("/metrics", "");
	ck_assert_str_eq(r.status, "HTTP/1.1 503 Service Unavailable");
	ck_assert_str_eq(header(&r, "Retry-After"), "1");
	ck_assert_str_eq(r.body, "too many requests at once (--web.max-requests)\n");
	done(&r);
	r = get("/-/healthy", "");
	ck_assert_str_eq(r.status, "HTTP/1.1 200 OK");
	done(&r);
	counts = refusals();
	ck_assert_ptr_nonnull(strstr(counts, REFUSED("max_requests", 1)));
	free(counts);
}
END_TEST

START_TEST(accept_encoding_gzip)
{
	static const struct { const char *value; int gzip; } t[] = {
		{ "gzip", 1 }, { "GZIP", 1 }, { "gzip, deflate, br", 1 }, { "br,  gzip", 1 },
		{ "deflate, gzip;q=0.5", 1 }, { "gzip; q=0.001", 1 }, { "gzip;q=0", 0 },
		{ "gzip; q=0.0", 0 }, { "identity", 0 }, { "", 0 }, { "deflate", 0 },
		{ "gzipx", 0 }, { "x-gzip2", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(http_accepts_gzip(t[i].value) == t[i].gzip,
			      "Accept-Encoding: %s: gzip %d, want %d", t[i].value,
			      http_accepts_gzip(t[i].value), t[i].gzip);
}
END_TEST

START_TEST(accept_openmetrics)
{
	static const struct { const char *value; int om; } t[] = {
		{ "application/openmetrics-text", 1 },
		{ "application/openmetrics-text; version=1.0.0; charset=utf-8", 1 },
		{ "text/plain;q=0.5, application/openmetrics-text;q=0.5", 1 },
		{ "text/plain;q=0.4,application/openmetrics-text;version=1.0.0;q=0.5", 1 },
		{ "application/openmetrics-text;q=0.3, text/plain", 0 },
		{ "application/openmetrics-text;q=0", 0 },
		{ "text/plain", 0 }, { "*/*", 0 }, { "", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(http_accepts_openmetrics(t[i].value) == t[i].om,
			      "Accept: %s: OpenMetrics %d, want %d", t[i].value,
			      http_accepts_openmetrics(t[i].value), t[i].om);
}
END_TEST

START_TEST(listen_address_split)
{
	static const struct { const char *addr, *host, *port; } ok[] = {
		{ ":9100", "", "9100" }, { "127.0.0.1:9100", "127.0.0.1", "9100" },
		{ "[::1]:9100", "::1", "9100" }, { "[2001:db8::1]:80", "2001:db8::1", "80" },
		{ "localhost:http", "localhost", "http" },
	};
	static const char *const bad[] = { "9100", "localhost", "127.0.0.1:", "::1:9100",
					   "2001:db8::1", "[::1]", "host:123456789" };
	char host[16], port_s[8];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(http_split_address(ok[i].addr, host, sizeof(host), port_s,
						 sizeof(port_s)) == 0, "%s refused", ok[i].addr);
		ck_assert_str_eq(host, ok[i].host);
		ck_assert_str_eq(port_s, ok[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(http_split_address(bad[i], host, sizeof(host), port_s,
						 sizeof(port_s)) == -1, "%s accepted", bad[i]);
	/* A host longer than the caller's buffer is refused, not cut. */
	ck_assert_int_eq(http_split_address("a-very-long-host-name:80", host, sizeof(host), port_s,
					    sizeof(port_s)), -1);
}
END_TEST

/* What http_bind prints on stderr for a listen address, and whether it bound. */
static char *bind_error(const char *addr, int *bound)
{
	struct http_opts o = { .listen_address = addr, .telemetry_path = "/metrics" };
	FILE *f = tmpfile();
	int saved = dup(2);
	struct http_server *s;
	char *text = calloc(1, 1024);

	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	dup2(fileno(f), 2);
	s = http_bind(&o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*bound = s != NULL;
	http_stop(s);
	rewind(f);
	fread(text, 1, 1023, f);
	fclose(f);
	return text;
}

START_TEST(bad_listen_address)
{
	int bound;
	char *err = bind_error("9100", &bound);

	ck_assert_int_eq(bound, 0);
	ck_assert_str_eq(err, "tcflow_exporter: error: invalid value for --web.listen-address: "
			 "\"9100\" (want [host]:port)\n");
	free(err);
}
END_TEST

START_TEST(busy_listen_address)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), bound;
	char addr[32], *err, *want;

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(a.sin_port));
	err = bind_error(addr, &bound);
	ck_assert_int_eq(bound, 0);
	ck_assert_int_ge(asprintf(&want, "tcflow_exporter: error: cannot listen on "
				  "--web.listen-address \"%s\": Address already in use\n", addr), 0);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	close(fd);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *server = tcase_create("server");
	TCase *parse = tcase_create("parsing");

	tcase_add_checked_fixture(server, setup, teardown);
	tcase_set_timeout(server, 30);
	tcase_add_test(server, landing_page);
	tcase_add_loop_test(server, plain_answers, 0, sizeof(plain) / sizeof(plain[0]));
	tcase_add_test(server, events_off_without_hub);
	tcase_add_test(server, metrics_text);
	tcase_add_loop_test(server, metrics_negotiated, 0,
			    sizeof(negotiated) / sizeof(negotiated[0]));
	tcase_add_test(server, metrics_gzip);
	tcase_add_test(server, metrics_head);
	tcase_add_test(server, metrics_kept_gzipped_sent_plain);
	tcase_add_test(server, too_many_query_parameters);
	tcase_add_test(server, max_requests_refused);
	suite_add_tcase(s, server);
	tcase_add_test(parse, accept_encoding_gzip);
	tcase_add_test(parse, accept_openmetrics);
	tcase_add_test(parse, listen_address_split);
	tcase_add_test(parse, bad_listen_address);
	tcase_add_test(parse, busy_listen_address);
	suite_add_tcase(s, parse);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	/* The scrapes' failed map reads are meant: their warnings are no news. */
	log_set_level(LOG_ERROR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
