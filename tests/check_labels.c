// SPDX-License-Identifier: BSD-2-Clause
/* Label rendering: escaping, protocol names, addresses, per doc/flow-key.md
 * ("In the labels") and the exposition format's escaping. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "labels.h"
#include "strbuf.h"

static struct strbuf sb;

static void setup(void)
{
	strbuf_reset(&sb);
}

static void teardown(void)
{
	strbuf_free(&sb);
}

START_TEST(escape_label_values)
{
	label_escape(&sb, "a\\b\"c\nd");
	ck_assert_str_eq(sb.data, "a\\\\b\\\"c\\nd");
}
END_TEST

START_TEST(escape_plain_value_unchanged)
{
	label_escape(&sb, "eth0.100");
	ck_assert_str_eq(sb.data, "eth0.100");
}
END_TEST

START_TEST(escape_help_keeps_quotes)
{
	help_escape(&sb, "say \"hi\"\\\n");
	ck_assert_str_eq(sb.data, "say \"hi\"\\\\\\n");
}
END_TEST

START_TEST(protocol_names)
{
	static const struct { unsigned int n; const char *name; } want[] = {
		{ 1, "icmp" }, { 6, "tcp" }, { 17, "udp" }, { 33, "dccp" },
		{ 47, "gre" }, { 50, "esp" }, { 51, "ah" }, { 58, "icmpv6" },
		{ 132, "sctp" }, { 136, "udplite" }, { 0, "0" }, { 2, "2" },
		{ 41, "41" }, { 255, "255" },
	};
	char buf[PROTO_NAME_MAX];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_str_eq(proto_name(want[i].n, buf), want[i].name);
}
END_TEST

START_TEST(direction_and_family_names)
{
	ck_assert_str_eq(direction_name(TCFLOW_DIR_INGRESS), "ingress");
	ck_assert_str_eq(direction_name(TCFLOW_DIR_EGRESS), "egress");
	ck_assert_str_eq(family_name(TCFLOW_FAM_IPV4), "ipv4");
	ck_assert_str_eq(family_name(TCFLOW_FAM_IPV6), "ipv6");
	ck_assert_str_eq(family_name(TCFLOW_FAM_OTHER), "other");
}
END_TEST

START_TEST(ipv4_dotted_quad)
{
	__u8 a[16] = { 198, 18, 0, 5 };
	char out[46];

	ck_assert_str_eq(addr_text(TCFLOW_FAM_IPV4, a, out, sizeof(out)), "198.18.0.5");
}
END_TEST

START_TEST(ipv6_rfc5952)
{
	/* 2001:db8:0:0:1:0:0:1 compresses the first longest run only. */
	__u8 a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 };
	__u8 mapped[16] = { [10] = 0xff, [11] = 0xff, [12] = 198, [13] = 18, [15] = 1 };
	char out[46];

	ck_assert_str_eq(addr_text(TCFLOW_FAM_IPV6, a, out, sizeof(out)), "2001:db8::1:0:0:1");
	ck_assert_str_eq(addr_text(TCFLOW_FAM_IPV6, mapped, out, sizeof(out)),
			 "::ffff:198.18.0.1");
}
END_TEST

START_TEST(u64_rendering)
{
	strbuf_put_u64(&sb, 0);
	strbuf_putc(&sb, ' ');
	strbuf_put_u64(&sb, 18446744073709551615ULL);
	ck_assert_str_eq(sb.data, "0 18446744073709551615");
}
END_TEST

START_TEST(gzip_negotiation)
{
	ck_assert_int_eq(http_accepts_gzip("gzip"), 1);
	ck_assert_int_eq(http_accepts_gzip("deflate, gzip;q=1.0, *;q=0.5"), 1);
	ck_assert_int_eq(http_accepts_gzip("GZIP"), 1);
	ck_assert_int_eq(http_accepts_gzip("gzip;q=0"), 0);
	ck_assert_int_eq(http_accepts_gzip("identity"), 0);
	ck_assert_int_eq(http_accepts_gzip("x-gzip2"), 0);
	ck_assert_int_eq(http_accepts_gzip(""), 0);
}
END_TEST

START_TEST(openmetrics_negotiation)
{
	/* What Prometheus 2.x sends. */
	ck_assert_int_eq(http_accepts_openmetrics("application/openmetrics-text;version=1.0.0,"
		"application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"), 1);
	ck_assert_int_eq(http_accepts_openmetrics("application/openmetrics-text"), 1);
	ck_assert_int_eq(http_accepts_openmetrics("text/plain;q=1, application/openmetrics-text;q=0.1"), 0);
	ck_assert_int_eq(http_accepts_openmetrics("application/openmetrics-text;q=0"), 0);
	ck_assert_int_eq(http_accepts_openmetrics("text/plain;version=0.0.4"), 0);
	ck_assert_int_eq(http_accepts_openmetrics("*/*"), 0);
}
END_TEST

START_TEST(listen_address_split)
{
	char host[64], port[16];

	ck_assert_int_eq(http_split_address(":9892", host, sizeof(host), port, sizeof(port)), 0);
	ck_assert_str_eq(host, "");
	ck_assert_str_eq(port, "9892");
	ck_assert_int_eq(http_split_address("[::1]:80", host, sizeof(host), port, sizeof(port)), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(http_split_address("127.0.0.1:0", host, sizeof(host), port, sizeof(port)), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_str_eq(port, "0");
	ck_assert_int_eq(http_split_address("::1:80", host, sizeof(host), port, sizeof(port)), -1);
	ck_assert_int_eq(http_split_address("localhost:", host, sizeof(host), port, sizeof(port)), -1);
	ck_assert_int_eq(http_split_address("9892", host, sizeof(host), port, sizeof(port)), -1);
}
END_TEST

static Suite *labels_suite(void)
{
	Suite *s = suite_create("labels");
	TCase *esc = tcase_create("escaping");
	TCase *names = tcase_create("names");
	TCase *http = tcase_create("http_parsing");

	tcase_add_checked_fixture(esc, setup, teardown);
	tcase_add_test(esc, escape_label_values);
	tcase_add_test(esc, escape_plain_value_unchanged);
	tcase_add_test(esc, escape_help_keeps_quotes);
	tcase_add_test(esc, u64_rendering);
	suite_add_tcase(s, esc);
	tcase_add_test(names, protocol_names);
	tcase_add_test(names, direction_and_family_names);
	tcase_add_test(names, ipv4_dotted_quad);
	tcase_add_test(names, ipv6_rfc5952);
	suite_add_tcase(s, names);
	tcase_add_test(http, gzip_negotiation);
	tcase_add_test(http, listen_address_split);
	tcase_add_test(http, openmetrics_negotiation);
	suite_add_tcase(s, http);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(labels_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
