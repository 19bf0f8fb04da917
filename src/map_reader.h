/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading the kernel's maps into a snapshot: batch lookups, per-CPU sums. */
#ifndef TCFLOW_MAP_READER_H
#define TCFLOW_MAP_READER_H

#include <stddef.h>
#include <stdint.h>
#include "tcflow.h"

struct flow_entry {
	struct flow_key key;
	struct flow_value val;
};

struct iface_entry {
	struct iface_key key;
	struct iface_value val;	/* summed over CPUs */
};

/* What one scrape sees. Buffers are kept and reused across scrapes. */
struct snapshot {
	struct flow_entry *flows;
	size_t n_flows, cap_flows;
	struct iface_entry *ifaces;
	size_t n_ifaces, cap_ifaces;
	uint64_t losses[TCFLOW_LOSS_MAX];
	int flows_ok, ifaces_ok, losses_ok;	/* 1 when the read succeeded */
};

/* Calls cb for every entry of a map, batch lookups first and
 * get_next_key where the kernel has no batch ops. value_size is the whole
 * value (all CPUs' copies for a per-CPU map). Returns 0 or -errno. */
typedef int (*map_entry_cb)(void *ctx, const void *key, const void *value);
int map_drain(int fd, size_t key_size, size_t value_size, map_entry_cb cb, void *ctx);

/* The flow table's key size: sizeof(struct flow_key) with owners on,
 * TCFLOW_KEY_SIZE_NO_OWNER without (the owner's bytes are not there). */
size_t flow_key_size(int fd);
/* A key as the table holds it, made whole: the bytes past size are 0. */
void flow_key_load(struct flow_key *k, const void *raw, size_t size);

int map_read_flows(int fd, struct snapshot *s);
int map_read_ifaces(int fd, struct snapshot *s);
int map_read_losses(int fd, struct snapshot *s);
/* The loss counters and interface totals, in that order. A failed map is
 * logged and marked, not fatal. */
void snapshot_read_totals(struct snapshot *s, int ifaces_fd, int losses_fd);
/* The same, then the flow table into s->flows. */
void snapshot_read(struct snapshot *s, int flows_fd, int ifaces_fd, int losses_fd);
void snapshot_free(struct snapshot *s);

#endif
