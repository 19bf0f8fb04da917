/* SPDX-License-Identifier: BSD-2-Clause */
/* Arrays: their element count, and growing one that is filled in place. */
#ifndef TCFLOW_ARRAY_H
#define TCFLOW_ARRAY_H

#include <stddef.h>

/* The element count of an array (never of a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Makes room for need elements of size bytes in *arrp (a pointer to the
 * array pointer), doubling *cap: amortised O(1) appends. 0, or -1 with
 * the array as it was when memory runs out. */
int array_grow(void *arrp, size_t *cap, size_t need, size_t size);

#endif
