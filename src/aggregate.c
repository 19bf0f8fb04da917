#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

static const struct {
	const char *name;
	unsigned int bit;
} label_names[] = {
	{ "interface", FL_INTERFACE }, { "direction", FL_DIRECTION },
	{ "protocol", FL_PROTOCOL }, { "src_ip", FL_SRC_IP }, { "dst_ip", FL_DST_IP },
	{ "src_port", FL_SRC_PORT }, { "dst_port", FL_DST_PORT },
};

void label_set_default(struct label_set *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->mask = FL_ALL;
	ls->ipv4_prefix = 32;
	ls->ipv6_prefix = 128;
}

static int preset(struct label_set *ls, const char *spec)
{
	if (!strcmp(spec, "full") || !strcmp(spec, "5-tuple")) {
		ls->mask = FL_ALL;
	} else if (!strcmp(spec, "hosts")) {
		ls->mask = FL_INTERFACE | FL_DIRECTION | FL_SRC_IP | FL_DST_IP;
	} else if (!strcmp(spec, "services")) {
		ls->mask = FL_ALL;
		ls->services = 1;
	} else {
		return -1;
	}
	return 0;
}

static unsigned int label_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(label_names) / sizeof(label_names[0]); i++)
		if (strlen(label_names[i].name) == len && !strncmp(label_names[i].name, name, len))
			return label_names[i].bit;
	return 0;
}

int label_set_parse(struct label_set *ls, const char *spec, char *err, size_t errlen)
{
	unsigned int mask = 0, bit;
	const char *p = spec;

	ls->services = 0;
	if (!preset(ls, spec))
		return 0;
	while (*p) {
		size_t len = strcspn(p, ",");

		bit = label_bit(p, len);
		if (!bit || (p[len] == ',' && !p[len + 1])) {
			snprintf(err, errlen, "invalid value for --flow.labels: \"%.*s\" is not a preset "
				 "(full, hosts, services) or a label (interface, direction, protocol, "
				 "src_ip, dst_ip, src_port, dst_port)", (int)len, p);
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

static void mask_prefix(uint8_t *addr, unsigned int bytes, unsigned int prefix)
{
	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int keep = prefix > i * 8 ? prefix - i * 8 : 0;

		if (keep < 8)
			addr[i] &= (uint8_t)(0xff00 >> keep);
	}
}

/* The smaller port is the service; the other side's is ephemeral. */
static void drop_ephemeral(struct flow_key *k)
{
	if (!k->src_port || !k->dst_port || k->src_port == k->dst_port)
		return;
	if (k->src_port < k->dst_port) {
		k->dst_port = 0;
		k->pad |= FL_DST_PORT;
	} else {
		k->src_port = 0;
		k->pad |= FL_SRC_PORT;
	}
}

/* Rewrites a key to what its series' labels can tell apart. */
void aggregate_project(struct flow_key *k, const struct label_set *ls)
{
	unsigned int bytes = k->family == TCFLOW_FAM_IPV6 ? 16 : 4;
	unsigned int prefix = k->family == TCFLOW_FAM_IPV6 ? ls->ipv6_prefix : ls->ipv4_prefix;

	k->pad = 0;
	if (ls->services)
		drop_ephemeral(k);
	if (!(ls->mask & FL_INTERFACE))
		k->ifindex = 0;
	if (!(ls->mask & FL_DIRECTION))
		k->direction = 0;
	if (!(ls->mask & FL_PROTOCOL))
		k->protocol = 0;
	if (!(ls->mask & FL_SRC_PORT))
		k->src_port = 0;
	if (!(ls->mask & FL_DST_PORT))
		k->dst_port = 0;
	mask_prefix(k->src_addr, bytes, prefix);
	mask_prefix(k->dst_addr, bytes, prefix);
	if (!(ls->mask & FL_SRC_IP))
		memset(k->src_addr, 0, sizeof(k->src_addr));
	if (!(ls->mask & FL_DST_IP))
		memset(k->dst_addr, 0, sizeof(k->dst_addr));
	/* Without addresses nothing in the labels tells the families apart. */
	if (!(ls->mask & (FL_SRC_IP | FL_DST_IP)))
		k->family = 0;
}

int label_set_is_identity(const struct label_set *ls)
{
	return ls->mask == FL_ALL && !ls->services && ls->ipv4_prefix == 32 &&
	       ls->ipv6_prefix == 128;
}

/* Sums runs of equal keys in a sorted array; returns the new length. */
static size_t merge_sorted(struct flow_entry *f, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		if (out && !memcmp(&f[out - 1].key, &f[i].key, sizeof(f[i].key))) {
			f[out - 1].val.packets += f[i].val.packets;
			f[out - 1].val.bytes += f[i].val.bytes;
			if (f[i].val.last_seen_ns > f[out - 1].val.last_seen_ns)
				f[out - 1].val.last_seen_ns = f[i].val.last_seen_ns;
			continue;
		}
		f[out++] = f[i];
	}
	return out;
}

static int cmp_bytes_desc(const void *a, const void *b)
{
	const struct flow_value *x = &((const struct flow_entry *)a)->val;
	const struct flow_value *y = &((const struct flow_entry *)b)->val;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return render_cmp_flow(a, b);	/* ties: the label order, never the map's */
}

/* Keeps the max largest by bytes and sums the rest. */
static size_t fold_tail(struct flow_entry *f, size_t n, size_t max, struct flow_value *other)
{
	memset(other, 0, sizeof(*other));
	qsort(f, n, sizeof(*f), cmp_bytes_desc);
	for (size_t i = max; i < n; i++) {
		other->packets += f[i].val.packets;
		other->bytes += f[i].val.bytes;
	}
	return max;
}

size_t aggregate_compact(struct flow_entry *f, size_t n)
{
	if (n > 1)
		qsort(f, n, sizeof(*f), render_cmp_flow);
	return merge_sorted(f, n);
}

size_t aggregate_join_retired(struct snapshot *s, struct flow_entry *retired, size_t n)
{
	size_t i = 0, j = 0, kept = 0;

	while (i < s->n_flows && j < n) {
		int c = render_cmp_flow(&s->flows[i], &retired[j]);

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;	/* its series is gone: the retired count goes too */
		} else {
			s->flows[i].val.packets += retired[j].val.packets;
			s->flows[i].val.bytes += retired[j].val.bytes;
			retired[kept++] = retired[j++];
			i++;
		}
	}
	return kept;
}

int aggregate_flows(struct snapshot *s, const struct label_set *ls, struct flow_value *other)
{
	int folded = ls->max_series && s->n_flows > ls->max_series;

	/* One sort to merge equal projections; the full table skips it. */
	if (!label_set_is_identity(ls)) {
		for (size_t i = 0; i < s->n_flows; i++)
			aggregate_project(&s->flows[i].key, ls);
		render_sort_flows(s);
		s->n_flows = merge_sorted(s->flows, s->n_flows);
		if (s->n_retired)
			s->n_retired = aggregate_join_retired(s, s->retired, s->n_retired);
		folded = ls->max_series && s->n_flows > ls->max_series;
	}
	if (folded) {
		s->n_flows = fold_tail(s->flows, s->n_flows, ls->max_series, other);
		render_sort_flows(s);
	} else if (label_set_is_identity(ls)) {
		render_sort_flows(s);	/* merge_sorted kept the order otherwise */
	}
	return folded;
}
