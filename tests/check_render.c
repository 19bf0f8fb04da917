// SPDX-License-Identifier: BSD-2-Clause
/* The exposition of a hand-made read, compared with the exact text a
 * scrape must return, in both formats: family order, HELP and TYPE, label
 * order and escaping, the fold series, _created and # EOF in OpenMetrics,
 * and the families that stay when a map read fails. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "expo.h"
#include "ifnames.h"
#include "render.h"
#include "scrape.h"

static struct snapshot snap;
static struct label_set ls;
static struct series_store st;
static struct strbuf out;
static struct hub_stats hub;

#define CREATED 1700000000.0
#define START 1690000000.0

static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	memset(&hub, 0, sizeof(hub));
	strbuf_reset(&out);
	ifnames_clear();
	ifnames_register(7, "veth\"0\\x");
	snap.flows_ok = snap.ifaces_ok = snap.losses_ok = 1;
	label_set_default(&ls);
	series_init(&st, &ls);
}

static void teardown(void)
{
	series_free(&st);
	snapshot_free(&snap);
	strbuf_free(&out);
}

static void add_flow(uint8_t dir, uint8_t fam, uint8_t proto, uint16_t sport, uint16_t dport,
		     uint64_t packets)
{
	struct flow_entry *e;

	snap.flows = realloc(snap.flows, (snap.n_flows + 1) * sizeof(*e));
	e = &snap.flows[snap.n_flows++];
	memset(e, 0, sizeof(*e));
	e->key = (struct flow_key){ .ifindex = 7, .direction = dir, .family = fam,
				    .protocol = proto, .src_port = sport, .dst_port = dport };
	if (fam == TCFLOW_FAM_IPV6) {
		memcpy(e->key.src_addr, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 16);
		memcpy(e->key.dst_addr, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }, 16);
	} else {
		memcpy(e->key.src_addr, (uint8_t[4]){ 198, 18, 0, 1 }, 4);
		memcpy(e->key.dst_addr, (uint8_t[4]){ 198, 18, 0, 2 }, 4);
	}
	e->val.packets = packets;
	e->val.bytes = packets * 100;
}

/* Totals: ipv4 and ipv6 as given, 2 "other" packets, 1 malformed. */
static void add_iface(uint8_t dir, uint64_t v4, uint64_t v6)
{
	struct iface_entry *e;

	snap.ifaces = realloc(snap.ifaces, (snap.n_ifaces + 1) * sizeof(*e));
	e = &snap.ifaces[snap.n_ifaces++];
	memset(e, 0, sizeof(*e));
	e->key.ifindex = 7;
	e->key.direction = dir;
	e->val.packets[TCFLOW_FAM_IPV4] = v4;
	e->val.packets[TCFLOW_FAM_IPV6] = v6;
	e->val.packets[TCFLOW_FAM_OTHER] = 2;
	for (int f = 0; f < TCFLOW_FAM_MAX; f++)
		e->val.bytes[f] = e->val.packets[f] * 100;
	e->val.malformed = 1;
}

/* As --web.openmetrics-created asks, unless a test says otherwise. */
static int created = 1;

static const char *render(enum expo_format format, int with_hub)
{
	struct render_input in = { .series = &st, .snap = &snap, .read_seconds = 0.25,
				   .flow_max_entries = 1024, .expired = 2, .evictions = 3,
				   .start_time = START, .hub = with_hub ? &hub : NULL,
				   .created = created };

	strbuf_reset(&out);
	render_exposition(&out, format, &in);
	return out.data;
}

/* A read on a fresh interface: series born whole; one malformed IPv4
 * packet in the totals that no flow holds lands in the fold. */
static void one_read(void)
{
	add_flow(TCFLOW_DIR_INGRESS, TCFLOW_FAM_IPV4, 6, 40000, 443, 3);
	add_flow(TCFLOW_DIR_INGRESS, TCFLOW_FAM_IPV4, 6, 40001, 443, 4);
	add_flow(TCFLOW_DIR_EGRESS, TCFLOW_FAM_IPV6, 17, 53, 53, 5);
	add_iface(TCFLOW_DIR_INGRESS, 8, 0);
	add_iface(TCFLOW_DIR_EGRESS, 0, 5);
	snap.losses[TCFLOW_LOSS_FLOW_UPDATE] = 9;
	snap.losses[TCFLOW_STAT_FLOW_INSERTS] = 12;
	ck_assert_int_eq(series_update(&st, &snap, 5000000000ULL, CREATED), 0);
}

#define IF "interface=\"veth\\\"0\\\\x\""
#define IN IF ",direction=\"ingress\""
#define EG IF ",direction=\"egress\""
#define FOLD ",protocol=\"other\",src_ip=\"other\",dst_ip=\"other\",service_port=\"other\""
#define V4 ",protocol=\"tcp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",service_port=\"443\""
#define V6 ",protocol=\"udp\",src_ip=\"2001:db8::1\",dst_ip=\"2001:db8::2\",service_port=\"53\""

static const char flows_text[] =
	"# HELP tcflow_flow_bytes_total Bytes of the frames of each series of flows, L2 header included; the series with every other label \"other\" holds the rest of its interface and direction.\n"
	"# TYPE tcflow_flow_bytes_total counter\n"
	"tcflow_flow_bytes_total{" IN V4 "} 700\n"
	"tcflow_flow_bytes_total{" IN FOLD "} 100\n"
	"tcflow_flow_bytes_total{" EG V6 "} 500\n"
	"tcflow_flow_bytes_total{" EG FOLD "} 0\n"
	"# HELP tcflow_flow_packets_total Packets of each series of flows (a GSO packet counts as its segments); the series with every other label \"other\" holds the rest of its interface and direction.\n"
	"# TYPE tcflow_flow_packets_total counter\n"
	"tcflow_flow_packets_total{" IN V4 "} 7\n"
	"tcflow_flow_packets_total{" IN FOLD "} 1\n"
	"tcflow_flow_packets_total{" EG V6 "} 5\n"
	"tcflow_flow_packets_total{" EG FOLD "} 0\n"
	"# HELP tcflow_flow_series Flow series on /metrics now, fold series not included.\n"
	"# TYPE tcflow_flow_series gauge\n"
	"tcflow_flow_series 2\n"
	"# HELP tcflow_flow_series_limit Flow series at most (--flow.max-series; 0: no limit); flows without a seat count in their interface's fold series.\n"
	"# TYPE tcflow_flow_series_limit gauge\n"
	"tcflow_flow_series_limit 1000\n"
	"# HELP tcflow_flow_series_started_total Flow series that started (at zero).\n"
	"# TYPE tcflow_flow_series_started_total counter\n"
	"tcflow_flow_series_started_total 2\n"
	"# HELP tcflow_flow_series_removed_total Flow series that left after --flow.series-retention without growth.\n"
	"# TYPE tcflow_flow_series_removed_total counter\n"
	"tcflow_flow_series_removed_total 0\n"
	"# HELP tcflow_flow_series_refused_total Times a flow found no free series under --flow.max-series; its counts went to the fold series.\n"
	"# TYPE tcflow_flow_series_refused_total counter\n"
	"tcflow_flow_series_refused_total 0\n"
	"# HELP tcflow_flows Entries in the kernel's flow table.\n"
	"# TYPE tcflow_flows gauge\n"
	"tcflow_flows 3\n"
	"# HELP tcflow_flow_table_max_entries Size of the flow table (--flow.max-entries): when full, the least recently used flow is evicted.\n"
	"# TYPE tcflow_flow_table_max_entries gauge\n"
	"tcflow_flow_table_max_entries 1024\n"
	"# HELP tcflow_flow_inserts_total Flows the kernel added to the flow table.\n"
	"# TYPE tcflow_flow_inserts_total counter\n"
	"tcflow_flow_inserts_total 12\n"
	"# HELP tcflow_flows_expired_total Flows deleted after --flow.idle-timeout without packets.\n"
	"# TYPE tcflow_flows_expired_total counter\n"
	"tcflow_flows_expired_total 2\n"
	"# HELP tcflow_flow_evictions_estimated_total Flows the full table evicted (inserted, minus present, minus expired); what they held since their last read is in tcflow_flow_unaccounted_*.\n"
	"# TYPE tcflow_flow_evictions_estimated_total counter\n"
	"tcflow_flow_evictions_estimated_total 3\n";

static const char ifaces_text[] =
	"# HELP tcflow_interface_bytes_total Bytes of all frames per interface, direction and family (ipv4, ipv6, other); never evicted.\n"
	"# TYPE tcflow_interface_bytes_total counter\n"
	"tcflow_interface_bytes_total{" IN ",family=\"ipv4\"} 800\n"
	"tcflow_interface_bytes_total{" IN ",family=\"ipv6\"} 0\n"
	"tcflow_interface_bytes_total{" IN ",family=\"other\"} 200\n"
	"tcflow_interface_bytes_total{" EG ",family=\"ipv4\"} 0\n"
	"tcflow_interface_bytes_total{" EG ",family=\"ipv6\"} 500\n"
	"tcflow_interface_bytes_total{" EG ",family=\"other\"} 200\n"
	"# HELP tcflow_interface_packets_total Packets per interface, direction and family (ipv4, ipv6, other); never evicted.\n"
	"# TYPE tcflow_interface_packets_total counter\n"
	"tcflow_interface_packets_total{" IN ",family=\"ipv4\"} 8\n"
	"tcflow_interface_packets_total{" IN ",family=\"ipv6\"} 0\n"
	"tcflow_interface_packets_total{" IN ",family=\"other\"} 2\n"
	"tcflow_interface_packets_total{" EG ",family=\"ipv4\"} 0\n"
	"tcflow_interface_packets_total{" EG ",family=\"ipv6\"} 5\n"
	"tcflow_interface_packets_total{" EG ",family=\"other\"} 2\n"
	"# HELP tcflow_interface_malformed_packets_total IPv4 and IPv6 packets too broken to be counted as a flow.\n"
	"# TYPE tcflow_interface_malformed_packets_total counter\n"
	"tcflow_interface_malformed_packets_total{" IN "} 1\n"
	"tcflow_interface_malformed_packets_total{" EG "} 1\n"
	"# HELP tcflow_flow_unaccounted_bytes_total IPv4 and IPv6 bytes of an interface that no read of a flow explains (a flow evicted before it was read, a malformed packet, a failed insert); part of the fold series.\n"
	"# TYPE tcflow_flow_unaccounted_bytes_total counter\n"
	"tcflow_flow_unaccounted_bytes_total{" IN "} 100\n"
	"tcflow_flow_unaccounted_bytes_total{" EG "} 0\n"
	"# HELP tcflow_flow_unaccounted_packets_total IPv4 and IPv6 packets of an interface that no read of a flow explains; part of the fold series.\n"
	"# TYPE tcflow_flow_unaccounted_packets_total counter\n"
	"tcflow_flow_unaccounted_packets_total{" IN "} 1\n"
	"tcflow_flow_unaccounted_packets_total{" EG "} 0\n";

static char *health_text(const char *success)
{
	char *s;

	ck_assert_int_ge(asprintf(&s,
		"# HELP tcflow_map_update_failures_total Packets the kernel could not add to a map (its count is lost), by map.\n"
		"# TYPE tcflow_map_update_failures_total counter\n"
		"tcflow_map_update_failures_total{map=\"flows\"} 9\n"
		"tcflow_map_update_failures_total{map=\"interfaces\"} 0\n"
		"# HELP tcflow_scrape_success Whether reading a map succeeded in this scrape (1) or failed (0).\n"
		"# TYPE tcflow_scrape_success gauge\n"
		"%s"
		"# HELP tcflow_build_info A metric with a constant '1' value labeled by the versions tcflow_exporter was built with.\n"
		"# TYPE tcflow_build_info gauge\n"
		"tcflow_build_info{version=\"%s\",libbpf=\"%s\"} 1\n"
		"# HELP tcflow_scrape_duration_seconds Seconds this scrape spent reading the kernel's maps.\n"
		"# TYPE tcflow_scrape_duration_seconds gauge\n"
		"tcflow_scrape_duration_seconds 0.25\n",
		success, PACKAGE_VERSION, libbpf_version_string() + 1), 0);
	return s;
}

#define ALL_OK "tcflow_scrape_success{map=\"flows\"} 1\n" \
	"tcflow_scrape_success{map=\"interfaces\"} 1\n" \
	"tcflow_scrape_success{map=\"losses\"} 1\n"

START_TEST(full_text_exposition)
{
	char *health = health_text(ALL_OK), *want;

	one_read();
	ck_assert_int_ge(asprintf(&want, "%s%s%s", flows_text, ifaces_text, health), 0);
	ck_assert_str_eq(render(EXPO_TEXT, 0), want);
	free(health);
	free(want);
}
END_TEST

/* OpenMetrics (--web.openmetrics-created): counter families named
 * without _total, every counter sample followed by its _created, # EOF
 * last; nothing else differs. */
START_TEST(openmetrics_exposition)
{
	const char *om;

	one_read();
	om = render(EXPO_OPENMETRICS, 0);
	ck_assert_ptr_nonnull(strstr(om,
		"# HELP tcflow_flow_bytes Bytes of the frames of each series of flows, L2 header included; the series with every other label \\\"other\\\" holds the rest of its interface and direction.\n"
		"# TYPE tcflow_flow_bytes counter\n"
		"tcflow_flow_bytes_total{" IN V4 "} 700\n"
		"tcflow_flow_bytes_created{" IN V4 "} 1700000000.000\n"
		"tcflow_flow_bytes_total{" IN FOLD "} 100\n"
		"tcflow_flow_bytes_created{" IN FOLD "} 1700000000.000\n"));
	ck_assert_ptr_nonnull(strstr(om,
		"# TYPE tcflow_flow_packets counter\n"
		"tcflow_flow_packets_total{" IN V4 "} 7\n"
		"tcflow_flow_packets_created{" IN V4 "} 1700000000.000\n"
		"tcflow_flow_packets_total{" IN FOLD "} 1\n"
		"tcflow_flow_packets_created{" IN FOLD "} 1700000000.000\n"));
	ck_assert_ptr_nonnull(strstr(om,
		"# TYPE tcflow_flow_series gauge\ntcflow_flow_series 2\n"));
	ck_assert_ptr_nonnull(strstr(om,
		"# TYPE tcflow_flow_inserts counter\n"
		"tcflow_flow_inserts_total 12\n"
		"tcflow_flow_inserts_created 1690000000.000\n"));
	ck_assert_ptr_nonnull(strstr(om,
		"tcflow_interface_packets_total{" EG ",family=\"ipv6\"} 5\n"
		"tcflow_interface_packets_created{" EG ",family=\"ipv6\"} 1700000000.000\n"));
	ck_assert_ptr_null(strstr(om, "# TYPE tcflow_flow_bytes_total"));
	ck_assert_ptr_null(strstr(om, "_total counter"));
	ck_assert_str_eq(om + strlen(om) - 6, "# EOF\n");
	ck_assert_ptr_null(strstr(render(EXPO_TEXT, 0), "_created"));
}
END_TEST

/* By default OpenMetrics has no _created line, which Prometheus would
 * store as a series of its own: the same text as with them, less those
 * lines. */
START_TEST(openmetrics_without_created)
{
	struct strbuf with = { 0 }, want = { 0 };
	const char *line, *end;

	one_read();
	strbuf_puts(&with, render(EXPO_OPENMETRICS, 1));
	for (line = with.data; *line; line = end + 1) {
		end = strchr(line, '\n');
		if (!strstr(line, "_created") || strstr(line, "_created") > end)
			strbuf_append(&want, line, (size_t)(end - line + 1));
	}
	ck_assert_uint_lt(want.len, with.len);
	created = 0;
	ck_assert_str_eq(render(EXPO_OPENMETRICS, 1), want.data);
	created = 1;
	strbuf_free(&with);
	strbuf_free(&want);
}
END_TEST

/* _created is written without printf, and must read as printf's "%.3f"
 * would: halves of a millisecond exact in binary round to even, the rest
 * to nearest. */
static void created_as_printf(double created)
{
	struct strbuf sb = { 0 };
	struct expo e;
	char want[64];
	const char *got;

	expo_init(&e, &sb, EXPO_OPENMETRICS);
	e.created = 1;
	expo_family(&e, "x", EXPO_COUNTER, "h");
	expo_counter(&e, "", 0, 1, created);
	snprintf(want, sizeof(want), "x_created %.3f\n", created);
	got = strstr(sb.data, "x_created ");
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	strbuf_free(&sb);
}

START_TEST(created_reads_as_printf_writes_it)
{
	static const double edges[] = { 0.0005, 0.0625, 0.1875, 0.9995, 1.0005, 2.5e-4,
					1700000000.0005, 1700000000.0625, 1700000000.9375,
					1764558123.4565, 4294967295.999, 0.001 };

	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		created_as_printf(edges[i]);
	srand48(11);
	for (int i = 0; i < 200000; i++)	/* unix times to 2106, and halves */
		created_as_printf(i % 2 ? drand48() * 4.3e9 : (double)(lrand48() % 8000000) / 2000.0 + 1.7e9);
}
END_TEST

START_TEST(failed_map_keeps_the_rest)
{
	char *health = health_text("tcflow_scrape_success{map=\"flows\"} 0\n"
				   "tcflow_scrape_success{map=\"interfaces\"} 1\n"
				   "tcflow_scrape_success{map=\"losses\"} 1\n");
	const char *text;

	one_read();
	snap.flows_ok = 0;
	snap.n_flows = 0;
	ck_assert_int_eq(series_update(&st, &snap, 6000000000ULL, CREATED + 1), 0);
	text = render(EXPO_TEXT, 0);
	/* The series keep what they showed: nothing is lost for a failed read. */
	ck_assert_ptr_nonnull(strstr(text, "tcflow_flow_packets_total{" IN V4 "} 7\n"));
	ck_assert_ptr_nonnull(strstr(text, "tcflow_flows 0\n"));
	ck_assert_str_eq(text + strlen(text) - strlen(health), health);
	free(health);
}
END_TEST

START_TEST(events_families)
{
	const char *text;

	hub.events_total = 3;
	hub.n_hist = 1;
	hub.hist[0] = (struct size_histogram){ .ifindex = 7, .direction = 1, .count = 3,
					       .sum = 3064, .buckets = { [0] = 1, [5] = 2 } };
	text = render(EXPO_TEXT, 1);
#define L "{" EG
	ck_assert_ptr_nonnull(strstr(text,
		"# HELP tcflow_events_total Raw packet events read from the kernel's ring buffer.\n"
		"# TYPE tcflow_events_total counter\n"
		"tcflow_events_total 3\n"
		"# HELP tcflow_events_dropped_total Events lost: ring_full in the kernel, client_slow for a subscriber that fell behind, undecodable records.\n"
		"# TYPE tcflow_events_dropped_total counter\n"
		"tcflow_events_dropped_total{reason=\"ring_full\"} 0\n"
		"tcflow_events_dropped_total{reason=\"client_slow\"} 0\n"
		"tcflow_events_dropped_total{reason=\"undecodable\"} 0\n"
		"# HELP tcflow_event_subscribers Clients of /events and --events.stdout now reading events.\n"
		"# TYPE tcflow_event_subscribers gauge\n"
		"tcflow_event_subscribers 0\n"
		"# HELP tcflow_packet_size_bytes Sizes of the packets that raised events (a sample, see --events.sample).\n"
		"# TYPE tcflow_packet_size_bytes histogram\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"64\"} 1\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"128\"} 1\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"256\"} 1\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"512\"} 1\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"1024\"} 1\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"1518\"} 3\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"4096\"} 3\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"9216\"} 3\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"+Inf\"} 3\n"
		"tcflow_packet_size_bytes_sum" L "} 3064\n"
		"tcflow_packet_size_bytes_count" L "} 3\n"));
	text = render(EXPO_OPENMETRICS, 1);
	ck_assert_ptr_nonnull(strstr(text,
		"tcflow_packet_size_bytes_bucket" L ",le=\"9216.0\"} 3\n"
		"tcflow_packet_size_bytes_bucket" L ",le=\"+Inf\"} 3\n"
		"tcflow_packet_size_bytes_sum" L "} 3064\n"
		"tcflow_packet_size_bytes_count" L "} 3\n"
		"tcflow_packet_size_bytes_created" L "} 1690000000.000\n"));
#undef L
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
	tcase_add_test(tc, full_text_exposition);
	tcase_add_test(tc, openmetrics_exposition);
	tcase_add_test(tc, openmetrics_without_created);
	tcase_add_test(tc, created_reads_as_printf_writes_it);
	tcase_add_test(tc, failed_map_keeps_the_rest);
	tcase_add_test(tc, events_families);
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
