// SPDX-License-Identifier: BSD-2-Clause
#include "label_set.h"

#include <stdio.h>
#include <string.h>

#include "owners.h"

const char *const flow_label_names[FL_N] = {
	"interface", "direction", "protocol", "src_ip", "dst_ip", "src_port", "dst_port",
	"service_port", "cgroup", "namespace", "pod", "container",
};

void label_set_default(struct label_set *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->mask = FL_SERVICES;
	ls->ipv4_prefix = 32;
	ls->ipv6_prefix = 128;
	ls->max_series = DEFAULT_MAX_SERIES;
	ls->retention_s = DEFAULT_SERIES_RETENTION_S;
	ls->ephemeral_lo = 32768;
	ls->ephemeral_hi = 60999;
}

void label_set_read_ephemeral(struct label_set *ls, const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned int lo, hi;

	if (!f)
		return;
	if (fscanf(f, "%u %u", &lo, &hi) == 2 && lo <= hi && hi <= 65535) {
		ls->ephemeral_lo = (uint16_t)lo;
		ls->ephemeral_hi = (uint16_t)hi;
	}
	fclose(f);
}

static int preset(struct label_set *ls, const char *spec)
{
	if (!strcmp(spec, "full") || !strcmp(spec, "5-tuple"))
		ls->mask = FL_FULL;
	else if (!strcmp(spec, "hosts"))
		ls->mask = FL_INTERFACE | FL_DIRECTION | FL_SRC_IP | FL_DST_IP;
	else if (!strcmp(spec, "services"))
		ls->mask = FL_SERVICES;
	else
		return -1;
	return 0;
}

static unsigned int label_bit(const char *name, size_t len)
{
	for (unsigned int i = 0; i < FL_N; i++)
		if (strlen(flow_label_names[i]) == len && !strncmp(flow_label_names[i], name, len))
			return 1u << i;
	return 0;
}

/* "interface, direction, ...": the names the error message offers. */
static const char *label_list(char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < FL_N && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? ", " : "",
					flow_label_names[i]);
	return out;
}

int label_set_parse(struct label_set *ls, const char *spec, char *err, size_t errlen)
{
	unsigned int mask = 0, bit;
	const char *p = spec;

	if (!preset(ls, spec))
		return 0;
	while (*p) {
		size_t len = strcspn(p, ",");

		bit = label_bit(p, len);
		if (!bit || (p[len] == ',' && !p[len + 1])) {
			char names[256];

			snprintf(err, errlen, "invalid value for --flow.labels: \"%.*s\" is not a preset "
				 "(services, hosts, full) or a label (%s)", (int)len, p,
				 label_list(names, sizeof(names)));
			return -1;
		}
		mask |= bit;
		p += len + (p[len] == ',');
	}
	if (!mask) {
		snprintf(err, errlen, "invalid value for --flow.labels: no label given");
		return -1;
	}
	ls->mask = mask;
	return 0;
}

unsigned int label_set_owner_labels(unsigned int mask)
{
	return (mask & FL_CGROUP ? OWNER_L_CGROUP : 0) |
	       (mask & FL_NAMESPACE ? OWNER_L_NAMESPACE : 0) |
	       (mask & FL_POD ? OWNER_L_POD : 0) |
	       (mask & FL_CONTAINER ? OWNER_L_CONTAINER : 0);
}
