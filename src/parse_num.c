// SPDX-License-Identifier: BSD-2-Clause
/* Numbers and durations as flags and query parameters spell them. */
#include "parse_num.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

/* Digits only: strtoull alone would take blanks, signs, and 010 as octal. */
static int parse_base(const char *s, int base, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	for (const char *p = s; *p; p++)
		if (!(base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
			return -1;
	if (!*s)
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	return parse_base(s, 10, min, max, out);
}

int parse_u32_hex(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_base(s + 2, 16, min, max, out);
	return parse_base(s, 10, min, max, out);
}

int parse_duration(const char *s, uint32_t *seconds)
{
	static const struct { char unit; uint32_t factor; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[16];
	size_t len = strlen(s);
	uint32_t factor = 1, n;

	if (!len || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (num[len - 1] == units[i].unit) {
			factor = units[i].factor;
			num[--len] = '\0';
			break;
		}
	if (parse_u32(num, 0, UINT32_MAX / factor, &n))
		return -1;
	*seconds = n * factor;
	return 0;
}
