// SPDX-License-Identifier: BSD-2-Clause
#include "event_stdout.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#define STDOUT_QUEUE 65536
#define BATCH 256

static void *write_lines(void *arg)
{
	struct event_stdout *w = arg;
	static struct event_view batch[BATCH];
	struct strbuf sb = { 0 };
	int n;

	while ((n = hub_take(w->hub, w->sub, batch, BATCH, 1000)) >= 0) {
		strbuf_reset(&sb);
		for (int i = 0; i < n; i++)
			event_to_json(&batch[i], &sb);
		if (n && (fwrite(sb.data, 1, sb.len, stdout) != sb.len || fflush(stdout))) {
			/* A closed pipe (jq quit): stop writing, keep exporting. */
			pr_warn("writing events to stdout failed; no more events go there\n");
			/* Unsubscribe now, or the dead queue counts drops forever. */
			hub_unsubscribe(w->hub, w->sub);
			w->sub = NULL;
			break;
		}
	}
	strbuf_free(&sb);
	return NULL;
}

int event_stdout_start(struct event_stdout *w, struct event_hub *hub)
{
	struct event_filter all;

	memset(w, 0, sizeof(*w));
	w->hub = hub;
	event_filter_init(&all);
	w->sub = hub_subscribe(hub, &all, STDOUT_QUEUE);
	if (!w->sub || pthread_create(&w->thread, NULL, write_lines, w)) {
		pr_err("starting the --events.stdout writer failed\n");
		if (w->sub)
			hub_unsubscribe(hub, w->sub);
		w->sub = NULL;
		return -1;
	}
	w->running = 1;
	return 0;
}

void event_stdout_stop(struct event_stdout *w)
{
	if (!w->running)
		return;
	pthread_join(w->thread, NULL);
	if (w->sub)
		hub_unsubscribe(w->hub, w->sub);
	w->running = 0;
}
