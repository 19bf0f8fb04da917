/* SPDX-License-Identifier: BSD-2-Clause */
/* Numbers and durations as flags and query parameters spell them. */
#ifndef TCFLOW_PARSE_NUM_H
#define TCFLOW_PARSE_NUM_H

#include <stdint.h>

/* A decimal whole number in [min, max], digits only: 0, or -1 when not. */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* Decimal, or hexadecimal after 0x (how tc prints handles). */
int parse_u32_hex(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* A duration such as 90s, 5m, 1h or 0 (a bare number is seconds). */
int parse_duration(const char *s, uint32_t *seconds);

#endif
