/* SPDX-License-Identifier: BSD-2-Clause */
/* One logging layer for the exporter and for libbpf's own messages. */
#ifndef TCFLOW_LOG_H
#define TCFLOW_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_parse_level(const char *name);
/* Routes libbpf's messages here: its warnings and debug lines at debug. */
void log_route_libbpf(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
