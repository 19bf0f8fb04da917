/*
 * Which labels the flow families keep (--flow.labels), address prefixes
 * (--flow.ipv4-prefix, --flow.ipv6-prefix) and the series cap
 * (--flow.max-series): how a flow key becomes the key of the series it
 * counts in. Omitted labels are summed away.
 */
#ifndef TCFLOW_AGGREGATE_H
#define TCFLOW_AGGREGATE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include "tcflow.h"

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

/* What a series is told apart by: its label values. Fields whose label is
 * not kept are zero. A fold series (fold = 1) holds, per interface and
 * direction, what no flow series holds. */
struct series_key {
	char ifname[IF_NAMESIZE];
	uint8_t direction;
	uint8_t family;
	uint8_t protocol;
	uint8_t fold;
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t service_port;
	uint16_t pad;
	uint32_t owner;		/* owners_intern(): 0 no owner */
	uint32_t pad2;
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
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

/* The service's port of a conversation: a port outside the client range
 * beats one inside it; otherwise the smaller port; never 0 beside another
 * port. 0 without ports. */
uint16_t service_port(uint16_t src, uint16_t dst, const struct label_set *ls);
/* The key of the series flow k (on interface ifname) counts in. */
void aggregate_project(const struct flow_key *k, const char *ifname, const struct label_set *ls,
		       struct series_key *out);
/* The fold series of an interface and direction, as the label set sees it. */
void aggregate_fold_key(const char *ifname, uint8_t direction, const struct label_set *ls,
			struct series_key *out);
/* Exposition order: interface, direction, fold last, family, protocol,
 * addresses, ports. */
int series_key_cmp(const struct series_key *a, const struct series_key *b);

#endif
