/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the tests that read the kernel's tables without the programs:
 * maps made by hand with the layout of bpf/tcflow.bpf.c, filled from user
 * space. Creating a map needs CAP_BPF: without it the test exits 77. */
#ifndef TCFLOW_TEST_TABLES_H
#define TCFLOW_TEST_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "tcflow.h"

/* 1 when this process may create maps, else 0 after saying why on stderr. */
int tables_can_run(const char *test);

/* The flow table (an LRU hash) with key_size TCFLOW_KEY_SIZE_NO_OWNER
 * (owners off) or sizeof(struct flow_key); the interface totals (per-CPU
 * array of slots); the loss counters. An fd, or -1 with errno set. */
int tables_flows(uint32_t max_entries, size_t key_size);
int tables_ifaces(uint32_t slots);
int tables_losses(void);

/* Flow i (i < 65536) of interface 7, ingress TCP from 198.18.i/256.i%256
 * port 40000 to 198.19.0.1 port 443: distinct for every i. */
struct flow_key tables_key(uint32_t i);
/* Its index, or -1 for a key tables_key did not make. */
int tables_index(const struct flow_key *k);

/* 0, or -errno. */
int tables_put_flow(int fd, const struct flow_key *k, uint64_t packets, uint64_t bytes,
		    uint64_t last_seen_ns);
/* Sets one CPU's copy of a slot; the other copies stay. */
int tables_put_iface(int fd, uint32_t slot, int cpu, const struct iface_value *v);
/* Sets every CPU's count of a loss slot: cpu0 on CPU 0, last on the
 * last possible CPU (added when that is CPU 0). */
int tables_put_loss(int fd, uint32_t slot, uint64_t cpu0, uint64_t last);

#endif
