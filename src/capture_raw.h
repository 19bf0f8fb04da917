/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The record lengths libpcap hides. libpcap cuts a record whose captured
 * length exceeds the file's snapshot length down to the snapshot, but
 * doc/flow-key.md counts every record with its own captured length. So after libpcap
 * reads a record we read the same file range ourselves and take the
 * record's length, and its data, from the record header.
 */
#ifndef TCFLOW_CAPTURE_RAW_H
#define TCFLOW_CAPTURE_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct capture_raw {
	int fd;
	int pcapng;
	int swapped;	/* the file's byte order differs from ours */
};

/* Opens path a second time; swapped is pcap_is_swapped(). 0 or -1. */
int capture_raw_open(struct capture_raw *rc, const char *path, int swapped);
void capture_raw_close(struct capture_raw *rc);

/* Finds the last packet record within the file range [start, end) and
 * returns its captured length in *caplen and up to cap bytes of its data
 * in buf (*got of them). 0, or -1 when the range holds no packet record. */
int capture_raw_record(const struct capture_raw *rc, off_t start, off_t end,
		       uint8_t *buf, size_t cap, uint32_t *caplen, size_t *got);

#endif
