/* SPDX-License-Identifier: BSD-2-Clause */
/* Which interfaces to count: exact names (--interface), and POSIX extended
 * regular expressions matched against the whole name
 * (--interface.include, --interface.exclude; exclude wins). */
#ifndef TCFLOW_IFACE_SELECT_H
#define TCFLOW_IFACE_SELECT_H

#include <regex.h>
#include <stddef.h>

#define MAX_INTERFACES 64	/* --interface flags */
#define MAX_IFACE_PATTERNS 16	/* of each of include and exclude */
#define TCFLOW_DEFAULT_IFACE_MAX 4096	/* --interface.max-count */

struct iface_select {
	const char *const *names;	/* the --interface names (struct config's) */
	int n_names;
	regex_t include[MAX_IFACE_PATTERNS];
	int n_include;
	regex_t exclude[MAX_IFACE_PATTERNS];
	int n_exclude;
};

/* Compiles pattern anchored to the whole name into include (exclude: 0)
 * or exclude (1). 0, or -1 with a one-line reason in err naming flag. */
int iface_select_add_pattern(struct iface_select *s, int exclude, const char *pattern,
			     char *err, size_t errlen);
/* Nothing given at all: neither a name nor a pattern. */
int iface_select_empty(const struct iface_select *s);
/* Whether the interface called name is to be counted. With only
 * exclusions given, every interface they do not exclude is. */
int iface_select_match(const struct iface_select *s, const char *name);
/* Whether name is one of the --interface names. */
int iface_select_named(const struct iface_select *s, const char *name);
void iface_select_free(struct iface_select *s);

#endif
