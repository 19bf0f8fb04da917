// SPDX-License-Identifier: BSD-2-Clause
/* Flag parsing: defaults, every flag, and the one-line errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "log.h"
#include "parse_num.h"

static struct config cfg;
static char err[FLAGS_ERR_LEN];

static enum flags_result parse(int argc, const char **argv)
{
	flags_defaults(&cfg);
	return flags_parse(&cfg, argc, (char **)argv, err);
}

#define PARSE(...) parse(sizeof((const char *[]){ "tcflow_exporter", __VA_ARGS__ }) / \
			 sizeof(char *), (const char *[]){ "tcflow_exporter", __VA_ARGS__ })

#define ASSERT_ERROR(msg, ...) do { \
		ck_assert_int_eq(PARSE(__VA_ARGS__), FLAGS_ERROR); \
		ck_assert_str_eq(err, msg); \
	} while (0)

START_TEST(defaults)
{
	ck_assert_int_eq(PARSE("--interface=eth0"), FLAGS_OK);
	ck_assert_int_eq(cfg.n_interfaces, 1);
	ck_assert_str_eq(cfg.interfaces[0], "eth0");
	ck_assert_str_eq(cfg.listen_address, ":9892");
	ck_assert_str_eq(cfg.telemetry_path, "/metrics");
	ck_assert_uint_eq(cfg.tc_priority, 1);
	ck_assert_uint_eq(cfg.tc_handle, 0x7cf1);
	ck_assert_uint_eq(cfg.flow_max_entries, 262144);
	ck_assert_uint_eq(cfg.max_requests, 40);
	ck_assert_int_eq(cfg.log_level, LOG_INFO);
	ck_assert_int_eq(cfg.openmetrics_created, 0);
	ck_assert_ptr_null(cfg.pcap_file);
}
END_TEST

START_TEST(every_flag)
{
	ck_assert_int_eq(PARSE("--interface=veth0", "--interface", "veth1",
			       "--tc.priority=7", "--tc.handle=0x10",
			       "--flow.max-entries=1024", "--web.listen-address=127.0.0.1:0",
			       "--web.telemetry-path=/m", "--web.max-requests=3",
			       "--web.disable-exporter-metrics", "--web.openmetrics-created",
			       "--log.level=debug"), FLAGS_OK);
	ck_assert_int_eq(cfg.n_interfaces, 2);
	ck_assert_str_eq(cfg.interfaces[1], "veth1");
	ck_assert_uint_eq(cfg.tc_priority, 7);
	ck_assert_uint_eq(cfg.tc_handle, 16);
	ck_assert_uint_eq(cfg.flow_max_entries, 1024);
	ck_assert_str_eq(cfg.listen_address, "127.0.0.1:0");
	ck_assert_str_eq(cfg.telemetry_path, "/m");
	ck_assert_uint_eq(cfg.max_requests, 3);
	ck_assert_int_eq(cfg.disable_exporter_metrics, 1);
	ck_assert_int_eq(cfg.openmetrics_created, 1);
	ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
}
END_TEST

START_TEST(pcap_once)
{
	ck_assert_int_eq(PARSE("--pcap=x.pcap", "--once"), FLAGS_OK);
	ck_assert_str_eq(cfg.pcap_file, "x.pcap");
	ck_assert_int_eq(cfg.once, 1);
}
END_TEST

START_TEST(number_errors)
{
	ASSERT_ERROR("invalid value for --tc.priority: \"0\" (want a whole number from 1 to 65535)",
		     "--interface=eth0", "--tc.priority=0");
	ASSERT_ERROR("invalid value for --tc.priority: \"65536\" (want a whole number from 1 to 65535)",
		     "--interface=eth0", "--tc.priority=65536");
	ASSERT_ERROR("invalid value for --tc.priority: \"1x\" (want a whole number from 1 to 65535)",
		     "--interface=eth0", "--tc.priority=1x");
	ASSERT_ERROR("invalid value for --flow.max-entries: \"-5\" (want a whole number from 1 to 67108864)",
		     "--interface=eth0", "--flow.max-entries=-5");
	ASSERT_ERROR("invalid value for --tc.handle: \"\" (want a whole number from 1 to 4294967295, decimal or 0x hex)",
		     "--interface=eth0", "--tc.handle=");
	ASSERT_ERROR("invalid value for --tc.handle: \"0x\" (want a whole number from 1 to 4294967295, decimal or 0x hex)",
		     "--interface=eth0", "--tc.handle=0x");
	ASSERT_ERROR("invalid value for --tc.priority: \"\t5\" (want a whole number from 1 to 65535)",
		     "--interface=eth0", "--tc.priority=\t5");
	ASSERT_ERROR("invalid value for --tc.priority: \" 5\" (want a whole number from 1 to 65535)",
		     "--interface=eth0", "--tc.priority= 5");
	ASSERT_ERROR("invalid value for --web.max-connections: \"1\" (want a whole number from 2 to 10000)",
		     "--interface=eth0", "--web.max-connections=1");
	ASSERT_ERROR("invalid value for --web.read-header-timeout: \"0\" (want a duration from 1s to 1h)",
		     "--interface=eth0", "--web.read-header-timeout=0");
	ASSERT_ERROR("invalid value for --web.max-requests: \"0\" (want a whole number from 1 to 10000)",
		     "--interface=eth0", "--web.max-requests=0");
}
END_TEST

START_TEST(value_errors)
{
	ASSERT_ERROR("invalid value for --log.level: \"loud\" (want error, warn, info or debug)",
		     "--interface=eth0", "--log.level=loud");
	ASSERT_ERROR("invalid value for --web.telemetry-path: \"metrics\" (must start with /)",
		     "--interface=eth0", "--web.telemetry-path=metrics");
	ASSERT_ERROR("invalid value for --web.listen-address: \"9892\" (want [host]:port)",
		     "--interface=eth0", "--web.listen-address=9892");
	ASSERT_ERROR("invalid value for --interface: \"a/b\" is not an interface name",
		     "--interface=a/b");
	ASSERT_ERROR("invalid value for --interface: \"averyveryverylongname\" is not an interface name",
		     "--interface=averyveryverylongname");
	ASSERT_ERROR("invalid value for --interface: \"eth0\" is given twice",
		     "--interface=eth0", "--interface=eth0");
	ASSERT_ERROR("invalid value for --pcap: the file name is empty", "--pcap=");
}
END_TEST

START_TEST(decimal_only)
{
	ck_assert_int_eq(PARSE("--interface=eth0", "--flow.ipv4-prefix=010", "--tc.handle=0x10",
			       "--tc.priority=010"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.ipv4_prefix, 10);
	ck_assert_uint_eq(cfg.tc_handle, 16);
	ck_assert_uint_eq(cfg.tc_priority, 10);
	ck_assert_int_eq(PARSE("--interface=eth0", "--tc.handle=010"), FLAGS_OK);
	ck_assert_uint_eq(cfg.tc_handle, 10);
}
END_TEST

START_TEST(web_flags)
{
	ck_assert_int_eq(PARSE("--interface=eth0", "--web.config.file=w.yml",
			       "--web.disable-events", "--web.max-connections=50",
			       "--web.max-connections-per-ip=4", "--web.max-event-streams=3",
			       "--web.read-header-timeout=2s", "--web.listen-address=[::1]:9892"),
			 FLAGS_OK);
	ck_assert_str_eq(cfg.web_config_file, "w.yml");
	ck_assert_int_eq(cfg.disable_events, 1);
	ck_assert_uint_eq(cfg.max_connections, 50);
	ck_assert_uint_eq(cfg.max_per_ip, 4);
	ck_assert_uint_eq(cfg.max_event_streams, 3);
	ck_assert_uint_eq(cfg.read_header_timeout_s, 2);
	ck_assert_int_eq(PARSE("--interface=eth0"), FLAGS_OK);
	ck_assert_ptr_null(cfg.web_config_file);
	ck_assert_uint_eq(cfg.max_connections, 128);
	ck_assert_uint_eq(cfg.max_per_ip, 16);
	ck_assert_uint_eq(cfg.max_event_streams, 8);
	ck_assert_uint_eq(cfg.read_header_timeout_s, 5);
}
END_TEST

START_TEST(listen_address_errors)
{
	ASSERT_ERROR("invalid value for --web.listen-address: \":99999\" (the port must be a number from 0 to 65535)",
		     "--interface=eth0", "--web.listen-address=:99999");
	ASSERT_ERROR("invalid value for --web.listen-address: \":65536\" (the port must be a number from 0 to 65535)",
		     "--interface=eth0", "--web.listen-address=:65536");
	ASSERT_ERROR("invalid value for --web.listen-address: \":http\" (the port must be a number from 0 to 65535)",
		     "--interface=eth0", "--web.listen-address=:http");
	ASSERT_ERROR("invalid value for --web.listen-address: \"::1:80\" (want [host]:port)",
		     "--interface=eth0", "--web.listen-address=::1:80");
	ASSERT_ERROR("invalid value for --web.listen-address: \"300.1.1.1:80\" (300.1.1.1: Name or service not known)",
		     "--interface=eth0", "--web.listen-address=300.1.1.1:80");
	ASSERT_ERROR("invalid value for --web.listen-address: \"127.0.0.1:\" (want [host]:port)",
		     "--interface=eth0", "--web.listen-address=127.0.0.1:");
}
END_TEST

START_TEST(strict_flag_names)
{
	ASSERT_ERROR("unknown flag --i=eth0 (flags are never abbreviated; see --help)", "--i=eth0");
	ASSERT_ERROR("unknown flag --web.listen (flags are never abbreviated; see --help)",
		     "--interface=eth0", "--web.listen", ":1");
	ASSERT_ERROR("flag --tc.priority is given twice",
		     "--interface=eth0", "--tc.priority=1", "--tc.priority=2");
	ASSERT_ERROR("flag --once is given twice", "--pcap=x", "--once", "--once");
	ASSERT_ERROR("--web.max-event-streams (8) must be below --web.max-connections (8)",
		     "--interface=eth0", "--web.max-connections=8");
}
END_TEST

START_TEST(usage_errors)
{
	ASSERT_ERROR("unknown flag --bogus (see --help)", "--interface=eth0", "--bogus");
	ASSERT_ERROR("unknown flag --once=1 (see --help)", "--pcap=x", "--once=1");
	ASSERT_ERROR("flag --interface needs a value", "--interface");
	ASSERT_ERROR("unexpected argument \"eth0\" (flags look like --name=value)", "eth0");
	ASSERT_ERROR("--once needs --pcap=FILE", "--interface=eth0", "--once");
	ASSERT_ERROR("--pcap and --interface exclude each other", "--interface=eth0", "--pcap=x");
	ASSERT_ERROR("no --interface or --interface.include given (or --pcap=FILE to replay a capture)",
		     "--log.level=info");
	ASSERT_ERROR("--pcap and --interface.include exclude each other",
		     "--interface.include=veth.*", "--pcap=x");
	ASSERT_ERROR("--pcap and --interface.exclude exclude each other",
		     "--interface.exclude=lo", "--pcap=x");
}
END_TEST

START_TEST(interface_selection)
{
	ck_assert_int_eq(PARSE("--interface.include=veth.*|cali.*", "--interface.include=eth0",
			       "--interface.exclude=veth9.*", "--interface.max-count=8192"), FLAGS_OK);
	ck_assert_int_eq(cfg.iface.n_include, 2);
	ck_assert_int_eq(cfg.iface.n_exclude, 1);
	ck_assert_uint_eq(cfg.iface_max_count, 8192);
	ck_assert(iface_select_match(&cfg.iface, "veth12"));
	ck_assert(!iface_select_match(&cfg.iface, "veth91"));
	iface_select_free(&cfg.iface);
	/* Only an exclusion: everything else. */
	ck_assert_int_eq(PARSE("--interface.exclude=lo"), FLAGS_OK);
	ck_assert(iface_select_match(&cfg.iface, "eth0"));
	ck_assert(!iface_select_match(&cfg.iface, "lo"));
	iface_select_free(&cfg.iface);
	ck_assert_int_eq(PARSE("--interface=eth0"), FLAGS_OK);
	ck_assert_uint_eq(cfg.iface_max_count, 4096);
	ck_assert(iface_select_match(&cfg.iface, "eth0"));
	ck_assert(!iface_select_match(&cfg.iface, "eth1"));
}
END_TEST

START_TEST(interface_selection_errors)
{
	ASSERT_ERROR("invalid value for --interface.include: \"veth[\" is not a POSIX extended regular expression: Unmatched [, [^, [:, [., or [=",
		     "--interface.include=veth[");
	ASSERT_ERROR("invalid value for --interface.exclude: \"(lo\" is not a POSIX extended regular expression: Unmatched ( or \\(",
		     "--interface.exclude=(lo");
	ASSERT_ERROR("flag --interface.include needs a value", "--interface.include");
	ASSERT_ERROR("invalid value for --interface.max-count: \"0\" (want a whole number from 1 to 1048576)",
		     "--interface=eth0", "--interface.max-count=0");
	ASSERT_ERROR("2 --interface flags exceed --interface.max-count=1",
		     "--interface=eth0", "--interface=eth1", "--interface.max-count=1");
	iface_select_free(&cfg.iface);
}
END_TEST

START_TEST(too_many_interfaces)
{
	const char *argv[MAX_INTERFACES + 2] = { "tcflow_exporter" };
	static char names[MAX_INTERFACES + 1][32];

	for (int i = 0; i <= MAX_INTERFACES; i++) {
		snprintf(names[i], sizeof(names[i]), "--interface=if%d", i);
		argv[i + 1] = names[i];
	}
	ck_assert_int_eq(parse(MAX_INTERFACES + 2, argv), FLAGS_ERROR);
	ck_assert_str_eq(err, "too many --interface flags: at most 64");
}
END_TEST

START_TEST(parse_u32_bounds)
{
	uint32_t v;

	ck_assert_int_eq(parse_u32("0x7cf1", 1, 0xffffffff, &v), -1);
	ck_assert_int_eq(parse_u32("010", 1, 0xffffffff, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(parse_u32("\t5", 1, 10, &v), -1);
	ck_assert_int_eq(parse_u32("5 ", 1, 10, &v), -1);
	ck_assert_int_eq(parse_u32("", 0, 10, &v), -1);
	ck_assert_int_eq(parse_u32("4294967295", 1, 0xffffffff, &v), 0);
	ck_assert_int_eq(parse_u32("4294967296", 1, 0xffffffff, &v), -1);
	ck_assert_int_eq(parse_u32(" 5", 1, 10, &v), -1);
	ck_assert_int_eq(parse_u32("+5", 1, 10, &v), -1);
}
END_TEST

static Suite *flags_suite(void)
{
	Suite *s = suite_create("flags");
	TCase *ok = tcase_create("accepted");
	TCase *bad = tcase_create("rejected");

	tcase_add_test(ok, defaults);
	tcase_add_test(ok, every_flag);
	tcase_add_test(ok, pcap_once);
	tcase_add_test(ok, parse_u32_bounds);
	tcase_add_test(ok, decimal_only);
	tcase_add_test(ok, web_flags);
	tcase_add_test(ok, interface_selection);
	suite_add_tcase(s, ok);
	tcase_add_test(bad, number_errors);
	tcase_add_test(bad, value_errors);
	tcase_add_test(bad, usage_errors);
	tcase_add_test(bad, listen_address_errors);
	tcase_add_test(bad, strict_flag_names);
	tcase_add_test(bad, too_many_interfaces);
	tcase_add_test(bad, interface_selection_errors);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(flags_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
