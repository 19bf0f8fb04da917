/* The exposition of a hand-made snapshot, compared with the exact text a
 * scrape must return: family order, HELP and TYPE, label order, escaping,
 * sorting, and the families that stay when a map read fails. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "ifnames.h"
#include "render.h"
#include "scrape.h"

static struct snapshot snap;
static struct strbuf out;

static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	strbuf_reset(&out);
	ifnames_clear();
	ifnames_register(7, "veth\"0\\x");
	snap.flows_ok = snap.ifaces_ok = snap.losses_ok = 1;
}

static void teardown(void)
{
	snapshot_free(&snap);
	strbuf_free(&out);
}

static void add_flow(uint32_t ifindex, uint8_t dir, uint8_t fam, uint8_t proto,
		     const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		     uint64_t packets, uint64_t bytes)
{
	struct flow_entry *e;

	snap.flows = realloc(snap.flows, (snap.n_flows + 1) * sizeof(*e));
	e = &snap.flows[snap.n_flows++];
	memset(e, 0, sizeof(*e));
	e->key = (struct flow_key){ .ifindex = ifindex, .direction = dir, .family = fam,
				    .protocol = proto, .src_port = sport, .dst_port = dport };
	memcpy(e->key.src_addr, src, fam == TCFLOW_FAM_IPV6 ? 16 : 4);
	memcpy(e->key.dst_addr, dst, fam == TCFLOW_FAM_IPV6 ? 16 : 4);
	e->val.packets = packets;
	e->val.bytes = bytes;
}

static void add_iface(uint32_t ifindex, uint8_t dir, uint64_t base)
{
	struct iface_entry *e;

	snap.ifaces = realloc(snap.ifaces, (snap.n_ifaces + 1) * sizeof(*e));
	e = &snap.ifaces[snap.n_ifaces++];
	memset(e, 0, sizeof(*e));
	e->key.ifindex = ifindex;
	e->key.direction = dir;
	for (int f = 0; f < TCFLOW_FAM_MAX; f++) {
		e->val.packets[f] = base + f;
		e->val.bytes[f] = (base + f) * 100;
	}
	e->val.malformed = base;
}

static const char *render(void)
{
	struct render_input in = { .snap = &snap, .proc = NULL, .read_seconds = 0.25,
				   .flow_max_entries = 1024 };

	render_exposition(&out, &in);
	return out.data;
}

static char *expected_tail(const char *success)
{
	char *s;

	ck_assert_int_ge(asprintf(&s,
		"# HELP tcflow_map_update_failures_total Packets the kernel could not add to a map (its count is lost), by map.\n"
		"# TYPE tcflow_map_update_failures_total counter\n"
		"tcflow_map_update_failures_total{map=\"flows\"} 3\n"
		"tcflow_map_update_failures_total{map=\"interfaces\"} 0\n"
		"# HELP tcflow_scrape_success Whether reading a map succeeded in this scrape (1) or failed (0).\n"
		"# TYPE tcflow_scrape_success gauge\n"
		"%s"
		"# HELP tcflow_build_info A metric with a constant '1' value labeled by the versions tcflow_exporter was built with.\n"
		"# TYPE tcflow_build_info gauge\n"
		"tcflow_build_info{version=\"%s\",libbpf=\"%s\"} 1\n"
		"# HELP tcflow_scrape_duration_seconds Seconds this scrape spent reading the kernel's maps.\n"
		"# TYPE tcflow_scrape_duration_seconds gauge\n"
		"tcflow_scrape_duration_seconds 0.250000000\n",
		success, PACKAGE_VERSION, libbpf_version_string() + 1), 0);
	return s;
}

static const uint8_t v4a[4] = { 198, 18, 0, 1 }, v4b[4] = { 198, 18, 0, 2 };
static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

START_TEST(full_exposition)
{
	char *tail, *want;

	/* Added out of order: the output is sorted by key. */
	add_flow(7, TCFLOW_DIR_EGRESS, TCFLOW_FAM_IPV6, 58, v6a, v6b, 0, 0, 1, 118);
	add_flow(7, TCFLOW_DIR_INGRESS, TCFLOW_FAM_IPV4, 17, v4a, v4b, 40000, 53, 3, 426);
	add_flow(7, TCFLOW_DIR_INGRESS, TCFLOW_FAM_IPV4, 6, v4b, v4a, 443, 50000, 18446744073709551615ULL, 1);
	add_iface(7, TCFLOW_DIR_EGRESS, 10);
	add_iface(7, TCFLOW_DIR_INGRESS, 1);
	snap.losses[TCFLOW_LOSS_FLOW_UPDATE] = 3;
	snap.losses[TCFLOW_STAT_FLOW_INSERTS] = 5;	/* 3 present: 2 evicted */
	tail = expected_tail("tcflow_scrape_success{map=\"flows\"} 1\n"
			     "tcflow_scrape_success{map=\"interfaces\"} 1\n"
			     "tcflow_scrape_success{map=\"losses\"} 1\n");
	ck_assert_int_ge(asprintf(&want,
#define IF "interface=\"veth\\\"0\\\\x\""
		"# HELP tcflow_flow_bytes_total Bytes of the frames of each flow, L2 header included.\n"
		"# TYPE tcflow_flow_bytes_total counter\n"
		"tcflow_flow_bytes_total{" IF ",direction=\"ingress\",protocol=\"tcp\",src_ip=\"198.18.0.2\",dst_ip=\"198.18.0.1\",src_port=\"443\",dst_port=\"50000\"} 1\n"
		"tcflow_flow_bytes_total{" IF ",direction=\"ingress\",protocol=\"udp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"40000\",dst_port=\"53\"} 426\n"
		"tcflow_flow_bytes_total{" IF ",direction=\"egress\",protocol=\"icmpv6\",src_ip=\"2001:db8::1\",dst_ip=\"2001:db8::2\",src_port=\"0\",dst_port=\"0\"} 118\n"
		"# HELP tcflow_flow_packets_total Packets of each flow; a GSO packet counts as its segments.\n"
		"# TYPE tcflow_flow_packets_total counter\n"
		"tcflow_flow_packets_total{" IF ",direction=\"ingress\",protocol=\"tcp\",src_ip=\"198.18.0.2\",dst_ip=\"198.18.0.1\",src_port=\"443\",dst_port=\"50000\"} 18446744073709551615\n"
		"tcflow_flow_packets_total{" IF ",direction=\"ingress\",protocol=\"udp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"40000\",dst_port=\"53\"} 3\n"
		"tcflow_flow_packets_total{" IF ",direction=\"egress\",protocol=\"icmpv6\",src_ip=\"2001:db8::1\",dst_ip=\"2001:db8::2\",src_port=\"0\",dst_port=\"0\"} 1\n"
		"# HELP tcflow_flows Entries in the kernel's flow table.\n"
		"# TYPE tcflow_flows gauge\n"
		"tcflow_flows 3\n"
		"# HELP tcflow_flow_table_max_entries Size of the flow table (--flow.max-entries): when full, the least recently used flow is evicted.\n"
		"# TYPE tcflow_flow_table_max_entries gauge\n"
		"tcflow_flow_table_max_entries 1024\n"
		"# HELP tcflow_flow_inserts_total Flows the kernel added to the flow table.\n"
		"# TYPE tcflow_flow_inserts_total counter\n"
		"tcflow_flow_inserts_total 5\n"
		"# HELP tcflow_flows_expired_total Flows deleted after --flow.idle-timeout without packets.\n"
		"# TYPE tcflow_flows_expired_total counter\n"
		"tcflow_flows_expired_total 0\n"
		"# HELP tcflow_flow_evictions_estimated_total Flows the full table evicted (inserted, minus present, minus expired); an evicted flow that returns restarts from zero.\n"
		"# TYPE tcflow_flow_evictions_estimated_total counter\n"
		"tcflow_flow_evictions_estimated_total 2\n"
		"# HELP tcflow_interface_bytes_total Bytes of all frames per interface, direction and family (ipv4, ipv6, other); never evicted.\n"
		"# TYPE tcflow_interface_bytes_total counter\n"
		"tcflow_interface_bytes_total{" IF ",direction=\"ingress\",family=\"ipv4\"} 100\n"
		"tcflow_interface_bytes_total{" IF ",direction=\"ingress\",family=\"ipv6\"} 200\n"
		"tcflow_interface_bytes_total{" IF ",direction=\"ingress\",family=\"other\"} 300\n"
		"tcflow_interface_bytes_total{" IF ",direction=\"egress\",family=\"ipv4\"} 1000\n"
		"tcflow_interface_bytes_total{" IF ",direction=\"egress\",family=\"ipv6\"} 1100\n"
		"tcflow_interface_bytes_total{" IF ",direction=\"egress\",family=\"other\"} 1200\n"
		"# HELP tcflow_interface_packets_total Packets per interface, direction and family (ipv4, ipv6, other); never evicted.\n"
		"# TYPE tcflow_interface_packets_total counter\n"
		"tcflow_interface_packets_total{" IF ",direction=\"ingress\",family=\"ipv4\"} 1\n"
		"tcflow_interface_packets_total{" IF ",direction=\"ingress\",family=\"ipv6\"} 2\n"
		"tcflow_interface_packets_total{" IF ",direction=\"ingress\",family=\"other\"} 3\n"
		"tcflow_interface_packets_total{" IF ",direction=\"egress\",family=\"ipv4\"} 10\n"
		"tcflow_interface_packets_total{" IF ",direction=\"egress\",family=\"ipv6\"} 11\n"
		"tcflow_interface_packets_total{" IF ",direction=\"egress\",family=\"other\"} 12\n"
		"# HELP tcflow_interface_malformed_packets_total IPv4 and IPv6 packets too broken to be counted as a flow.\n"
		"# TYPE tcflow_interface_malformed_packets_total counter\n"
		"tcflow_interface_malformed_packets_total{" IF ",direction=\"ingress\"} 1\n"
		"tcflow_interface_malformed_packets_total{" IF ",direction=\"egress\"} 10\n"
		"%s", tail), 0);
#undef IF
	ck_assert_str_eq(render(), want);
	free(tail);
	free(want);
}
END_TEST

START_TEST(failed_map_keeps_the_rest)
{
	char *tail = expected_tail("tcflow_scrape_success{map=\"flows\"} 0\n"
				   "tcflow_scrape_success{map=\"interfaces\"} 1\n"
				   "tcflow_scrape_success{map=\"losses\"} 1\n");
	const char *text;

	snap.flows_ok = 0;
	snap.losses[TCFLOW_LOSS_FLOW_UPDATE] = 3;
	add_iface(0, TCFLOW_DIR_INGRESS, 0);
	text = render();
	ck_assert_ptr_nonnull(strstr(text, "tcflow_flows 0\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"tcflow_interface_packets_total{interface=\"pcap\",direction=\"ingress\",family=\"other\"} 2\n"));
	ck_assert_str_eq(text + strlen(text) - strlen(tail), tail);
	free(tail);
}
END_TEST

START_TEST(gzip_round_trip_header)
{
	struct strbuf in = { 0 }, gz = { 0 };

	strbuf_puts(&in, "tcflow_flows 0\n");
	ck_assert_int_eq(gzip_compress(&in, &gz), 0);
	ck_assert_uint_gt(gz.len, 18);
	ck_assert_int_eq((unsigned char)gz.data[0], 0x1f);
	ck_assert_int_eq((unsigned char)gz.data[1], 0x8b);
	strbuf_free(&in);
	strbuf_free(&gz);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("exposition");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, full_exposition);
	tcase_add_test(tc, failed_map_keeps_the_rest);
	tcase_add_test(tc, gzip_round_trip_header);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(render_suite());
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);	/* long strings: no IPC limit */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
