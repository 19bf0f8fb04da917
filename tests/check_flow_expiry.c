// SPDX-License-Identifier: BSD-2-Clause
/* --flow.idle-timeout (flow_expiry.c) on a flow table with known flows:
 * a sweep deletes exactly the flows idle longer than the timeout, keeps
 * the others, counts what it deleted, and hands the deleted flows' last
 * counts to the next scrape, once; a scrape's read holds the deletes
 * back; the sweeper thread sweeps on its own. Needs CAP_BPF to create
 * maps; otherwise exits 77. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "flow_expiry.h"
#include "log.h"
#include "map_reader.h"
#include "tables.h"

#define S 1000000000ULL
/* Long enough that the sweeper thread (every timeout / 4) never runs
 * during a test: the sweeps below are the test's own, at its own clock. */
#define TIMEOUT_S 3600
#define NOW (10000 * S)
#define CUTOFF (NOW - TIMEOUT_S * S)

static int fd = -1;
static struct flow_expiry ex;
static struct snapshot snap;

static void start(size_t key_size, uint32_t timeout_s)
{
	memset(&snap, 0, sizeof(snap));
	fd = tables_flows(1024, key_size);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flow_expiry_start(&ex, fd, timeout_s), 0);
}

static void setup(void)
{
	start(TCFLOW_KEY_SIZE_NO_OWNER, TIMEOUT_S);
}

static void teardown(void)
{
	flow_expiry_stop(&ex);
	snapshot_free(&snap);
	close(fd);
}

static void put(uint32_t i, uint64_t packets, uint64_t last_seen_ns)
{
	struct flow_key k = tables_key(i);

	ck_assert_int_eq(tables_put_flow(fd, &k, packets, packets * 100, last_seen_ns), 0);
}

/* The indexes of the flows in the table now, as a bit set. */
static unsigned int table_now(void)
{
	unsigned int set = 0;

	ck_assert_int_eq(map_read_flows(fd, &snap), 0);
	for (size_t j = 0; j < snap.n_flows; j++) {
		int i = tables_index(&snap.flows[j].key);

		ck_assert_int_ge(i, 0);
		ck_assert_int_lt(i, 32);
		set |= 1u << i;
	}
	return set;
}

/* The flows a scrape is handed, as a bit set; checks each one's counts:
 * flow i holds 10 + i packets of 100 bytes. */
static unsigned int take_gone(size_t *n)
{
	struct flow_entry *gone = NULL;
	unsigned int set = 0;

	flow_expiry_begin_read(&ex);
	*n = flow_expiry_take_gone(&ex, &gone);
	flow_expiry_end_read(&ex);
	for (size_t j = 0; j < *n; j++) {
		int i = tables_index(&gone[j].key);

		ck_assert_int_ge(i, 0);
		ck_assert_int_lt(i, 32);
		ck_assert_uint_eq(gone[j].val.packets, 10 + i);
		ck_assert_uint_eq(gone[j].val.bytes, (10 + i) * 100ULL);
		set |= 1u << i;
	}
	free(gone);
	return set;
}

/* Idle longer than the timeout: deleted; idle exactly the timeout or
 * less: kept. */
START_TEST(idle_deleted_fresh_kept)
{
	size_t n;

	put(0, 10, CUTOFF - 1);
	put(1, 11, CUTOFF - 1000 * S);
	put(2, 12, 0);
	put(3, 13, CUTOFF);
	put(4, 14, NOW);
	ck_assert_uint_eq(flow_expiry_count(&ex), 0);
	ck_assert_int_eq(flow_expiry_sweep(&ex, NOW), 3);
	ck_assert_uint_eq(table_now(), 1u << 3 | 1u << 4);
	ck_assert_uint_eq(flow_expiry_count(&ex), 3);
	ck_assert_uint_eq(take_gone(&n), 1u << 0 | 1u << 1 | 1u << 2);
	ck_assert_uint_eq(n, 3);
}
END_TEST

/* The deleted flows are handed over once; a later sweep hands over only
 * what it deleted, and the count of expired flows only grows. */
START_TEST(gone_handed_over_once)
{
	size_t n;

	put(0, 10, CUTOFF - 1);
	put(5, 15, CUTOFF + 2 * S);
	put(6, 16, NOW);
	ck_assert_int_eq(flow_expiry_sweep(&ex, NOW), 1);
	ck_assert_uint_eq(take_gone(&n), 1u << 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(take_gone(&n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(flow_expiry_sweep(&ex, NOW), 0);
	ck_assert_uint_eq(flow_expiry_count(&ex), 1);
	/* Three seconds on, flow 5 has been idle longer than the timeout. */
	ck_assert_int_eq(flow_expiry_sweep(&ex, NOW + 3 * S), 1);
	ck_assert_uint_eq(table_now(), 1u << 6);
	ck_assert_uint_eq(flow_expiry_count(&ex), 2);
	ck_assert_uint_eq(take_gone(&n), 1u << 5);
	ck_assert_uint_eq(n, 1);
}
END_TEST

/* Without a scrape, sweeps add up: the next scrape is handed them all. */
START_TEST(gone_accumulates_between_scrapes)
{
	size_t n;

	put(7, 17, CUTOFF - 1);
	ck_assert_int_eq(flow_expiry_sweep(&ex, NOW), 1);
	put(8, 18, CUTOFF - 1);
	put(9, 19, CUTOFF - 1);
	ck_assert_int_eq(flow_expiry_sweep(&ex, NOW), 2);
	ck_assert_uint_eq(take_gone(&n), 1u << 7 | 1u << 8 | 1u << 9);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(flow_expiry_count(&ex), 3);
	ck_assert_uint_eq(table_now(), 0);
}
END_TEST

/* Owners on: flows that differ only in their owner are separate flows,
 * and the deleted one is handed over with its owner. */
START_TEST(owners_keys_whole)
{
	struct flow_key k = tables_key(1);
	struct flow_entry *gone = NULL;

	teardown();
	start(sizeof(struct flow_key), TIMEOUT_S);
	k.cgroup_id = 100;
	ck_assert_int_eq(tables_put_flow(fd, &k, 11, 1100, CUTOFF - 1), 0);
	k.cgroup_id = 200;
	ck_assert_int_eq(tables_put_flow(fd, &k, 11, 1100, NOW), 0);
	ck_assert_int_eq(flow_expiry_sweep(&ex, NOW), 1);
	ck_assert_int_eq(map_read_flows(fd, &snap), 0);
	ck_assert_uint_eq(snap.n_flows, 1);
	ck_assert_uint_eq(snap.flows[0].key.cgroup_id, 200);
	flow_expiry_begin_read(&ex);
	ck_assert_uint_eq(flow_expiry_take_gone(&ex, &gone), 1);
	flow_expiry_end_read(&ex);
	ck_assert_int_eq(tables_index(&gone[0].key), 1);
	ck_assert_uint_eq(gone[0].key.cgroup_id, 100);
	ck_assert_uint_eq(gone[0].val.packets, 11);
	free(gone);
}
END_TEST

static void *sweep_now(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)flow_expiry_sweep(&ex, NOW);
}

/* A sweep that comes while a scrape reads the table deletes nothing until
 * the read ends: the scrape never sees a flow vanish uncounted. */
START_TEST(read_holds_deletes_back)
{
	pthread_t t;
	void *deleted;
	struct timespec pause = { 0, 200 * 1000000L };
	size_t n;

	put(0, 10, CUTOFF - 1);
	flow_expiry_begin_read(&ex);
	ck_assert_int_eq(pthread_create(&t, NULL, sweep_now, NULL), 0);
	nanosleep(&pause, NULL);
	ck_assert_uint_eq(table_now(), 1u << 0);
	flow_expiry_end_read(&ex);
	ck_assert_int_eq(pthread_join(t, &deleted), 0);
	ck_assert_int_eq((int)(intptr_t)deleted, 1);
	ck_assert_uint_eq(table_now(), 0);
	ck_assert_uint_eq(take_gone(&n), 1u << 0);
}
END_TEST

/* flow_expiry_start's thread sweeps by itself (every second at a 1 s
 * timeout) at the programs' clock: a flow last seen at boot goes, one
 * stamped far ahead stays. Bounded: 10 s at most. */
START_TEST(sweeper_thread_sweeps)
{
	struct timespec pause = { 0, 50 * 1000000L };
	size_t n;

	teardown();
	start(TCFLOW_KEY_SIZE_NO_OWNER, 1);
	put(2, 12, 0);
	put(3, 13, UINT64_MAX);
	for (int i = 0; i < 200 && flow_expiry_count(&ex) == 0; i++)
		nanosleep(&pause, NULL);
	ck_assert_uint_eq(flow_expiry_count(&ex), 1);
	ck_assert_uint_eq(table_now(), 1u << 3);
	ck_assert_uint_eq(take_gone(&n), 1u << 2);
}
END_TEST

static Suite *flow_expiry_suite(void)
{
	Suite *s = suite_create("flow_expiry");
	TCase *tc = tcase_create("sweep");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, idle_deleted_fresh_kept);
	tcase_add_test(tc, gone_handed_over_once);
	tcase_add_test(tc, gone_accumulates_between_scrapes);
	tcase_add_test(tc, owners_keys_whole);
	tcase_add_test(tc, read_holds_deletes_back);
	tcase_add_test(tc, sweeper_thread_sweeps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!tables_can_run("check_flow_expiry"))
		return 77;
	log_set_level(LOG_ERROR);
	sr = srunner_create(flow_expiry_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Below 77: never a skip (77), a hard error (99) or a wrapped pass. */
	return failed < 77 ? failed : 76;
}
