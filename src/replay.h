/* SPDX-License-Identifier: BSD-2-Clause */
/* Capture replay: every record of a pcap or pcapng file through the
 * ingress program with BPF_PROG_TEST_RUN, the same data path as live. */
#ifndef TCFLOW_REPLAY_H
#define TCFLOW_REPLAY_H

#include <stddef.h>
#include <stdint.h>

struct replay_result {
	uint64_t records;	/* records run through the program */
	int opened;		/* 0: not a capture that can be read at all */
};

/* Runs one record through prog_fd: data holds the first data_len of its
 * caplen captured bytes. Returns 0 or -errno. */
int replay_frame(int prog_fd, const uint8_t *data, size_t data_len, uint32_t caplen);

/* Replays every record of path. Returns 0, or -1 after logging one line
 * naming the file and what is wrong; records counted before stay counted. */
int replay_file(int prog_fd, const char *path, struct replay_result *res);

#endif
