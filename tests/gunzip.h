/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the tests of gzip bodies: decompressed by the system's gzip,
 * an implementation apart from whatever library the exporter uses. */
#ifndef TCFLOW_TEST_GUNZIP_H
#define TCFLOW_TEST_GUNZIP_H

#include <stddef.h>

/* 0 with the text in *out (malloc'd, NUL-terminated) and its length, or
 * -1 when gzip refuses the data: not gzip, cut short, or with trailing
 * bytes (gzip's exit status is then not 0). */
int gunzip(const void *data, size_t len, char **out, size_t *out_len);

#endif
