// SPDX-License-Identifier: BSD-2-Clause
/* --interface, --interface.include and --interface.exclude: which names
 * are counted. Patterns are POSIX extended and match the whole name. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "iface_select.h"

static struct iface_select sel;
static const char *names[4];
static char err[256];

static void setup(void)
{
	memset(&sel, 0, sizeof(sel));
	sel.names = names;
}

static void teardown(void)
{
	iface_select_free(&sel);
}

static void include(const char *p)
{
	ck_assert_msg(iface_select_add_pattern(&sel, 0, p, err, sizeof(err)) == 0, "%s", err);
}

static void exclude(const char *p)
{
	ck_assert_msg(iface_select_add_pattern(&sel, 1, p, err, sizeof(err)) == 0, "%s", err);
}

START_TEST(nothing_selects_nothing)
{
	ck_assert(iface_select_empty(&sel));
	ck_assert(!iface_select_match(&sel, "eth0"));
}
END_TEST

START_TEST(exact_names)
{
	names[0] = "eth0";
	names[1] = "veth1";
	sel.n_names = 2;
	ck_assert(!iface_select_empty(&sel));
	ck_assert(iface_select_match(&sel, "eth0"));
	ck_assert(iface_select_match(&sel, "veth1"));
	ck_assert(!iface_select_match(&sel, "eth00"));
	ck_assert(!iface_select_match(&sel, "veth"));
	ck_assert(iface_select_named(&sel, "veth1"));
}
END_TEST

START_TEST(include_is_anchored)
{
	include("veth.*");
	ck_assert(iface_select_match(&sel, "veth0"));
	ck_assert(iface_select_match(&sel, "veth"));
	ck_assert(!iface_select_match(&sel, "myveth0"));
	include("eth[0-9]");
	ck_assert(iface_select_match(&sel, "eth3"));
	ck_assert(!iface_select_match(&sel, "eth30"));
	ck_assert(!iface_select_match(&sel, "xeth3"));
}
END_TEST

START_TEST(alternation_is_anchored_whole)
{
	/* "^a|b$" would let "xcali" and "lxcx" in: the group keeps both ends. */
	include("cali.*|lxc[0-9a-f]+");
	ck_assert(iface_select_match(&sel, "cali12ab"));
	ck_assert(iface_select_match(&sel, "lxc0f3"));
	ck_assert(!iface_select_match(&sel, "xcali"));
	ck_assert(!iface_select_match(&sel, "lxc_health"));
}
END_TEST

START_TEST(exclude_wins)
{
	names[0] = "veth9";
	sel.n_names = 1;
	include("veth.*");
	exclude("veth9|vethX.*");
	ck_assert(iface_select_match(&sel, "veth1"));
	ck_assert(!iface_select_match(&sel, "veth9"));
	ck_assert(!iface_select_match(&sel, "vethX2"));
	ck_assert(iface_select_match(&sel, "veth99"));
}
END_TEST

START_TEST(exclude_alone_selects_the_rest)
{
	exclude("lo|docker.*");
	ck_assert(!iface_select_empty(&sel));
	ck_assert(iface_select_match(&sel, "eth0"));
	ck_assert(!iface_select_match(&sel, "lo"));
	ck_assert(!iface_select_match(&sel, "docker0"));
}
END_TEST

START_TEST(bad_pattern)
{
	ck_assert_int_eq(iface_select_add_pattern(&sel, 0, "a{2", err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "invalid value for --interface.include: \"a{2\" is not a POSIX extended regular expression: ", 88) == 0,
		      "%s", err);
	ck_assert_int_eq(sel.n_include, 0);
}
END_TEST

START_TEST(too_many_patterns)
{
	for (int i = 0; i < MAX_IFACE_PATTERNS; i++)
		exclude("x");
	ck_assert_int_eq(iface_select_add_pattern(&sel, 1, "y", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "too many --interface.exclude flags: at most 16 (join patterns with |)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("iface_select");
	TCase *tc = tcase_create("match");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nothing_selects_nothing);
	tcase_add_test(tc, exact_names);
	tcase_add_test(tc, include_is_anchored);
	tcase_add_test(tc, alternation_is_anchored_whole);
	tcase_add_test(tc, exclude_wins);
	tcase_add_test(tc, exclude_alone_selects_the_rest);
	tcase_add_test(tc, bad_pattern);
	tcase_add_test(tc, too_many_patterns);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
