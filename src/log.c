// SPDX-License-Identifier: BSD-2-Clause
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

static enum log_level current = LOG_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level)
{
	current = level;
}

int log_parse_level(const char *name)
{
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (level > current)
		return;
	/* One line per message, prefixed so that journald and tests can grep. */
	flockfile(stderr);
	fprintf(stderr, "tcflow_exporter: %s: ", names[level]);
	vfprintf(stderr, fmt, ap);
	funlockfile(stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* libbpf's warnings are verbose and multi-line (verifier logs): we report
 * the cause ourselves in one line and keep libbpf's text for debugging. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (current < LOG_DEBUG)
		return 0;
	log_vmsg(LOG_DEBUG, fmt, ap);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
