/* SPDX-License-Identifier: BSD-2-Clause */
/* Who owns a tc filter of ours. The filter names a BPF program by id; the
 * exporter that loaded the program listens on an abstract UNIX socket
 * named after that id ("tcflow_exporter/prog/ID"). The abstract socket
 * namespace belongs to the network namespace, as the interfaces do, and
 * the kernel removes the name when the process dies however it dies: a
 * filter whose program has no such socket was left by a dead exporter. */
#ifndef TCFLOW_OWNER_H
#define TCFLOW_OWNER_H

#include <stdint.h>

/* Starts listening as the owner of program prog_id: the fd, or -1 with
 * errno (EADDRINUSE: a live process already claims it). */
int owner_claim(uint32_t prog_id);
/* 1 when a live process owns prog_id (*pid: its pid as this PID namespace
 * sees it, 0 when invisible from here), 0 when none does. */
int owner_lookup(uint32_t prog_id, int *pid);
/* Accepts and closes the connections lookups made to a claim's fd. */
void owner_drain(int fd);

#endif
