// SPDX-License-Identifier: BSD-2-Clause
/*
 * Label sets and how a flow key becomes its series' key: --flow.labels and
 * the other --flow.* flags with their errors, the service port rule,
 * address prefixes, and the invariant that on one read every sum over the
 * kept labels equals the sum over the full table. No BPF.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aggregate.h"
#include "flags.h"
#include "ifnames.h"
#include "owners.h"
#include "series.h"

#define V4 TCFLOW_FAM_IPV4
#define V6 TCFLOW_FAM_IPV6
#define TCP 6
#define UDP 17

#define HOSTS_MASK (FL_INTERFACE | FL_DIRECTION | FL_SRC_IP | FL_DST_IP)
#define A4(a, b, c, d) ((const uint8_t[16]){ (a), (b), (c), (d) })
#define A6(...) ((const uint8_t[16]){ __VA_ARGS__ })

static struct label_set ls;
static char err[FLAGS_ERR_LEN];

static void setup(void)
{
	label_set_default(&ls);
	err[0] = '\0';
	ifnames_clear();
	ifnames_register(7, "vA");
}

static void parse_ok(const char *spec)
{
	ck_assert_msg(label_set_parse(&ls, spec, err, sizeof(err)) == 0,
		      "\"%s\" refused: %s", spec, err);
}

#define BAD_LABEL(name) "invalid value for --flow.labels: \"" name "\" is not a preset " \
	"(services, hosts, full) or a label (interface, direction, protocol, src_ip, " \
	"dst_ip, src_port, dst_port, service_port, cgroup, namespace, pod, container)"

static void parse_bad(const char *spec, const char *want)
{
	ck_assert_msg(label_set_parse(&ls, spec, err, sizeof(err)) == -1, "\"%s\" accepted", spec);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
}

/* ---- label_set_parse ----------------------------------------------------- */

START_TEST(default_is_services_capped_and_retained)
{
	ck_assert_uint_eq(ls.mask, FL_SERVICES);
	ck_assert_uint_eq(FL_SERVICES, FL_INTERFACE | FL_DIRECTION | FL_PROTOCOL | FL_SRC_IP |
			  FL_DST_IP | FL_SERVICE_PORT);
	ck_assert_uint_eq(ls.ipv4_prefix, 32);
	ck_assert_uint_eq(ls.ipv6_prefix, 128);
	ck_assert_uint_eq(ls.max_series, 1000);
	ck_assert_uint_eq(ls.retention_s, 300);
	ck_assert_uint_eq(ls.ephemeral_lo, 32768);
	ck_assert_uint_eq(ls.ephemeral_hi, 60999);
	ck_assert_uint_eq(ls.one_read, 0);
}
END_TEST

START_TEST(presets_and_lists)
{
	parse_ok("hosts");
	ck_assert_uint_eq(ls.mask, HOSTS_MASK);
	parse_ok("full");
	ck_assert_uint_eq(ls.mask, FL_FULL);
	ck_assert_uint_eq(FL_FULL, 0x7f);
	parse_ok("5-tuple");
	ck_assert_uint_eq(ls.mask, FL_FULL);
	parse_ok("services");
	ck_assert_uint_eq(ls.mask, FL_SERVICES);
	parse_ok("protocol,service_port");
	ck_assert_uint_eq(ls.mask, FL_PROTOCOL | FL_SERVICE_PORT);
	parse_ok("dst_port,src_ip,dst_port");	/* order and repetition do not matter */
	ck_assert_uint_eq(ls.mask, FL_SRC_IP | FL_DST_PORT);
	parse_ok("dst_ip,src_ip,direction,interface");
	ck_assert_uint_eq(ls.mask, HOSTS_MASK);
}
END_TEST

START_TEST(bad_labels)
{
	parse_bad("bogus", BAD_LABEL("bogus"));
	parse_bad("src_ip,port", BAD_LABEL("port"));
	parse_bad("hosts,protocol", BAD_LABEL("hosts"));
	parse_bad("SRC_IP", BAD_LABEL("SRC_IP"));
	parse_bad("src_ip,,dst_ip", BAD_LABEL(""));
	parse_bad("src_ip,", BAD_LABEL("src_ip"));
	parse_bad(" src_ip", BAD_LABEL(" src_ip"));
	parse_bad("family", BAD_LABEL("family"));
	parse_bad("", "invalid value for --flow.labels: no label given");
}
END_TEST

/* ---- the command line ------------------------------------------------------ */

static struct config cfg;

static enum flags_result parse_flags(int argc, const char **argv)
{
	flags_defaults(&cfg);
	return flags_parse(&cfg, argc, (char **)argv, err);
}

#define ARGS(...) (const char *[]){ "tcflow_exporter", __VA_ARGS__ }
#define FLAGS(...) parse_flags(sizeof(ARGS(__VA_ARGS__)) / sizeof(char *), ARGS(__VA_ARGS__))
#define FLAGS_BAD(msg, ...) do { \
		ck_assert_int_eq(FLAGS(__VA_ARGS__), FLAGS_ERROR); \
		ck_assert_str_eq(err, msg); \
	} while (0)

START_TEST(command_line)
{
	ck_assert_int_eq(FLAGS("--interface=lo"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.mask, FL_SERVICES);
	ck_assert_uint_eq(cfg.labels.max_series, 1000);
	ck_assert_uint_eq(cfg.labels.retention_s, 300);
	ck_assert_uint_eq(cfg.idle_timeout_s, 0);

	ck_assert_int_eq(FLAGS("--interface=lo", "--flow.labels=full", "--flow.ipv4-prefix=24",
			       "--flow.ipv6-prefix=64", "--flow.max-series=10",
			       "--flow.idle-timeout=2s", "--flow.series-retention=1m"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.mask, FL_FULL);
	ck_assert_uint_eq(cfg.labels.ipv4_prefix, 24);
	ck_assert_uint_eq(cfg.labels.ipv6_prefix, 64);
	ck_assert_uint_eq(cfg.labels.max_series, 10);
	ck_assert_uint_eq(cfg.idle_timeout_s, 2);
	ck_assert_uint_eq(cfg.labels.retention_s, 60);
}
END_TEST

START_TEST(replay_keeps_the_exact_tuple_unless_told)
{
	ck_assert_int_eq(FLAGS("--pcap=x", "--once"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.mask, FL_FULL);
	ck_assert_uint_eq(cfg.labels.max_series, 0);
	ck_assert_uint_eq(cfg.labels.one_read, 1);
	ck_assert_int_eq(FLAGS("--pcap=x", "--flow.labels=hosts", "--flow.max-series=5"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.mask, HOSTS_MASK);
	ck_assert_uint_eq(cfg.labels.max_series, 5);
	ck_assert_uint_eq(cfg.labels.one_read, 1);
}
END_TEST

START_TEST(command_line_errors)
{
	FLAGS_BAD(BAD_LABEL("bogus"), "--interface=lo", "--flow.labels=bogus");
	FLAGS_BAD(BAD_LABEL("cgroups"), "--interface=lo", "--flow.labels=direction,cgroups");
	FLAGS_BAD("invalid value for --flow.ipv4-prefix: \"33\" (want a whole number from 0 to 32)",
		  "--interface=lo", "--flow.ipv4-prefix=33");
	FLAGS_BAD("invalid value for --flow.ipv6-prefix: \"129\" (want a whole number from 0 to 128)",
		  "--interface=lo", "--flow.ipv6-prefix=129");
	FLAGS_BAD("invalid value for --flow.max-series: \"ten\" (want a whole number from 0 to 4294967295)",
		  "--interface=lo", "--flow.max-series=ten");
	FLAGS_BAD("invalid value for --flow.series-retention: \"5 minutes\" (want a duration of at least 1s, such as 30s, 5m or 1h)",
		  "--interface=lo", "--flow.series-retention=5 minutes");
	FLAGS_BAD("invalid value for --flow.series-retention: \"0\" (want a duration of at least 1s, such as 30s, 5m or 1h)",
		  "--interface=lo", "--flow.series-retention=0");
}
END_TEST

/* ---- the service port ------------------------------------------------------- */

START_TEST(service_port_rule)
{
	/* A port outside the client range beats one inside it... */
	ck_assert_uint_eq(service_port(40000, 443, &ls), 443);
	ck_assert_uint_eq(service_port(443, 40000, &ls), 443);
	ck_assert_uint_eq(service_port(40000, 8080, &ls), 8080);
	ck_assert_uint_eq(service_port(61000, 33000, &ls), 61000);	/* above the range */
	/* ...else the smaller port: both inside, both outside. */
	ck_assert_uint_eq(service_port(50000, 40000, &ls), 40000);
	ck_assert_uint_eq(service_port(5353, 53, &ls), 53);
	ck_assert_uint_eq(service_port(0, 0, &ls), 0);
	ck_assert_uint_eq(service_port(0, 53, &ls), 53);	/* never 0 beside a port */
	ck_assert_uint_eq(service_port(40000, 0, &ls), 40000);
	ck_assert_uint_eq(service_port(32768, 60999, &ls), 32768);	/* edges are inside */
	ck_assert_uint_eq(service_port(32767, 32768, &ls), 32767);
}
END_TEST

START_TEST(ephemeral_range_from_the_host)
{
	char path[] = "/tmp/check_aggregate.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fprintf(f, "1024\t5000\n");
	fclose(f);
	label_set_read_ephemeral(&ls, path);
	ck_assert_uint_eq(ls.ephemeral_lo, 1024);
	ck_assert_uint_eq(ls.ephemeral_hi, 5000);
	ck_assert_uint_eq(service_port(2000, 8080, &ls), 8080);
	ck_assert_uint_eq(service_port(2000, 4000, &ls), 2000);
	/* Unreadable or nonsense: the last good range stays. */
	f = fopen(path, "w");
	fprintf(f, "9000 10\n");
	fclose(f);
	label_set_read_ephemeral(&ls, path);
	ck_assert_uint_eq(ls.ephemeral_lo, 1024);
	unlink(path);
	label_set_read_ephemeral(&ls, path);
	ck_assert_uint_eq(ls.ephemeral_hi, 5000);
}
END_TEST

/* ---- projection --------------------------------------------------------------- */

static struct flow_key fk(uint8_t fam, uint8_t proto, const uint8_t *src, const uint8_t *dst,
			  uint16_t sport, uint16_t dport)
{
	struct flow_key k = { .ifindex = 7, .direction = 1, .family = fam, .protocol = proto,
			      .src_port = sport, .dst_port = dport };

	memcpy(k.src_addr, src, 16);
	memcpy(k.dst_addr, dst, 16);
	return k;
}

START_TEST(project_services)
{
	struct flow_key k = fk(V4, TCP, A4(198, 18, 0, 2), A4(198, 18, 0, 1), 443, 40000);
	struct series_key s;

	aggregate_project(&k, "vA", &ls, &s);
	ck_assert_str_eq(s.ifname, "vA");
	ck_assert_uint_eq(s.direction, 1);
	ck_assert_uint_eq(s.protocol, TCP);
	ck_assert_uint_eq(s.service_port, 443);
	ck_assert_uint_eq(s.src_port, 0);
	ck_assert_uint_eq(s.dst_port, 0);
	ck_assert_mem_eq(s.src_addr, A4(198, 18, 0, 2), 16);
	ck_assert_uint_eq(s.fold, 0);
}
END_TEST

/* Owner labels: parsed like the others; a flow's cgroup id becomes the
 * series' owner number, and flows of one cgroup share it. */
START_TEST(owner_labels)
{
	char dir[] = "/tmp/check_aggregate.XXXXXX", sub[64], oerr[OWNERS_ERR_LEN];
	struct flow_key k = fk(V4, TCP, A4(198, 18, 0, 2), A4(198, 18, 0, 1), 443, 40000);
	struct owners_config oc = { .cgroup_root = dir };
	struct series_key a, b;
	struct owner_view v;
	struct stat st;

	parse_ok("direction,cgroup,pod");
	ck_assert_uint_eq(ls.mask, FL_DIRECTION | FL_CGROUP | FL_POD);
	ck_assert_uint_eq(label_set_owner_labels(ls.mask), OWNER_L_CGROUP | OWNER_L_POD);
	parse_ok("namespace,container");
	ck_assert_uint_eq(label_set_owner_labels(ls.mask), OWNER_L_NAMESPACE | OWNER_L_CONTAINER);
	ck_assert_uint_eq(label_set_owner_labels(FL_FULL), 0);

	parse_ok("direction,cgroup");
	k.cgroup_id = 77;
	aggregate_project(&k, "vA", &ls, &a);	/* no owners: no owner */
	ck_assert_uint_eq(a.owner, 0);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/web.service", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(stat(sub, &st), 0);
	oc.labels = label_set_owner_labels(ls.mask);
	ls.owners = owners_new(&oc, oerr);
	ck_assert_msg(ls.owners != NULL, "%s", oerr);
	k.cgroup_id = st.st_ino;
	aggregate_project(&k, "vA", &ls, &a);
	k.src_port = 1;	/* another flow, the same cgroup */
	aggregate_project(&k, "vA", &ls, &b);
	ck_assert_uint_ne(a.owner, 0);
	ck_assert_uint_eq(a.owner, b.owner);
	ck_assert_int_eq(series_key_cmp(&a, &b), 0);
	owners_get(ls.owners, a.owner, &v);
	ck_assert_str_eq(v.cgroup, "/web.service");
	k.cgroup_id = 0;	/* no local socket */
	aggregate_project(&k, "vA", &ls, &b);
	ck_assert_uint_eq(b.owner, 0);
	ck_assert_int_ne(series_key_cmp(&a, &b), 0);
	owners_free(ls.owners);
	ls.owners = NULL;
	rmdir(sub);
	rmdir(dir);
}
END_TEST

START_TEST(project_without_addresses_merges_families)
{
	struct flow_key a = fk(V4, UDP, A4(198, 18, 0, 2), A4(198, 18, 0, 1), 40000, 53);
	struct flow_key b = fk(V6, UDP, A6(0x20, 0x01, 0x0d, 0xb8, [15] = 2),
			       A6(0x20, 0x01, 0x0d, 0xb8, [15] = 1), 40001, 53);
	struct series_key sa, sb;

	parse_ok("interface,protocol,service_port");
	aggregate_project(&a, "vA", &ls, &sa);
	aggregate_project(&b, "vA", &ls, &sb);
	ck_assert_int_eq(series_key_cmp(&sa, &sb), 0);
	ck_assert_uint_eq(sa.direction, 0);	/* not kept */
	parse_ok("dst_ip");
	aggregate_project(&a, "vA", &ls, &sa);
	aggregate_project(&b, "vA", &ls, &sb);
	ck_assert_int_ne(series_key_cmp(&sa, &sb), 0);
	ck_assert_str_eq(sa.ifname, "");
}
END_TEST

START_TEST(prefixes_mask_bits_of_their_family_only)
{
	struct flow_key a = fk(V4, TCP, A4(198, 18, 31, 5), A4(198, 18, 15, 255), 1, 2);
	struct flow_key b = fk(V6, TCP, A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0xff, [15] = 1),
			       A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2, [15] = 1), 1, 2);
	struct series_key s;

	ls.ipv4_prefix = 20;
	aggregate_project(&a, "vA", &ls, &s);
	ck_assert_mem_eq(s.src_addr, A4(198, 18, 16, 0), 16);
	ck_assert_mem_eq(s.dst_addr, A4(198, 18, 0, 0), 16);
	aggregate_project(&b, "vA", &ls, &s);
	ck_assert_mem_eq(s.src_addr, b.src_addr, 16);
	ls.ipv6_prefix = 65;	/* the top bit of byte 8 */
	aggregate_project(&b, "vA", &ls, &s);
	ck_assert_mem_eq(s.src_addr, A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0x80), 16);
	ls.ipv4_prefix = 0;
	aggregate_project(&a, "vA", &ls, &s);
	ck_assert_mem_eq(s.src_addr, A4(0, 0, 0, 0), 16);
}
END_TEST

START_TEST(fold_keys_keep_interface_and_direction)
{
	struct series_key s;

	aggregate_fold_key("vA", 1, &ls, &s);
	ck_assert_uint_eq(s.fold, 1);
	ck_assert_str_eq(s.ifname, "vA");
	ck_assert_uint_eq(s.direction, 1);
	parse_ok("protocol");
	aggregate_fold_key("vA", 1, &ls, &s);
	ck_assert_str_eq(s.ifname, "");
	ck_assert_uint_eq(s.direction, 0);
	ck_assert_uint_eq(s.fold, 1);
	/* Nothing but interface and direction: the fold is the flows' series. */
	parse_ok("interface,direction");
	aggregate_fold_key("vA", 1, &ls, &s);
	ck_assert_uint_eq(s.fold, 0);
	ck_assert_str_eq(s.ifname, "vA");
}
END_TEST

/* ---- every sum over the kept labels, on a first read --------------------------- */

static uint32_t seed = 7;

static uint32_t rnd(uint32_t n)
{
	seed = seed * 1103515245 + 12345;
	return (seed >> 8) % n;
}

/* A random table; then, per label set, a first read (born whole, no cap):
 * for every flow, the series it projects to holds at least its count, and
 * the series hold exactly the table's total. */
START_TEST(every_sum_is_the_tables)
{
	static const char *const sets[] = { "services", "hosts", "full", "protocol",
					     "interface,service_port", "src_ip,dst_port" };
	struct snapshot snap = { .flows_ok = 1, .ifaces_ok = 1, .losses_ok = 1 };
	struct series_store st;
	uint64_t total = 0;
	size_t n = 500;

	snap.flows = calloc(n, sizeof(*snap.flows));
	snap.n_flows = n;
	for (size_t i = 0; i < n; i++) {
		struct flow_key *k = &snap.flows[i].key;
		uint8_t h = (uint8_t)rnd(6);

		*k = fk(rnd(3) ? V4 : V6, rnd(2) ? TCP : UDP, A4(198, 18, h, (uint8_t)rnd(3)),
			A4(198, 19, 0, 1), (uint16_t)(rnd(2) ? 40000 + rnd(9) : 53),
			(uint16_t)(rnd(2) ? 443 : 33000 + rnd(9)));
		k->direction = (uint8_t)rnd(2);
		k->src_addr[15] = (uint8_t)i;	/* distinct keys */
		snap.flows[i].val = (struct flow_value){ .packets = 1 + rnd(9) };
		total += snap.flows[i].val.packets;
	}
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		uint64_t sum = 0;

		label_set_default(&ls);
		ls.max_series = 0;
		ls.one_read = 1;
		parse_ok(sets[s]);
		series_init(&st, &ls);
		ck_assert_int_eq(series_update(&st, &snap, 1000000000ULL, 1.0), 0);
		for (size_t i = 0; i < st.n_series; i++)
			sum += st.series[i].packets;
		ck_assert_msg(sum == total, "%s: %llu of %llu", sets[s], (unsigned long long)sum,
			      (unsigned long long)total);
		for (size_t i = 1; i < st.n_series; i++)	/* no two series alike */
			for (size_t j = 0; j < i; j++)
				ck_assert_int_ne(series_key_cmp(&st.series[i].key, &st.series[j].key), 0);
		series_free(&st);
	}
	free(snap.flows);
}
END_TEST

static Suite *aggregate_suite(void)
{
	Suite *s = suite_create("aggregate");
	TCase *tc = tcase_create("labels");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, default_is_services_capped_and_retained);
	tcase_add_test(tc, presets_and_lists);
	tcase_add_test(tc, bad_labels);
	tcase_add_test(tc, command_line);
	tcase_add_test(tc, replay_keeps_the_exact_tuple_unless_told);
	tcase_add_test(tc, command_line_errors);
	tcase_add_test(tc, service_port_rule);
	tcase_add_test(tc, ephemeral_range_from_the_host);
	tcase_add_test(tc, project_services);
	tcase_add_test(tc, project_without_addresses_merges_families);
	tcase_add_test(tc, owner_labels);
	tcase_add_test(tc, prefixes_mask_bits_of_their_family_only);
	tcase_add_test(tc, fold_keys_keep_interface_and_direction);
	tcase_add_test(tc, every_sum_is_the_tables);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(aggregate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
