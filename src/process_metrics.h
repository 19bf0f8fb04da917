/* SPDX-License-Identifier: BSD-2-Clause */
/* The standard process_* metrics, read from /proc/self. */
#ifndef TCFLOW_PROCESS_METRICS_H
#define TCFLOW_PROCESS_METRICS_H

struct process_stats {
	double cpu_seconds;
	double start_time_seconds;
	double resident_memory_bytes;
	double virtual_memory_bytes;
	double open_fds;
	double max_fds;
};

/* Returns 0, or -1 when /proc could not be read (nothing is rendered). */
int process_metrics_read(struct process_stats *ps);

#endif
