// SPDX-License-Identifier: BSD-2-Clause
#include "render.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "iface_follow.h"
#include "ifnames.h"
#include "labels.h"
#include "owners.h"

/* The value every label but interface and direction has on a fold series. */
#define FOLD_VALUE "other"

/* snprintf("%u") costs more than the rest of a series' labels together. */
static const char *u16_text(unsigned int v, char out[6])
{
	char *p = out + 5;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* Dotted quad, as inet_ntop() writes it, without its cost. */
static size_t ipv4_text(const uint8_t *a, char *out)
{
	char *p = out, num[6];

	for (int i = 0; i < 4; i++) {
		const char *d = u16_text(a[i], num);
		size_t n = (size_t)(num + 5 - d);

		if (i)
			*p++ = '.';
		memcpy(p, d, n);
		p += n;
	}
	*p = '\0';
	return (size_t)(p - out);
}

/* An address label: CIDR form when --flow.ipv*-prefix aggregates. Its
 * length. */
static size_t addr_label(const struct series_key *k, const uint8_t *addr,
			 const struct label_set *ls, char *out, size_t len)
{
	unsigned int v6 = k->family == TCFLOW_FAM_IPV6;
	unsigned int prefix = v6 ? ls->ipv6_prefix : ls->ipv4_prefix;
	char num[6];
	size_t n;

	if (!v6) {
		n = ipv4_text(addr, out);
	} else {
		addr_text(k->family, addr, out, len);
		n = strlen(out);
	}
	if (prefix < (v6 ? 128u : 32u) && n + 5 <= len) {
		const char *d = u16_text(prefix, num);

		out[n] = '/';
		strcpy(out + n + 1, d);
		n += 1 + (size_t)(num + 5 - d);
	}
	return n;
}

struct label_values {
	char proto[PROTO_NAME_MAX];
	char src[INET6_ADDRSTRLEN + 4], dst[INET6_ADDRSTRLEN + 4];
	char sport[6], dport[6], service[6];
};

/* A value that cannot need escaping: a number, an address, a fixed word. */
static struct expo_label plain(const char *value, size_t len)
{
	return (struct expo_label){ .value = value, .len = len, .plain = 1 };
}

static struct expo_label port_label(uint16_t port, char out[6])
{
	const char *d = u16_text(port, out);

	return plain(d, (size_t)(out + 5 - d));
}

/* The labels of one series: every label the set keeps, in the same
 * order on every series, so a family has one label set. The values may
 * point into v; each is made only if kept and written straight where it
 * goes (a million series a scrape). */
struct label_list {
	struct expo_label *l;
	size_t n;
	unsigned int mask;
};

static int wants(const struct label_list *ll, enum flow_label label)
{
	return (ll->mask & label) != 0;
}

static void keep(struct label_list *ll, enum flow_label label, struct expo_label value)
{
	value.name = flow_label_names[__builtin_ctz(label)];
	ll->l[ll->n++] = value;
}

static void owner_labels(struct label_list *ll, const struct series_key *k,
			 const struct label_set *ls)
{
	struct owner_view o = { "", "", "", "" };

	if (ls->owners)
		owners_get(ls->owners, k->owner, &o);
	if (wants(ll, FL_CGROUP))
		keep(ll, FL_CGROUP, EXPO_LABEL(NULL, o.cgroup));
	if (wants(ll, FL_NAMESPACE))
		keep(ll, FL_NAMESPACE, EXPO_LABEL(NULL, o.namespace));
	if (wants(ll, FL_POD))
		keep(ll, FL_POD, EXPO_LABEL(NULL, o.pod));
	if (wants(ll, FL_CONTAINER))
		keep(ll, FL_CONTAINER, EXPO_LABEL(NULL, o.container));
}

static size_t series_labels(const struct series_key *k, const struct label_set *ls,
			    struct label_values *v, struct expo_label l[FL_N])
{
	struct label_list ll = { l, 0, ls->mask };

	if (wants(&ll, FL_INTERFACE))	/* a name may hold anything */
		keep(&ll, FL_INTERFACE, EXPO_LABEL(NULL, k->ifname));
	if (wants(&ll, FL_DIRECTION))
		keep(&ll, FL_DIRECTION, plain(direction_name(k->direction), 0));
	if (k->fold) {
		for (unsigned int label = FL_PROTOCOL; label < 1u << FL_N; label <<= 1)
			if (wants(&ll, label))
				keep(&ll, label, plain(FOLD_VALUE, sizeof(FOLD_VALUE) - 1));
		return ll.n;
	}
	if (wants(&ll, FL_PROTOCOL))
		keep(&ll, FL_PROTOCOL, plain(proto_name(k->protocol, v->proto), 0));
	if (wants(&ll, FL_SRC_IP))
		keep(&ll, FL_SRC_IP,
		     plain(v->src, addr_label(k, k->src_addr, ls, v->src, sizeof(v->src))));
	if (wants(&ll, FL_DST_IP))
		keep(&ll, FL_DST_IP,
		     plain(v->dst, addr_label(k, k->dst_addr, ls, v->dst, sizeof(v->dst))));
	if (wants(&ll, FL_SRC_PORT))
		keep(&ll, FL_SRC_PORT, port_label(k->src_port, v->sport));
	if (wants(&ll, FL_DST_PORT))
		keep(&ll, FL_DST_PORT, port_label(k->dst_port, v->dport));
	if (wants(&ll, FL_SERVICE_PORT))
		keep(&ll, FL_SERVICE_PORT, port_label(k->service_port, v->service));
	if (ls->mask & FL_OWNER)
		owner_labels(&ll, k, ls);
	return ll.n;
}

/* What the packets family takes from the bytes family's pass: where a
 * series' label text went (off << 24 | len), to copy it rather than make
 * it again, and its packets, so that the text format need not visit the
 * series out of order a second time. */
struct packets_line {
	uint64_t span;
	uint64_t packets;
};
#define SPAN_LEN_BITS 24

/* The series are visited in label order, not in the order they are kept
 * in: at a million series nearly every visit is a cache miss. Asking for
 * the series a few visits ahead overlaps the misses (render time 0.58 s
 * -> 0.34 s at 1M series). */
#define PREFETCH_AHEAD 8

static void prefetch_ahead(const struct series_store *st, const uint32_t *order, size_t i,
			   size_t at)
{
	if (i + PREFETCH_AHEAD < st->n_series)
		__builtin_prefetch((const char *)&st->series[order[i + PREFETCH_AHEAD]] + at);
}

/* The labels of the i-th series in label order, its followers asked for. */
static size_t labels_at(const struct series_store *st, const uint32_t *order, size_t i,
			struct label_values *v, struct expo_label l[FL_N])
{
	prefetch_ahead(st, order, i, 0);
	prefetch_ahead(st, order, i, 64);
	return series_labels(&st->series[order[i]].key, st->labels, v, l);
}

#define BYTES_FAMILY "tcflow_flow_bytes"
#define PACKETS_FAMILY "tcflow_flow_packets"

/* The series order[from..to) of a store. */
struct flow_range {
	struct series_store *st;
	const uint32_t *order;
	size_t from, to;
};

/* Each series' bytes line into e and its packets line into side, with
 * the same label text. */
static void flow_lines(struct expo *e, struct expo *side, const struct flow_range *r)
{
	for (size_t i = r->from; i < r->to && !e->out->oom; i++) {
		const struct series *s = &r->st->series[r->order[i]];
		struct label_values v;
		struct expo_label l[FL_N];
		size_t n = labels_at(r->st, r->order, i, &v, l), off, len;

		off = expo_counter_labels(e, l, n, s->bytes, s->created, &len);
		if (!e->out->oom)	/* the labels escaped once, copied */
			expo_counter_from(side, e->out->data + off, len, s->packets, s->created);
		expo_maybe_flush(side);
		e->out->oom |= side->out->oom;
		expo_maybe_flush(e);
	}
}

static void twin_lines(void *range, struct expo *e, struct expo *side)
{
	flow_lines(e, side, range);
}

/* The second half on the sink's second thread, where it has one. */
static void flow_halves(struct expo *e, struct expo *side, const struct flow_range *all)
{
	struct flow_range first = *all, second = *all;

	first.to = second.from = all->from + (all->to - all->from) / 2;
	if (!e->sink->twin || e->sink->twin(e->sink, e, side, twin_lines, &second)) {
		flow_lines(e, side, all);
		return;
	}
	flow_lines(e, side, &first);
	e->sink->twin_join(e->sink, e->out);
}

/* With side (the sink's), the packets family is written there in the same
 * pass, from the same labels; else pl keeps what it needs. */
static void bytes_family(struct expo *e, struct series_store *st, const uint32_t *order,
			 struct packets_line *pl, struct expo *side)
{
	expo_family(e, BYTES_FAMILY, EXPO_COUNTER,
		    "Bytes of the frames of each series of flows, L2 header included; the series with every other label \"other\" holds the rest of its interface and direction.");
	if (side) {
		expo_family_begin(side, PACKETS_FAMILY, EXPO_COUNTER);
		flow_halves(e, side, &(struct flow_range){ st, order, 0, order ? st->n_series : 0 });
		return;
	}
	for (size_t i = 0; order && i < st->n_series && !e->out->oom; i++) {
		const struct series *s = &st->series[order[i]];
		struct label_values v;
		struct expo_label l[FL_N];
		size_t n = labels_at(st, order, i, &v, l), off, len;

		off = expo_counter_labels(e, l, n, s->bytes, s->created, &len);
		pl[i].span = len < (1u << SPAN_LEN_BITS) ? (uint64_t)off << SPAN_LEN_BITS | len : 0;
		pl[i].packets = s->packets;
		expo_maybe_flush(e);
	}
}

/* When the bytes family's text was flushed, there is nothing to copy the
 * labels from: they are made again. */
static void packets_made(struct expo *e, struct series_store *st, const uint32_t *order,
			 const struct packets_line *pl)
{
	for (size_t i = 0; order && i < st->n_series && !e->out->oom; i++) {
		const struct series *s = &st->series[order[i]];
		struct label_values v;
		struct expo_label l[FL_N];
		size_t n = labels_at(st, order, i, &v, l), len;

		expo_counter_labels(e, l, n, pl[i].packets, s->created, &len);
		expo_maybe_flush(e);
	}
}

static void packets_family(struct expo *e, struct series_store *st, const uint32_t *order,
			   const struct packets_line *pl)
{
	const uint64_t len_mask = (1u << SPAN_LEN_BITS) - 1;
	int with_created = expo_has_created(e);

	expo_family(e, PACKETS_FAMILY, EXPO_COUNTER,
		    "Packets of each series of flows (a GSO packet counts as its segments); the series with every other label \"other\" holds the rest of its interface and direction.");
	if (e->sink && e->sink->side) {
		e->sink->splice(e->sink, e->out);
		return;
	}
	if (e->sink && e->sink->flushed) {
		packets_made(e, st, order, pl);
		return;
	}
	/* Nothing flushed: the copies' sources stay until the end, and so
	 * does the rest of the text (at most about twice sink->at). */
	for (size_t i = 0; order && i < st->n_series && !e->out->oom; i++) {
		double created = 0;	/* read only where it is written */

		if (with_created) {
			prefetch_ahead(st, order, i, offsetof(struct series, created));
			created = st->series[order[i]].created;
		}
		expo_counter_copy(e, pl[i].span >> SPAN_LEN_BITS, pl[i].span & len_mask,
				  pl[i].packets, created);
	}
}

static void flow_families(struct expo *e, struct series_store *st, const uint32_t *order)
{
	struct expo *side = e->sink ? e->sink->side : NULL;
	struct packets_line *pl = NULL;

	if (!side && !(pl = calloc(st->n_series ? st->n_series : 1, sizeof(*pl)))) {
		e->out->oom = 1;
		return;
	}
	bytes_family(e, st, order, pl, side);
	packets_family(e, st, order, pl);
	free(pl);
}

static void gauge1(struct expo *e, const char *name, const char *help, uint64_t v)
{
	expo_family(e, name, EXPO_GAUGE, help);
	expo_gauge_u64(e, NULL, 0, v);
}

static void counter1(struct expo *e, const char *name, const char *help, uint64_t v,
		     double created)
{
	expo_family(e, name, EXPO_COUNTER, help);
	expo_counter(e, "", 0, v, created);
}

static void series_health(struct expo *e, const struct series_store *st, double start)
{
	gauge1(e, "tcflow_flow_series", "Flow series on /metrics now, fold series not included.",
	       st->n_flow_series);
	gauge1(e, "tcflow_flow_series_limit",
	       "Flow series at most (--flow.max-series; 0: no limit); flows without a seat count in their interface's fold series.",
	       st->labels->max_series);
	counter1(e, "tcflow_flow_series_started", "Flow series that started (at zero).",
		 st->stats.created, start);
	counter1(e, "tcflow_flow_series_removed",
		 "Flow series that left after --flow.series-retention without growth.",
		 st->stats.removed, start);
	counter1(e, "tcflow_flow_series_refused",
		 "Times a flow found no free series under --flow.max-series; its counts went to the fold series.",
		 st->stats.refused, start);
}

/* Accounts of interfaces ever seen in the table, by ifindex and direction. */
static int cmp_acct(const void *a, const void *b, void *ctx)
{
	const struct iface_acct *accts = ctx;
	uint64_t x = accts[*(const uint32_t *)a].id, y = accts[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

static size_t iface_order(const struct series_store *st, uint32_t *idx)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_accts; i++)
		if (st->accts[i].created > 0)
			idx[n++] = (uint32_t)i;
	/* Up to --interface.max-count x 2 hooks: not a handful to insert. */
	qsort_r(idx, n, sizeof(*idx), cmp_acct, st->accts);
	return n;
}

static size_t iface_label(const struct iface_acct *a, int family, struct expo_label *l)
{
	l[0] = EXPO_LABEL("interface", a->ifname);
	l[1] = EXPO_LABEL("direction", direction_name((unsigned)(a->id & 0xff)));
	if (family < 0)
		return 2;
	l[2] = EXPO_LABEL("family", family_name((unsigned)family));
	return 3;
}

enum iface_value_kind { IV_BYTES, IV_PACKETS, IV_MALFORMED, IV_UNACC_BYTES, IV_UNACC_PACKETS };

static uint64_t iface_value(const struct iface_acct *a, enum iface_value_kind kind, int f)
{
	switch (kind) {
	case IV_BYTES: return a->last.bytes[f];
	case IV_PACKETS: return a->last.packets[f];
	case IV_MALFORMED: return a->last.malformed;
	case IV_UNACC_BYTES: return a->unaccounted[1];
	default: return a->unaccounted[0];
	}
}

static void iface_family(struct expo *e, const struct series_store *st, const uint32_t *idx,
			 size_t n, const char *name, enum iface_value_kind kind, const char *help)
{
	int per_family = kind == IV_BYTES || kind == IV_PACKETS;
	struct expo_label l[3];

	expo_family(e, name, EXPO_COUNTER, help);
	for (size_t i = 0; i < n; i++) {
		const struct iface_acct *a = &st->accts[idx[i]];

		for (int f = 0; f < (per_family ? TCFLOW_FAM_MAX : 1); f++) {
			size_t nl = iface_label(a, per_family ? f : -1, l);

			expo_counter_l(e, l, nl, iface_value(a, kind, f), a->created);
		}
	}
}

static void render_ifaces(struct expo *e, const struct series_store *st)
{
	uint32_t *idx = calloc(st->n_accts ? st->n_accts : 1, sizeof(*idx));
	size_t n = idx ? iface_order(st, idx) : 0;

	iface_family(e, st, idx, n, "tcflow_interface_bytes", IV_BYTES,
		     "Bytes of all frames per interface, direction and family (ipv4, ipv6, other); never evicted.");
	iface_family(e, st, idx, n, "tcflow_interface_packets", IV_PACKETS,
		     "Packets per interface, direction and family (ipv4, ipv6, other); never evicted.");
	iface_family(e, st, idx, n, "tcflow_interface_malformed_packets", IV_MALFORMED,
		     "IPv4 and IPv6 packets too broken to be counted as a flow.");
	iface_family(e, st, idx, n, "tcflow_flow_unaccounted_bytes", IV_UNACC_BYTES,
		     "IPv4 and IPv6 bytes of an interface that no read of a flow explains (a flow evicted before it was read, a malformed packet, a failed insert); part of the fold series.");
	iface_family(e, st, idx, n, "tcflow_flow_unaccounted_packets", IV_UNACC_PACKETS,
		     "IPv4 and IPv6 packets of an interface that no read of a flow explains; part of the fold series.");
	free(idx);
}

static void render_table(struct expo *e, const struct render_input *in)
{
	const struct snapshot *s = in->snap;

	gauge1(e, "tcflow_flows", "Entries in the kernel's flow table.", s->n_flows);
	gauge1(e, "tcflow_flow_table_max_entries",
	       "Size of the flow table (--flow.max-entries): when full, the least recently used flow is evicted.",
	       in->flow_max_entries);
	counter1(e, "tcflow_flow_inserts", "Flows the kernel added to the flow table.",
		 s->losses[TCFLOW_STAT_FLOW_INSERTS], in->start_time);
	counter1(e, "tcflow_flows_expired", "Flows deleted after --flow.idle-timeout without packets.",
		 in->expired, in->start_time);
	counter1(e, "tcflow_flow_evictions_estimated",
		 "Flows the full table evicted (inserted, minus present, minus expired); what they held since their last read is in tcflow_flow_unaccounted_*.",
		 in->evictions, in->start_time);
}

static void read_health(struct expo *e, const struct snapshot *s, double start)
{
	static const char *const maps[] = { "flows", "interfaces", "losses" };
	const int ok[] = { s->flows_ok, s->ifaces_ok, s->losses_ok };
	struct expo_label l;

	expo_family(e, "tcflow_map_update_failures", EXPO_COUNTER,
		    "Packets the kernel could not add to a map (its count is lost), by map.");
	for (int i = 0; i <= TCFLOW_LOSS_IFACE_UPDATE; i++) {
		l = EXPO_LABEL("map", maps[i]);
		expo_counter_l(e, &l, 1, s->losses[i], start);
	}
	expo_family(e, "tcflow_scrape_success", EXPO_GAUGE,
		    "Whether reading a map succeeded in this scrape (1) or failed (0).");
	for (int i = 0; i < 3; i++) {
		l = EXPO_LABEL("map", maps[i]);
		expo_gauge_u64(e, &l, 1, (uint64_t)ok[i]);
	}
}

static void build_info(struct expo *e)
{
	const struct expo_label l[] = {
		EXPO_LABEL("version", PACKAGE_VERSION),
		EXPO_LABEL("libbpf", libbpf_version_string() + 1),
	};

	expo_family(e, "tcflow_build_info", EXPO_GAUGE,
		    "A metric with a constant '1' value labeled by the versions tcflow_exporter was built with.");
	expo_gauge_u64(e, l, 2, 1);
}

static void render_events(struct expo *e, const struct hub_stats *h, uint64_t ring_full,
			  double start)
{
	static const char *const reasons[] = { "ring_full", "client_slow", "undecodable" };
	const uint64_t dropped[] = { ring_full, h->dropped_client, h->dropped_undecodable };
	struct expo_label l[2];

	counter1(e, "tcflow_events", "Raw packet events read from the kernel's ring buffer.",
		 h->events_total, start);
	expo_family(e, "tcflow_events_dropped", EXPO_COUNTER,
		    "Events lost: ring_full in the kernel, client_slow for a subscriber that fell behind, undecodable records.");
	for (int i = 0; i < 3; i++) {
		l[0] = EXPO_LABEL("reason", reasons[i]);
		expo_counter_l(e, l, 1, dropped[i], start);
	}
	gauge1(e, "tcflow_event_subscribers", "Clients of /events and --events.stdout now reading events.",
	       (uint64_t)h->n_subs);
	expo_family(e, "tcflow_packet_size_bytes", EXPO_HISTOGRAM,
		    "Sizes of the packets that raised events (a sample, see --events.sample).");
	for (int i = 0; i < h->n_hist; i++) {
		const struct size_histogram *s = &h->hist[i];
		char ifname[IF_NAMESIZE];

		l[0] = EXPO_LABEL("interface", ifnames_get(s->ifindex, ifname));
		l[1] = EXPO_LABEL("direction", direction_name(s->direction));
		expo_histogram(e, l, 2, hub_bucket_le, PKT_SIZE_BUCKETS - 1, s->buckets, s->sum,
			       start);
	}
}

static void render_process(struct expo *e, const struct process_stats *ps)
{
	expo_family(e, "process_cpu_seconds", EXPO_COUNTER,
		    "Total user and system CPU time spent in seconds.");
	expo_counter_f(e, NULL, 0, ps->cpu_seconds, ps->start_time_seconds);
	expo_family(e, "process_max_fds", EXPO_GAUGE, "Maximum number of open file descriptors.");
	expo_gauge(e, NULL, 0, ps->max_fds);
	expo_family(e, "process_open_fds", EXPO_GAUGE, "Number of open file descriptors.");
	expo_gauge(e, NULL, 0, ps->open_fds);
	expo_family(e, "process_resident_memory_bytes", EXPO_GAUGE, "Resident memory size in bytes.");
	expo_gauge(e, NULL, 0, ps->resident_memory_bytes);
	expo_family(e, "process_start_time_seconds", EXPO_GAUGE,
		    "Start time of the process since unix epoch in seconds.");
	expo_gauge(e, NULL, 0, ps->start_time_seconds);
	expo_family(e, "process_virtual_memory_bytes", EXPO_GAUGE, "Virtual memory size in bytes.");
	expo_gauge(e, NULL, 0, ps->virtual_memory_bytes);
}

/* Interface health: the hooks as the kernel had them at this scrape. */
static void render_attached(struct expo *e, const struct iface_health_view *v, double start)
{
	static const char *const events[IFACE_EV_MAX] = { "attach", "detach", "reattach" };
	static const char *const dirs[2] = { "ingress", "egress" };
	struct expo_label l[2];

	expo_family(e, "tcflow_interface_attached", EXPO_GAUGE,
		    "Whether our program is attached to this hook of a selected interface now (1) or not (0), asked of the kernel at scrape time.");
	for (size_t i = 0; i < v->n; i++)
		for (int dir = 0; dir < 2; dir++) {
			l[0] = EXPO_LABEL("interface", v->hooks[i].name);
			l[1] = EXPO_LABEL("direction", dirs[dir]);
			expo_gauge_u64(e, l, 2, v->hooks[i].attached[dir]);
		}
	expo_family(e, "tcflow_interface_attach_events", EXPO_COUNTER,
		    "Interfaces attached (attach), forgotten because they went or no longer match (detach), and attached again after our filter or the clsact qdisc was removed (reattach).");
	for (int i = 0; i < IFACE_EV_MAX; i++) {
		l[0] = EXPO_LABEL("event", events[i]);
		expo_counter_l(e, l, 1, v->events[i], start);
	}
}

void render_exposition(struct strbuf *out, enum expo_format format,
		       const struct render_input *in)
{
	struct expo e;
	const uint32_t *order = series_order(in->series);

	expo_init(&e, out, format);
	e.created = in->created;
	e.sink = in->sink;
	flow_families(&e, in->series, order);
	series_health(&e, in->series, in->start_time);
	render_table(&e, in);
	render_ifaces(&e, in->series);
	if (in->ifaces)
		render_attached(&e, in->ifaces, in->start_time);
	read_health(&e, in->snap, in->start_time);
	build_info(&e);
	if (in->hub)
		render_events(&e, in->hub, in->snap->losses[TCFLOW_LOSS_EVENT_RESERVE],
			      in->start_time);
	expo_family(&e, "tcflow_scrape_duration_seconds", EXPO_GAUGE,
		    "Seconds this scrape spent reading the kernel's maps.");
	expo_gauge(&e, NULL, 0, in->read_seconds);
	if (in->proc)
		render_process(&e, in->proc);
	if (in->extra)
		in->extra(in->extra_cls, &e);
	expo_finish(&e);
}
