// SPDX-License-Identifier: BSD-2-Clause
/* The delta accounting of series.c on hand-made reads of the kernel's
 * tables: what a flow counted lands in exactly one series, no series ever
 * goes down, and per interface and direction the flow series plus the fold
 * equal the interface's IPv4 + IPv6 totals, whatever the table evicts,
 * expires, or the cap refuses. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ifnames.h"
#include "series.h"

#define S 1000000000ULL	/* a second in ns */

static struct snapshot snap;
static struct label_set ls;
static struct series_store st;
static uint64_t now;

static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	snap.flows_ok = snap.ifaces_ok = snap.losses_ok = 1;
	label_set_default(&ls);
	ls.retention_s = 10;
	ifnames_clear();
	ifnames_register(7, "vA");
	ifnames_register(8, "vB");
	now = 100 * S;
}

static void teardown(void)
{
	series_free(&st);
	snapshot_free(&snap);
}

static void start(void)
{
	series_init(&st, &ls);
}

static struct flow_key key(uint32_t ifindex, uint8_t dir, uint8_t host, uint16_t sport,
			   uint16_t dport)
{
	struct flow_key k = { .ifindex = ifindex, .direction = dir, .family = TCFLOW_FAM_IPV4,
			      .protocol = 17, .src_port = sport, .dst_port = dport };

	k.src_addr[0] = 198, k.src_addr[1] = 18, k.src_addr[3] = host;
	k.dst_addr[0] = 198, k.dst_addr[1] = 18, k.dst_addr[3] = 1;
	return k;
}

/* The table as the next read sees it: flows[] replaced, totals set. */
static void table(const struct flow_key *k, const uint64_t *packets, size_t n)
{
	snap.flows = realloc(snap.flows, (n ? n : 1) * sizeof(*snap.flows));
	for (size_t i = 0; i < n; i++) {
		snap.flows[i].key = k[i];
		snap.flows[i].val = (struct flow_value){ .packets = packets[i],
							 .bytes = packets[i] * 100 };
	}
	snap.n_flows = n;
}

static void totals(uint32_t ifindex, uint8_t dir, uint64_t packets)
{
	struct iface_entry *e = NULL;

	for (size_t i = 0; i < snap.n_ifaces; i++)
		if (snap.ifaces[i].key.ifindex == ifindex && snap.ifaces[i].key.direction == dir)
			e = &snap.ifaces[i];
	if (!e) {
		snap.ifaces = realloc(snap.ifaces, (snap.n_ifaces + 1) * sizeof(*e));
		e = &snap.ifaces[snap.n_ifaces++];
		memset(e, 0, sizeof(*e));
		e->key.ifindex = ifindex;
		e->key.direction = dir;
	}
	e->val.packets[TCFLOW_FAM_IPV4] = packets;
	e->val.bytes[TCFLOW_FAM_IPV4] = packets * 100;
}

static void update(uint64_t after_s)
{
	now += after_s * S;
	ck_assert_int_eq(series_update(&st, &snap, now, (double)now / S), 0);
}

/* A flow series by its flow's key (projected as the store does), or the
 * fold of an interface and direction (k NULL). */
static const struct series *find(const struct flow_key *k, const char *ifname, uint8_t dir)
{
	struct series_key want;

	if (k)
		aggregate_project(k, ifname, &ls, &want);
	else
		aggregate_fold_key(ifname, dir, &ls, &want);
	for (size_t i = 0; i < st.n_series; i++)
		if (!memcmp(&st.series[i].key, &want, sizeof(want)))
			return &st.series[i];
	return NULL;
}

static uint64_t shown(const struct flow_key *k)
{
	const struct series *s = find(k, k->ifindex == 7 ? "vA" : "vB", k->direction);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->bytes, s->packets * 100);
	return s->packets;
}

static uint64_t fold(const char *ifname, uint8_t dir)
{
	const struct series *s = find(NULL, ifname, dir);

	ck_assert_ptr_nonnull(s);
	return s->packets;
}

START_TEST(first_read_is_born_whole)
{
	struct flow_key k[2] = { key(7, 0, 2, 40000, 53), key(7, 0, 3, 40001, 53) };
	uint64_t p[2] = { 5, 7 };

	start();
	table(k, p, 2);
	totals(7, 0, 12);
	update(1);
	/* Both clients' ports are ephemeral: one series for port 53 per host. */
	ck_assert_uint_eq(shown(&k[0]), 5);
	ck_assert_uint_eq(shown(&k[1]), 7);
	ck_assert_uint_eq(fold("vA", 0), 0);
	ck_assert_uint_eq(st.n_flow_series, 2);
}
END_TEST

START_TEST(a_newborn_shows_zero_then_everything)
{
	struct flow_key k = key(7, 0, 2, 40000, 53);
	uint64_t p = 5;

	start();
	totals(7, 0, 0);
	update(1);
	table(&k, &p, 1);
	totals(7, 0, 5);
	update(1);
	ck_assert_uint_eq(shown(&k), 0);
	ck_assert_uint_eq(fold("vA", 0), 0);
	p = 9;
	table(&k, &p, 1);
	totals(7, 0, 9);
	update(1);
	ck_assert_uint_eq(shown(&k), 9);
	ck_assert_uint_eq(fold("vA", 0), 0);
}
END_TEST

START_TEST(an_eviction_lands_in_the_fold)
{
	struct flow_key k = key(7, 1, 2, 40000, 80);
	uint64_t p = 10;

	start();
	table(&k, &p, 1);
	totals(7, 1, 10);
	update(1);
	ck_assert_uint_eq(shown(&k), 10);
	/* 5 more packets, then the LRU evicts the flow before the next read. */
	table(NULL, NULL, 0);
	totals(7, 1, 15);
	update(1);
	ck_assert_uint_eq(shown(&k), 10);
	ck_assert_uint_eq(fold("vA", 1), 5);
	ck_assert_uint_eq(st.accts[0].unaccounted[0], 5);
	/* It comes back, from zero in the kernel: 3 more. */
	p = 3;
	table(&k, &p, 1);
	totals(7, 1, 18);
	update(1);
	ck_assert_uint_eq(shown(&k), 13);
	ck_assert_uint_eq(fold("vA", 1), 5);
}
END_TEST

START_TEST(a_reinserted_flow_with_fewer_packets_restarted)
{
	struct flow_key k = key(7, 0, 2, 40000, 80);
	uint64_t p = 10;

	start();
	table(&k, &p, 1);
	totals(7, 0, 10);
	update(1);
	/* Evicted and inserted again between two reads: 4 since. */
	p = 4;
	table(&k, &p, 1);
	totals(7, 0, 14);
	update(1);
	ck_assert_uint_eq(shown(&k), 14);
	ck_assert_uint_eq(fold("vA", 0), 0);
}
END_TEST

START_TEST(series_that_sum_flows_never_drop)
{
	struct flow_key k[2] = { key(7, 0, 2, 40000, 53), key(7, 0, 2, 40002, 53) };
	uint64_t p[2] = { 5, 7 };

	start();
	table(k, p, 2);
	totals(7, 0, 12);
	update(1);
	ck_assert_uint_eq(shown(&k[0]), 12);	/* one series: host 2, port 53 */
	/* The first flow expires (deleted, no packets since); the other grows. */
	p[1] = 8;
	table(&k[1], &p[1], 1);
	totals(7, 0, 13);
	update(1);
	ck_assert_uint_eq(shown(&k[0]), 13);
	ck_assert_uint_eq(fold("vA", 0), 0);
}
END_TEST

START_TEST(the_cap_folds_flows_without_a_seat)
{
	struct flow_key k[3] = { key(7, 0, 2, 40000, 53), key(7, 0, 3, 40000, 53),
				 key(7, 0, 4, 40000, 53) };
	uint64_t p[3] = { 5, 7, 11 };

	ls.max_series = 2;
	start();
	totals(7, 0, 0);
	update(1);
	table(k, p, 3);
	totals(7, 0, 23);
	update(1);
	ck_assert_uint_eq(st.n_flow_series, 2);
	ck_assert_uint_eq(st.stats.refused, 1);
	p[0] = 6, p[1] = 8, p[2] = 12;
	table(k, p, 3);
	totals(7, 0, 26);
	update(1);
	ck_assert_uint_eq(shown(&k[0]) + shown(&k[1]) + fold("vA", 0), 26);
	ck_assert_ptr_null(find(&k[2], "vA", 0));
	ck_assert_uint_eq(fold("vA", 0), 12);
}
END_TEST

START_TEST(an_idle_series_leaves_and_frees_its_seat)
{
	struct flow_key k[2] = { key(7, 0, 2, 40000, 53), key(7, 0, 3, 40000, 53) };
	uint64_t p[2] = { 5, 7 };

	ls.max_series = 1;
	start();
	table(k, p, 1);
	totals(7, 0, 5);
	update(1);
	ck_assert_uint_eq(shown(&k[0]), 5);
	table(k, p, 2);
	totals(7, 0, 12);
	update(1);
	ck_assert_uint_eq(fold("vA", 0), 7);
	/* The first flow stays idle for the retention: its series leaves. */
	p[1] = 9;
	table(k, p, 2);
	totals(7, 0, 14);
	update(10);
	ck_assert_ptr_null(find(&k[0], "vA", 0));
	ck_assert_uint_eq(st.stats.removed, 1);
	ck_assert_uint_eq(fold("vA", 0), 9);
	/* The second takes the seat, from zero: what it had is in the fold. */
	p[1] = 10;
	table(k, p, 2);
	totals(7, 0, 15);
	update(1);
	ck_assert_uint_eq(shown(&k[1]), 0);
	update(1);
	ck_assert_uint_eq(shown(&k[1]), 1);
	ck_assert_uint_eq(fold("vA", 0), 9);
}
END_TEST

START_TEST(a_renamed_interface_starts_new_series)
{
	struct flow_key k = key(7, 0, 2, 40000, 53);
	uint64_t p = 5;

	start();
	table(&k, &p, 1);
	totals(7, 0, 5);
	update(1);
	ifnames_clear();
	ifnames_register(7, "eth9");
	p = 8;
	table(&k, &p, 1);
	totals(7, 0, 8);
	update(1);
	ck_assert_uint_eq(shown(&k), 5);	/* the old name's series stays */
	ck_assert_ptr_nonnull(find(&k, "eth9", 0));
	ck_assert_uint_eq(find(&k, "eth9", 0)->packets, 0);	/* newborn */
	ck_assert_str_eq(st.accts[0].ifname, "eth9");
	update(1);
	ck_assert_uint_eq(find(&k, "eth9", 0)->packets, 3);
}
END_TEST

START_TEST(a_failed_read_changes_nothing)
{
	struct flow_key k = key(7, 0, 2, 40000, 53);
	uint64_t p = 5;

	start();
	table(&k, &p, 1);
	totals(7, 0, 5);
	update(1);
	/* Half a read: without the guard the flow would look gone. */
	table(NULL, NULL, 0);
	snap.flows_ok = 0;
	totals(7, 0, 9);
	update(1);
	snap.flows_ok = 1;
	p = 9;
	table(&k, &p, 1);
	update(1);
	ck_assert_uint_eq(shown(&k), 9);
	ck_assert_uint_eq(fold("vA", 0), 0);
}
END_TEST

START_TEST(a_gone_interface_stays_for_the_retention)
{
	struct flow_key k = key(8, 1, 2, 40000, 53);
	uint64_t p = 5;

	start();
	table(&k, &p, 1);
	totals(8, 1, 5);
	update(1);
	ck_assert_uint_eq(st.n_accts, 1);
	table(NULL, NULL, 0);
	snap.n_ifaces = 0;
	update(5);
	ck_assert_uint_eq(st.n_accts, 1);
	ck_assert_uint_eq(shown(&k), 5);
	ck_assert_uint_eq(fold("vB", 1), 0);
	update(9);	/* series leave 10 s after they last grew */
	ck_assert_uint_eq(st.n_series, 0);
	ck_assert_uint_eq(st.n_accts, 1);
	update(1);	/* the interface's totals 10 s after it left */
	ck_assert_uint_eq(st.n_accts, 0);
	ck_assert_uint_eq(st.n_series, 0);
}
END_TEST

/* Flows of an interface the totals do not hold (yet): its account, made
 * by the flows, stays for the retention like that of an interface that
 * left, instead of going in the same update and making every flow look
 * its series up again at the next. */
START_TEST(an_account_made_by_flows_stays_for_the_retention)
{
	struct flow_key k = key(8, 1, 2, 40000, 53);
	uint64_t p = 5;
	uint32_t epoch;

	start();
	table(&k, &p, 1);
	update(1);
	ck_assert_uint_eq(st.n_accts, 1);
	epoch = st.epoch;
	p = 7;
	table(&k, &p, 1);
	update(1);
	ck_assert_uint_eq(st.n_accts, 1);
	ck_assert_uint_eq(st.epoch, epoch);	/* the flow kept its series */
	ck_assert_uint_eq(shown(&k), 7);
	update(9);	/* 10 s after it was first met without totals */
	ck_assert_uint_eq(st.n_accts, 0);
}
END_TEST

/* Deleted and made again between two reads (a new ifindex, the same name):
 * the one that left goes at once, so no two accounts share their labels. */
START_TEST(a_recreated_interface_takes_its_name_over_at_once)
{
	start();
	totals(8, 1, 5);
	update(1);
	ifnames_register(9, "vB");
	snap.n_ifaces = 0;
	totals(9, 1, 2);
	update(1);
	ck_assert_uint_eq(st.n_accts, 1);
	ck_assert_uint_eq(st.accts[0].id >> 8, 9);
	ck_assert_str_eq(st.accts[0].ifname, "vB");
}
END_TEST

START_TEST(a_replay_is_born_whole_without_folds)
{
	struct flow_key k = key(7, 0, 2, 40000, 53);
	uint64_t p = 5;

	ls.one_read = 1;
	start();
	totals(7, 0, 0);
	update(1);
	table(&k, &p, 1);
	totals(7, 0, 6);	/* one malformed packet */
	update(1);
	ck_assert_uint_eq(shown(&k), 5);
	ck_assert_ptr_null(find(NULL, "vA", 0));
	ck_assert_uint_eq(st.accts[0].unaccounted[0], 1);
}
END_TEST

START_TEST(a_deleted_flow_back_with_as_many_packets_counts_anew)
{
	struct flow_key k = key(7, 0, 2, 40000, 53);
	struct flow_value gone = { .packets = 6, .bytes = 600 };
	uint64_t p = 5;

	start();
	table(&k, &p, 1);
	totals(7, 0, 5);
	update(1);
	/* The sweeper deletes it at 6 packets; it comes back and counts 6. */
	p = 6;
	table(&k, &p, 1);
	totals(7, 0, 12);
	now += S;
	series_begin(&st, &snap, now, (double)now / S);
	series_flow_gone(&st, &k, &gone);
	series_flow(&st, &snap.flows[0].key, &snap.flows[0].val);
	ck_assert_int_eq(series_end(&st, 1), 0);
	ck_assert_uint_eq(shown(&k), 12);
	ck_assert_uint_eq(fold("vA", 0), 0);
}
END_TEST

START_TEST(a_replay_cap_keeps_the_largest)
{
	struct flow_key k[3] = { key(7, 0, 2, 40000, 53), key(7, 0, 3, 40000, 53),
				 key(7, 0, 4, 40000, 53) };
	uint64_t p[3] = { 5, 7, 5 };

	ls.one_read = 1;
	ls.max_series = 2;
	start();
	table(k, p, 3);
	totals(7, 0, 17);
	update(1);
	ck_assert_uint_eq(st.n_flow_series, 2);
	ck_assert_uint_eq(shown(&k[1]), 7);
	ck_assert_uint_eq(shown(&k[0]), 5);	/* a tie: the smaller address */
	ck_assert_ptr_null(find(&k[2], "vA", 0));
	ck_assert_uint_eq(fold("vA", 0), 5);
	update(600);	/* a replay's series never leave */
	ck_assert_uint_eq(st.n_series, 3);
}
END_TEST

/* ---- a random history: the invariant under churn ------------------------ */

static uint32_t seed = 12345;

static uint32_t rnd(uint32_t n)
{
	seed = seed * 1103515245 + 12345;
	return (seed >> 8) % n;
}

struct truth {
	struct flow_key key;
	uint64_t in_table;	/* 0: not in the table */
};

static const struct series *now_of(const struct series *was)
{
	for (size_t i = 0; i < st.n_series; i++)
		if (!memcmp(&st.series[i].key, &was->key, sizeof(was->key)))
			return &st.series[i];
	return NULL;
}

/* Per direction, what the series show (and will show: a newborn's
 * pending), plus what retired series showed when they left, is the total. */
static void check_invariant(const uint64_t *total, const struct series *before, size_t n_before,
			    uint64_t *retired)
{
	for (size_t j = 0; j < n_before; j++) {
		const struct series *s = now_of(&before[j]);

		if (!s)
			retired[before[j].key.direction] += before[j].packets + before[j].pending[0];
		else	/* every series that stays is at least where it was */
			ck_assert_uint_ge(s->packets, before[j].packets);
	}
	for (uint8_t dir = 0; dir < 2; dir++) {
		uint64_t sum = retired[dir];

		for (size_t i = 0; i < st.n_series; i++)
			if (st.series[i].key.direction == dir)
				sum += st.series[i].packets + st.series[i].pending[0];
		ck_assert_uint_eq(sum, total[dir]);
	}
}

START_TEST(random_churn_keeps_every_sum)
{
	enum { FLOWS = 64, ROUNDS = 300 };
	struct truth t[FLOWS];
	struct flow_key keys[FLOWS];
	uint64_t packets[FLOWS], total[2] = { 0, 0 }, retired[2] = { 0, 0 };
	struct series *before = NULL;

	ls.max_series = (uint32_t)_i;	/* 0 (no cap), then small caps */
	ls.mask = _i % 2 ? FL_FULL : FL_SERVICES;
	start();
	for (int i = 0; i < FLOWS; i++)
		t[i] = (struct truth){ key(7, (uint8_t)(i % 2), (uint8_t)(i % 5),
					   (uint16_t)(40000 + i), (uint16_t)(53 + i % 3)), 0 };
	for (int r = 0; r < ROUNDS; r++) {
		size_t n = 0, n_before = st.n_series;

		for (int i = 0; i < FLOWS; i++) {
			if (rnd(10) < 4) {	/* packets */
				uint64_t more = 1 + rnd(5);

				t[i].in_table += more;
				total[t[i].key.direction] += more;
			}
			if (rnd(8) == 0)	/* evicted or expired, maybe unread */
				t[i].in_table = 0;
			if (t[i].in_table) {
				keys[n] = t[i].key;
				packets[n++] = t[i].in_table;
			}
		}
		table(keys, packets, n);
		totals(7, 0, total[0]);
		totals(7, 1, total[1]);
		before = realloc(before, (n_before ? n_before : 1) * sizeof(*before));
		memcpy(before, st.series, n_before * sizeof(*before));
		update(1 + rnd(4));
		check_invariant(total, before, n_before, retired);
		if (ls.max_series)
			ck_assert_uint_le(st.n_flow_series, ls.max_series);
	}
	free(before);
}
END_TEST

static Suite *series_suite(void)
{
	Suite *s = suite_create("series");
	TCase *tc = tcase_create("accounting");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, first_read_is_born_whole);
	tcase_add_test(tc, a_newborn_shows_zero_then_everything);
	tcase_add_test(tc, an_eviction_lands_in_the_fold);
	tcase_add_test(tc, a_reinserted_flow_with_fewer_packets_restarted);
	tcase_add_test(tc, series_that_sum_flows_never_drop);
	tcase_add_test(tc, the_cap_folds_flows_without_a_seat);
	tcase_add_test(tc, an_idle_series_leaves_and_frees_its_seat);
	tcase_add_test(tc, a_renamed_interface_starts_new_series);
	tcase_add_test(tc, a_failed_read_changes_nothing);
	tcase_add_test(tc, a_gone_interface_stays_for_the_retention);
	tcase_add_test(tc, an_account_made_by_flows_stays_for_the_retention);
	tcase_add_test(tc, a_recreated_interface_takes_its_name_over_at_once);
	tcase_add_test(tc, a_replay_is_born_whole_without_folds);
	tcase_add_test(tc, a_deleted_flow_back_with_as_many_packets_counts_anew);
	tcase_add_test(tc, a_replay_cap_keeps_the_largest);
	tcase_add_loop_test(tc, random_churn_keeps_every_sum, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(series_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
