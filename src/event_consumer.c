// SPDX-License-Identifier: BSD-2-Clause
#include "event_consumer.h"

#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "log.h"

/* The kernel wakes us only when a backlog has built up (wakeups cost
 * microseconds per packet), so we also look every POLL_MS. */
#define POLL_MS 20

static int on_record(void *ctx, void *data, size_t size)
{
	struct event_hub *hub = ctx;
	struct event_view ev;

	if (event_decode(data, size, &ev)) {
		pthread_mutex_lock(&hub->lock);
		hub->dropped_undecodable++;
		pthread_mutex_unlock(&hub->lock);
		return 0;
	}
	hub_publish(hub, &ev);
	return 0;
}

static void *consume(void *arg)
{
	struct event_consumer *c = arg;
	int err;

	while (!c->stop) {
		err = ring_buffer__poll(c->rb, POLL_MS);
		if (err >= 0)
			err = ring_buffer__consume(c->rb);
		if (err < 0 && err != -EINTR) {
			pr_warn("reading the event ring buffer: %s\n", strerror(-err));
			break;
		}
	}
	return NULL;
}

int event_consumer_start(struct event_consumer *c, int ringbuf_fd, struct event_hub *hub)
{
	memset(c, 0, sizeof(*c));
	c->hub = hub;
	c->rb = ring_buffer__new(ringbuf_fd, on_record, hub, NULL);
	if (!c->rb) {
		pr_err("opening the event ring buffer: %s\n", strerror(errno));
		return -1;
	}
	if (pthread_create(&c->thread, NULL, consume, c)) {
		pr_err("starting the event consumer thread failed\n");
		ring_buffer__free(c->rb);
		c->rb = NULL;
		return -1;
	}
	c->running = 1;
	return 0;
}

void event_consumer_stop(struct event_consumer *c)
{
	if (c->running) {
		c->stop = 1;
		pthread_join(c->thread, NULL);
		c->running = 0;
	}
	if (c->rb)
		ring_buffer__consume(c->rb);
	ring_buffer__free(c->rb);
	c->rb = NULL;
}
