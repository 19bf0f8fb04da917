// SPDX-License-Identifier: BSD-2-Clause
#include "events_http.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_text.h"
#include "log.h"

#define BATCH 128
#define KEEPALIVE_SECONDS 15

struct stream {
	int fd;			/* the client's socket, watched for its going away */
	struct event_hub *hub;
	int *open_streams;	/* the server's count, given back on close */
	struct subscriber *sub;
	uint64_t limit, sent;
	struct strbuf pending;	/* formatted lines not yet handed to MHD */
	size_t off;
	struct event_view batch[BATCH];
};

struct parse_state {
	struct event_filter *f;
	char err[256];
	int failed;
};

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			    const char *value)
{
	struct parse_state *ps = cls;

	if (ps->failed)
		return MHD_NO;
	if (event_filter_set(ps->f, key, value, ps->err, sizeof(ps->err))) {
		ps->failed = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

/* Whether the client shut its side: a quiet stream would otherwise only
 * find out at its next keepalive write, holding its place until then. */
static int client_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Fills s->pending with the next lines, waiting for events as long as it
 * takes. Returns -1 at the end of the stream. */
static int refill(struct stream *s)
{
	int n = 0;

	strbuf_reset(&s->pending);
	s->off = 0;
	for (int idle = 0; !n; idle++) {
		uint64_t room = s->limit ? s->limit - s->sent : BATCH;

		/* A newline now and then: the only way to notice a client that
		 * went away while its filter matched nothing. */
		if (client_gone(s->fd))
			return -1;
		if (idle == KEEPALIVE_SECONDS) {
			strbuf_putc(&s->pending, '\n');
			return 0;
		}
		n = hub_take(s->hub, s->sub, s->batch, room < BATCH ? (int)room : BATCH, 1000);
		if (n < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		event_to_json(&s->batch[i], &s->pending);
	s->sent += (uint64_t)n;
	return s->pending.oom ? -1 : 0;
}

/* Runs in the connection's own thread, so it may block waiting for events. */
static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	if (s->off == s->pending.len) {
		if (s->limit && s->sent >= s->limit)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (refill(s))
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	n = s->pending.len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->pending.data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void close_stream(void *cls)
{
	struct stream *s = cls;

	hub_unsubscribe(s->hub, s->sub);
	__atomic_sub_fetch(s->open_streams, 1, __ATOMIC_RELAXED);
	strbuf_free(&s->pending);
	free(s);
}

static struct MHD_Response *text(unsigned int *status, unsigned int code, const char *msg)
{
	*status = code;
	return http_text_response(HTTP_TEXT_PLAIN, msg);
}

/* The stream counts against max_streams from here until close_stream. */
static int take_slot(int *open_streams, unsigned int max_streams)
{
	if (__atomic_add_fetch(open_streams, 1, __ATOMIC_RELAXED) <= (int)max_streams)
		return 0;
	__atomic_sub_fetch(open_streams, 1, __ATOMIC_RELAXED);
	return -1;
}

struct MHD_Response *events_http_response(struct MHD_Connection *c, struct event_hub *hub,
					  int head, int *open_streams, unsigned int max_streams,
					  unsigned int *status)
{
	struct event_filter f;
	struct parse_state ps = { .f = &f };
	struct MHD_Response *r;
	const union MHD_ConnectionInfo *fdi;
	struct stream *s;
	char msg[300];

	event_filter_init(&f);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, &ps);
	if (ps.failed) {
		snprintf(msg, sizeof(msg), "%s\n", ps.err);
		return text(status, MHD_HTTP_BAD_REQUEST, msg);
	}
	if (head) {	/* the headers a GET would get, and no body at all */
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		*status = MHD_HTTP_OK;
		goto headers;
	}
	if (take_slot(open_streams, max_streams))
		return text(status, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "too many /events clients (--web.max-event-streams)\n");
	s = calloc(1, sizeof(*s));
	if (!s || !(s->sub = hub_subscribe(hub, &f, EVENTS_CLIENT_QUEUE))) {
		free(s);
		__atomic_sub_fetch(open_streams, 1, __ATOMIC_RELAXED);
		return text(status, MHD_HTTP_SERVICE_UNAVAILABLE, "too many /events clients\n");
	}
	fdi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	s->fd = fdi ? fdi->connect_fd : -1;
	s->hub = hub;
	s->open_streams = open_streams;
	s->limit = f.limit;
	/* A stream may rightly be quiet longer than the idle timeout of other
	 * requests; the keepalive newline finds clients that went away. */
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0U);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, read_stream, s,
					      close_stream);
	if (!r) {
		close_stream(s);
		return NULL;
	}
	*status = MHD_HTTP_OK;
headers:
	if (r) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, EVENTS_CONTENT_TYPE);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	return r;
}
