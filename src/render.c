#include "render.h"

#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "ifnames.h"
#include "labels.h"

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

static int cmp_flow(const void *a, const void *b)
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
	return x->dst_port - y->dst_port;
}

void render_sort_flows(struct snapshot *snap)
{
	if (snap->n_flows > 1)
		qsort(snap->flows, snap->n_flows, sizeof(*snap->flows), cmp_flow);
}

static void flow_labels(struct strbuf *out, const struct flow_key *k)
{
	char ifname[IF_NAMESIZE], proto[PROTO_NAME_MAX];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char sport[8], dport[8];

	snprintf(sport, sizeof(sport), "%u", k->src_port);
	snprintf(dport, sizeof(dport), "%u", k->dst_port);
	strbuf_putc(out, '{');
	put_label(out, "interface", ifnames_get(k->ifindex, ifname), 1);
	put_label(out, "direction", direction_name(k->direction), 0);
	put_label(out, "protocol", proto_name(k->protocol, proto), 0);
	put_label(out, "src_ip", addr_text(k->family, k->src_addr, src, sizeof(src)), 0);
	put_label(out, "dst_ip", addr_text(k->family, k->dst_addr, dst, sizeof(dst)), 0);
	put_label(out, "src_port", sport, 0);
	put_label(out, "dst_port", dport, 0);
	strbuf_putc(out, '}');
}

static void render_flows(struct strbuf *out, const struct snapshot *s)
{
	family_header(out, "tcflow_flow_bytes_total", "counter",
		      "Bytes of the frames of each flow, L2 header included.");
	for (size_t i = 0; i < s->n_flows; i++) {
		strbuf_puts(out, "tcflow_flow_bytes_total");
		flow_labels(out, &s->flows[i].key);
		put_value(out, s->flows[i].val.bytes);
	}
	family_header(out, "tcflow_flow_packets_total", "counter",
		      "Packets of each flow; a GSO packet counts as its segments.");
	for (size_t i = 0; i < s->n_flows; i++) {
		strbuf_puts(out, "tcflow_flow_packets_total");
		flow_labels(out, &s->flows[i].key);
		put_value(out, s->flows[i].val.packets);
	}
	family_header(out, "tcflow_flows", "gauge", "Entries in the kernel's flow table.");
	strbuf_puts(out, "tcflow_flows");
	put_value(out, s->n_flows);
}

static void render_table_size(struct strbuf *out, uint64_t max_entries)
{
	family_header(out, "tcflow_flow_table_max_entries", "gauge",
		      "Size of the flow table (--flow.max-entries): when full, the least recently used flow is evicted.");
	strbuf_puts(out, "tcflow_flow_table_max_entries");
	put_value(out, max_entries);
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

	render_sort_flows(s);
	render_flows(out, s);
	render_table_size(out, in->flow_max_entries);
	render_ifaces(out, s);
	render_health(out, s);
	if (in->hub)
		hub_render(in->hub, out, s->losses[TCFLOW_LOSS_EVENT_RESERVE]);
	family_header(out, "tcflow_scrape_duration_seconds", "gauge",
		      "Seconds this scrape spent reading the kernel's maps.");
	strbuf_printf(out, "tcflow_scrape_duration_seconds %.9f\n", in->read_seconds);
	if (in->proc)
		process_stats_render(out, in->proc);
}
