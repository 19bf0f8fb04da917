/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Which labels the flow families keep (--flow.labels), address prefixes
 * (--flow.ipv4-prefix, --flow.ipv6-prefix), the series cap
 * (--flow.max-series) and retention: the label set.
 */
#ifndef TCFLOW_LABEL_SET_H
#define TCFLOW_LABEL_SET_H

#include <stddef.h>
#include <stdint.h>

struct owners;

enum flow_label {
	FL_INTERFACE = 1 << 0,
	FL_DIRECTION = 1 << 1,
	FL_PROTOCOL = 1 << 2,
	FL_SRC_IP = 1 << 3,
	FL_DST_IP = 1 << 4,
	FL_SRC_PORT = 1 << 5,
	FL_DST_PORT = 1 << 6,
	FL_SERVICE_PORT = 1 << 7,	/* the port of the side that is not a client's */
	/* The flow's owner (a local socket's cgroup): see owners.h. */
	FL_CGROUP = 1 << 8,
	FL_NAMESPACE = 1 << 9,
	FL_POD = 1 << 10,
	FL_CONTAINER = 1 << 11,
	FL_N = 12,
	FL_OWNER = FL_CGROUP | FL_NAMESPACE | FL_POD | FL_CONTAINER,
	FL_FULL = (1 << 7) - 1,		/* the exact 5-tuple */
	FL_SERVICES = FL_INTERFACE | FL_DIRECTION | FL_PROTOCOL | FL_SRC_IP | FL_DST_IP |
		      FL_SERVICE_PORT,
};

/* The label names, in exposition order: index i is bit 1 << i. */
extern const char *const flow_label_names[FL_N];

#define DEFAULT_MAX_SERIES 1000
#define DEFAULT_SERIES_RETENTION_S 300

struct label_set {
	unsigned int mask;	/* enum flow_label bits kept */
	uint8_t ipv4_prefix;	/* 32: whole addresses */
	uint8_t ipv6_prefix;	/* 128 */
	uint32_t max_series;	/* flow series at most (0: no cap) */
	uint32_t retention_s;	/* how long a series that stopped growing stays */
	uint16_t ephemeral_lo;	/* the host's client port range */
	uint16_t ephemeral_hi;
	/* Capture replay: the tables are read once, when the replay is over.
	 * Series are born whole and there is no fold series. */
	uint8_t one_read;
	/* Set when a label of FL_OWNER is kept: names the owner of a flow's
	 * cgroup id. Owned by main. */
	struct owners *owners;
};

void label_set_default(struct label_set *ls);
/* The OWNER_L_* bits (owners.h) of the owner labels in mask. */
unsigned int label_set_owner_labels(unsigned int mask);
/* A preset (services, hosts, full) or a comma-separated list of labels.
 * 0, or -1 with err naming what is wrong. */
int label_set_parse(struct label_set *ls, const char *spec, char *err, size_t errlen);
/* Reads the client port range from path (ip_local_port_range); keeps
 * Linux's default 32768-60999 when it cannot. */
void label_set_read_ephemeral(struct label_set *ls, const char *path);

#endif
