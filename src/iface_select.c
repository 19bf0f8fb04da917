// SPDX-License-Identifier: BSD-2-Clause
#include "iface_select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int iface_select_add_pattern(struct iface_select *s, int exclude, const char *pattern,
			     char *err, size_t errlen)
{
	const char *flag = exclude ? "--interface.exclude" : "--interface.include";
	regex_t *slot = exclude ? &s->exclude[s->n_exclude] : &s->include[s->n_include];
	int *n = exclude ? &s->n_exclude : &s->n_include;
	size_t len = strlen(pattern) + 5;
	char *anchored, why[128];
	int rc;

	if (*n == MAX_IFACE_PATTERNS) {
		snprintf(err, errlen, "too many %s flags: at most %d (join patterns with |)", flag,
			 MAX_IFACE_PATTERNS);
		return -1;
	}
	/* A group, so that "a|b" is anchored as a whole, as node_exporter's
	 * device-include is. */
	anchored = malloc(len);
	if (!anchored) {
		snprintf(err, errlen, "out of memory compiling %s", flag);
		return -1;
	}
	snprintf(anchored, len, "^(%s)$", pattern);
	rc = regcomp(slot, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc) {
		regerror(rc, slot, why, sizeof(why));
		snprintf(err, errlen,
			 "invalid value for %s: \"%s\" is not a POSIX extended regular expression: %s",
			 flag, pattern, why);
		return -1;
	}
	(*n)++;
	return 0;
}

int iface_select_empty(const struct iface_select *s)
{
	return !s->n_names && !s->n_include && !s->n_exclude;
}

static int any_match(const regex_t *res, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (regexec(&res[i], name, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

int iface_select_named(const struct iface_select *s, const char *name)
{
	for (int i = 0; i < s->n_names; i++)
		if (strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

int iface_select_match(const struct iface_select *s, const char *name)
{
	if (any_match(s->exclude, s->n_exclude, name))
		return 0;
	if (!s->n_names && !s->n_include)
		return s->n_exclude > 0;
	return iface_select_named(s, name) || any_match(s->include, s->n_include, name);
}

void iface_select_free(struct iface_select *s)
{
	for (int i = 0; i < s->n_include; i++)
		regfree(&s->include[i]);
	for (int i = 0; i < s->n_exclude; i++)
		regfree(&s->exclude[i]);
	s->n_include = s->n_exclude = 0;
}
