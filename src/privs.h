/* SPDX-License-Identifier: BSD-2-Clause */
/* Least privilege: once the programs are attached and the port is bound,
 * the process keeps only the capabilities later work needs. */
#ifndef TCFLOW_PRIVS_H
#define TCFLOW_PRIVS_H

/* Keeps CAP_NET_ADMIN when keep_net_admin (the tc filters are detached at
 * exit), drops every other capability from the effective, permitted,
 * inheritable and bounding sets, and sets no_new_privs. Call it before
 * any thread starts: capabilities are per thread. 0, or -1 logged. */
int privs_drop(int keep_net_admin);

#endif
