#include "render.h"

#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "ifnames.h"
#include "labels.h"
#include "aggregate.h"
#include "flow_expiry.h"
#include "iface_follow.h"

static const char *const flow_label_names[7] = {
	"interface", "direction", "protocol", "src_ip", "dst_ip", "src_port", "dst_port",
};

static void family_header(struct strbuf *out, const char *name, const char *type,
			  const char *help)
{
	strbuf_printf(out, "# HELP %s ", name);
	help_escape(out, help);
	strbuf_printf(out, "\n# TYPE %s %s\n", name, type);
}

static void put_label(struct strbuf *out, const char *name, const char *value, int first)
{
	if (!first)
		strbuf_putc(out, ',');
	strbuf_puts(out, name);
	strbuf_append(out, "=\"", 2);
	label_escape(out, value);
	strbuf_putc(out, '"');
}

static void put_value(struct strbuf *out, unsigned long long v)
{
	strbuf_putc(out, ' ');
	strbuf_put_u64(out, v);
	strbuf_putc(out, '\n');
}

int render_cmp_flow(const void *a, const void *b)
{
	const struct flow_key *x = &((const struct flow_entry *)a)->key;
	const struct flow_key *y = &((const struct flow_entry *)b)->key;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->direction != y->direction)
		return x->direction - y->direction;
	if (x->family != y->family)
		return x->family - y->family;
	if (x->protocol != y->protocol)
		return x->protocol - y->protocol;
	int c = memcmp(x->src_addr, y->src_addr, 16);
	if (c)
		return c;
	c = memcmp(x->dst_addr, y->dst_addr, 16);
	if (c)
		return c;
	if (x->src_port != y->src_port)
		return x->src_port - y->src_port;
	if (x->dst_port != y->dst_port)
		return x->dst_port - y->dst_port;
	return x->pad - y->pad;
}

void render_sort_flows(struct snapshot *snap)
{
	if (snap->n_flows > 1)
		qsort(snap->flows, snap->n_flows, sizeof(*snap->flows), render_cmp_flow);
}

static void u16_text(unsigned int v, char out[8])
{
	char tmp[8];
	int i = 0, n = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		out[n++] = tmp[--i];
	out[n] = '\0';
}

/* An address label: CIDR form when --flow.ipv*-prefix aggregates. */
static const char *addr_label(const struct flow_key *k, const __u8 *addr,
			      const struct label_set *ls, char *out, size_t len)
{
	unsigned int prefix = k->family == TCFLOW_FAM_IPV6 ? ls->ipv6_prefix : ls->ipv4_prefix;
	unsigned int full = k->family == TCFLOW_FAM_IPV6 ? 128 : 32;
	size_t n;

	addr_text(k->family, addr, out, len);
	n = strlen(out);
	if (prefix < full)
		snprintf(out + n, len - n, "/%u", prefix);
	return out;
}

/* The labels of one series: those the label set keeps, less a port the
 * services preset dropped for this flow (key.pad). other: all "other". */
static void flow_labels(struct strbuf *out, const struct flow_key *k,
			const struct label_set *ls, int other)
{
	char ifname[IF_NAMESIZE], proto[PROTO_NAME_MAX];
	char src[INET6_ADDRSTRLEN + 4], dst[INET6_ADDRSTRLEN + 4];
	char sport[8], dport[8];
	unsigned int mask = ls->mask & ~(unsigned int)k->pad;
	const char *v[7];
	int first = 1;

	u16_text(k->src_port, sport);
	u16_text(k->dst_port, dport);
	v[0] = ifnames_get(k->ifindex, ifname);
	v[1] = direction_name(k->direction);
	v[2] = proto_name(k->protocol, proto);
	v[3] = addr_label(k, k->src_addr, ls, src, sizeof(src));
	v[4] = addr_label(k, k->dst_addr, ls, dst, sizeof(dst));
	v[5] = sport;
	v[6] = dport;
	strbuf_putc(out, '{');
	for (int i = 0; i < 7; i++) {
		if (!(mask & (1u << i)))
			continue;
		put_label(out, flow_label_names[i], other ? "other" : v[i], first);
		first = 0;
	}
	strbuf_putc(out, '}');
}

static void counter(struct strbuf *out, const char *name, const char *help, uint64_t v)
{
	family_header(out, name, "counter", help);
	strbuf_puts(out, name);
	put_value(out, v);
}

/* Every flow the kernel inserted is still there, expired by us, or was
 * evicted by the LRU: so evictions = inserts - entries - expired. */
static void render_table(struct strbuf *out, const struct render_input *in, size_t entries)
{
	uint64_t inserts = in->snap->losses[TCFLOW_STAT_FLOW_INSERTS];
	uint64_t expired = in->expiry ? flow_expiry_count(in->expiry) : 0;
	uint64_t gone = inserts > entries + expired ? inserts - entries - expired : 0;
	uint64_t evicted = gone;

	/* A partial read would make a flow look evicted, and the estimate is
	 * kept monotonic: only a whole read may raise it. */
	if (in->evictions) {
		if (*in->evictions > evicted || !in->snap->flows_ok || !in->snap->losses_ok)
			evicted = *in->evictions;
		*in->evictions = evicted;
	}
	family_header(out, "tcflow_flow_table_max_entries", "gauge",
		      "Size of the flow table (--flow.max-entries): when full, the least recently used flow is evicted.");
	strbuf_puts(out, "tcflow_flow_table_max_entries");
	put_value(out, in->flow_max_entries);
	counter(out, "tcflow_flow_inserts_total", "Flows the kernel added to the flow table.", inserts);
	counter(out, "tcflow_flows_expired_total",
		"Flows deleted after --flow.idle-timeout without packets.", expired);
	counter(out, "tcflow_flow_evictions_estimated_total",
		"Flows the full table evicted (inserted, minus present, minus expired); an evicted flow that returns restarts from zero.",
		evicted);
}

static void render_flow_family(struct strbuf *out, const struct snapshot *s,
			       const struct label_set *ls, const struct flow_value *other,
			       int bytes)
{
	const char *name = bytes ? "tcflow_flow_bytes_total" : "tcflow_flow_packets_total";

	family_header(out, name, "counter", bytes ?
		      "Bytes of the frames of each flow, L2 header included." :
		      "Packets of each flow; a GSO packet counts as its segments.");
	for (size_t i = 0; i < s->n_flows; i++) {
		strbuf_puts(out, name);
		flow_labels(out, &s->flows[i].key, ls, 0);
		put_value(out, bytes ? s->flows[i].val.bytes : s->flows[i].val.packets);
	}
	if (other) {
		struct flow_key none = { 0 };

		strbuf_puts(out, name);
		flow_labels(out, &none, ls, 1);
		put_value(out, bytes ? other->bytes : other->packets);
	}
}

static void render_flows(struct strbuf *out, const struct render_input *in,
			 const struct label_set *ls)
{
	struct snapshot *s = in->snap;
	size_t entries = s->n_flows;
	struct flow_value other;
	int folded = aggregate_flows(s, ls, &other);

	render_flow_family(out, s, ls, folded ? &other : NULL, 1);
	render_flow_family(out, s, ls, folded ? &other : NULL, 0);
	family_header(out, "tcflow_flows", "gauge", "Entries in the kernel's flow table.");
	strbuf_puts(out, "tcflow_flows");
	put_value(out, entries);
	render_table(out, in, entries);
}

static void iface_labels(struct strbuf *out, const struct iface_key *k, int family)
{
	char ifname[IF_NAMESIZE];

	strbuf_putc(out, '{');
	put_label(out, "interface", ifnames_get(k->ifindex, ifname), 1);
	put_label(out, "direction", direction_name(k->direction), 0);
	if (family >= 0)
		put_label(out, "family", family_name((unsigned)family), 0);
	strbuf_putc(out, '}');
}

static int cmp_iface(const void *a, const void *b)
{
	const struct iface_key *x = &((const struct iface_entry *)a)->key;
	const struct iface_key *y = &((const struct iface_entry *)b)->key;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return x->direction - y->direction;
}

static void render_iface_family(struct strbuf *out, const struct snapshot *s,
				const char *name, int bytes)
{
	for (size_t i = 0; i < s->n_ifaces; i++)
		for (int f = 0; f < TCFLOW_FAM_MAX; f++) {
			const struct iface_value *v = &s->ifaces[i].val;

			strbuf_puts(out, name);
			iface_labels(out, &s->ifaces[i].key, f);
			put_value(out, bytes ? v->bytes[f] : v->packets[f]);
		}
}

static void render_ifaces(struct strbuf *out, struct snapshot *s)
{
	if (s->n_ifaces > 1)
		qsort(s->ifaces, s->n_ifaces, sizeof(*s->ifaces), cmp_iface);
	family_header(out, "tcflow_interface_bytes_total", "counter",
		      "Bytes of all frames per interface, direction and family (ipv4, ipv6, other); never evicted.");
	render_iface_family(out, s, "tcflow_interface_bytes_total", 1);
	family_header(out, "tcflow_interface_packets_total", "counter",
		      "Packets per interface, direction and family (ipv4, ipv6, other); never evicted.");
	render_iface_family(out, s, "tcflow_interface_packets_total", 0);
	family_header(out, "tcflow_interface_malformed_packets_total", "counter",
		      "IPv4 and IPv6 packets too broken to be counted as a flow.");
	for (size_t i = 0; i < s->n_ifaces; i++) {
		strbuf_puts(out, "tcflow_interface_malformed_packets_total");
		iface_labels(out, &s->ifaces[i].key, -1);
		put_value(out, s->ifaces[i].val.malformed);
	}
}

static void render_health(struct strbuf *out, const struct snapshot *s)
{
	static const char *const loss_maps[] = { "flows", "interfaces" };

	family_header(out, "tcflow_map_update_failures_total", "counter",
		      "Packets the kernel could not add to a map (its count is lost), by map.");
	for (int i = 0; i <= TCFLOW_LOSS_IFACE_UPDATE; i++) {
		strbuf_printf(out, "tcflow_map_update_failures_total{map=\"%s\"}", loss_maps[i]);
		put_value(out, s->losses[i]);
	}
	family_header(out, "tcflow_scrape_success", "gauge",
		      "Whether reading a map succeeded in this scrape (1) or failed (0).");
	strbuf_printf(out, "tcflow_scrape_success{map=\"flows\"} %d\n", s->flows_ok);
	strbuf_printf(out, "tcflow_scrape_success{map=\"interfaces\"} %d\n", s->ifaces_ok);
	strbuf_printf(out, "tcflow_scrape_success{map=\"losses\"} %d\n", s->losses_ok);
	family_header(out, "tcflow_build_info", "gauge",
		      "A metric with a constant '1' value labeled by the versions tcflow_exporter was built with.");
	strbuf_printf(out, "tcflow_build_info{version=\"%s\",libbpf=\"%s\"} 1\n",
		      PACKAGE_VERSION, libbpf_version_string() + 1);
}

void render_exposition(struct strbuf *out, const struct render_input *in)
{
	struct snapshot *s = in->snap;

	struct label_set full;

	if (!in->labels)
		label_set_default(&full);
	render_flows(out, in, in->labels ? in->labels : &full);
	render_ifaces(out, s);
	if (in->follow)
		iface_follow_render(out, in->follow);
	render_health(out, s);
	if (in->hub)
		hub_render(in->hub, out, s->losses[TCFLOW_LOSS_EVENT_RESERVE]);
	family_header(out, "tcflow_scrape_duration_seconds", "gauge",
		      "Seconds this scrape spent reading the kernel's maps.");
	strbuf_printf(out, "tcflow_scrape_duration_seconds %.9f\n", in->read_seconds);
	if (in->proc)
		process_stats_render(out, in->proc);
}
