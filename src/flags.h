/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line flags, in node_exporter's vocabulary. */
#ifndef TCFLOW_FLAGS_H
#define TCFLOW_FLAGS_H

#include <stdint.h>
#include <stdio.h>
#include "label_set.h"
#include "iface_select.h"

/* MAX_INTERFACES (--interface flags): iface_select.h */
#define FLAGS_ERR_LEN 512

struct config {
	const char *interfaces[MAX_INTERFACES];
	int n_interfaces;
	struct iface_select iface;	/* names above, plus include/exclude */
	uint32_t iface_max_count;	/* --interface.max-count */
	uint32_t tc_priority;
	uint32_t tc_handle;
	uint32_t flow_max_entries;
	const char *pcap_file;
	int once;
	const char *listen_address;
	const char *telemetry_path;
	uint32_t max_requests;
	int disable_exporter_metrics;
	int openmetrics_created;	/* --web.openmetrics-created */
	uint32_t events_sample;		/* 0: no events */
	uint32_t events_ring_size;
	int events_stdout;
	struct label_set labels;	/* --flow.labels, prefixes, max-series */
	int labels_given, max_series_given;	/* else replay has its own defaults */
	uint32_t idle_timeout_s;	/* 0: flows never expire */
	const char *cgroup_root;	/* --path.cgroup; NULL: from mountinfo */
	const char *rootfs;		/* --path.rootfs: the host's / */
	int log_level;
	const char *web_config_file;	/* NULL: plain HTTP, no auth */
	int disable_events;		/* no /events */
	uint32_t max_connections;	/* open connections */
	uint32_t max_per_ip;		/* open connections of one address */
	uint32_t max_event_streams;	/* /events responses at once */
	uint32_t read_header_timeout_s;	/* deadline of a whole request head */
};

enum flags_result {
	FLAGS_OK = 0,		/* run with the parsed config */
	FLAGS_EXIT = 1,		/* --help or --version was printed: exit 0 */
	FLAGS_ERROR = 2,	/* err holds a one-line message: exit 2 */
};

void flags_defaults(struct config *cfg);
/* Parses argv into cfg; on FLAGS_ERROR, err says which flag and why. */
enum flags_result flags_parse(struct config *cfg, int argc, char **argv,
			      char err[FLAGS_ERR_LEN]);
void flags_usage(FILE *out);

#endif
