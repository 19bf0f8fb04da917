/* SPDX-License-Identifier: BSD-2-Clause */
/* The thread that drains the kernel's ring buffer into the event hub. */
#ifndef TCFLOW_EVENT_CONSUMER_H
#define TCFLOW_EVENT_CONSUMER_H

#include <pthread.h>
#include "event_hub.h"

struct ring_buffer;

struct event_consumer {
	struct ring_buffer *rb;
	struct event_hub *hub;
	pthread_t thread;
	volatile int stop;
	int running;
};

/* Starts draining ringbuf_fd. 0, or -1 after logging why. */
int event_consumer_start(struct event_consumer *c, int ringbuf_fd, struct event_hub *hub);
/* Drains what is left, then stops the thread. */
void event_consumer_stop(struct event_consumer *c);

#endif
