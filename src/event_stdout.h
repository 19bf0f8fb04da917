/* SPDX-License-Identifier: BSD-2-Clause */
/* --events.stdout: the event stream as JSON lines on standard output. */
#ifndef TCFLOW_EVENT_STDOUT_H
#define TCFLOW_EVENT_STDOUT_H

#include <pthread.h>
#include "event_hub.h"

struct event_stdout {
	struct event_hub *hub;
	struct subscriber *sub;
	pthread_t thread;
	int running;
};

int event_stdout_start(struct event_stdout *w, struct event_hub *hub);
/* Call after hub_stop(): the writer flushes what it holds and ends. */
void event_stdout_stop(struct event_stdout *w);

#endif
