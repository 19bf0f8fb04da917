// SPDX-License-Identifier: BSD-2-Clause
/* Reading the kernel's tables (map_reader.c) from maps with known entries:
 * every entry exactly once, with its values, whatever the number of batch
 * reads it takes or what changes between them; the interface copies
 * summed per hook; the loss counters summed over CPUs; a failed map
 * marked, not fatal. Needs CAP_BPF to create maps; otherwise exits 77. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "map_reader.h"
#include "tables.h"

/* One batch read returns at most 4,096 flows (BATCH_ENTRIES): these
 * sizes need no batch, one, exactly one full one, one more, and three. */
static const uint32_t table_sizes[] = { 0, 1, 4096, 4097, 10000 };
#define MAX_FLOWS 16384

static int flows_fd = -1;
static struct snapshot snap;

static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	flows_fd = tables_flows(MAX_FLOWS, TCFLOW_KEY_SIZE_NO_OWNER);
	ck_assert_int_ge(flows_fd, 0);
}

static void teardown(void)
{
	snapshot_free(&snap);
	close(flows_fd);
}

/* Flows 0..n-1, flow i with i + 1 packets of 100 bytes, seen at i. */
static void fill(int fd, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct flow_key k = tables_key(i);

		ck_assert_int_eq(tables_put_flow(fd, &k, i + 1, (i + 1) * 100ULL, i), 0);
	}
}

START_TEST(every_flow_once_with_its_counts)
{
	uint32_t n = table_sizes[_i];
	unsigned char *seen = calloc(MAX_FLOWS, 1);

	fill(flows_fd, n);
	ck_assert_int_eq(map_read_flows(flows_fd, &snap), 0);
	ck_assert_uint_eq(snap.n_flows, n);
	for (size_t j = 0; j < snap.n_flows; j++) {
		const struct flow_entry *e = &snap.flows[j];
		int i = tables_index(&e->key);

		ck_assert_int_ge(i, 0);
		ck_assert_int_lt(i, (int)n);
		ck_assert_msg(!seen[i], "flow %d read twice", i);
		seen[i] = 1;
		ck_assert_uint_eq(e->val.packets, i + 1);
		ck_assert_uint_eq(e->val.bytes, (i + 1) * 100ULL);
		ck_assert_uint_eq(e->val.last_seen_ns, i);
	}
	free(seen);
}
END_TEST

/* A second read replaces the first: the buffers are reused, never appended to. */
START_TEST(reread_replaces)
{
	fill(flows_fd, 5000);
	ck_assert_int_eq(map_read_flows(flows_fd, &snap), 0);
	ck_assert_uint_eq(snap.n_flows, 5000);
	for (uint32_t i = 0; i < 4998; i++) {
		struct flow_key k = tables_key(i);

		ck_assert_int_eq(bpf_map_delete_elem(flows_fd, &k), 0);
	}
	ck_assert_int_eq(map_read_flows(flows_fd, &snap), 0);
	ck_assert_uint_eq(snap.n_flows, 2);
	ck_assert_int_ge(tables_index(&snap.flows[0].key), 4998);
	ck_assert_int_ge(tables_index(&snap.flows[1].key), 4998);
	ck_assert_int_ne(tables_index(&snap.flows[0].key), tables_index(&snap.flows[1].key));
}
END_TEST

/* Owners off: the table's key is 44 bytes and is read back whole, the
 * owner's bytes zero. Owners on: the cgroup id is part of the key. */
START_TEST(key_size_follows_the_table)
{
	int owned = tables_flows(16, sizeof(struct flow_key));
	struct flow_key k = tables_key(3);

	ck_assert_int_ge(owned, 0);
	ck_assert_uint_eq(flow_key_size(flows_fd), TCFLOW_KEY_SIZE_NO_OWNER);
	ck_assert_uint_eq(flow_key_size(owned), sizeof(struct flow_key));
	ck_assert_int_eq(tables_put_flow(flows_fd, &k, 1, 60, 0), 0);
	ck_assert_int_eq(map_read_flows(flows_fd, &snap), 0);
	ck_assert_uint_eq(snap.n_flows, 1);
	ck_assert_int_eq(tables_index(&snap.flows[0].key), 3);
	ck_assert_uint_eq(snap.flows[0].key.pad2, 0);
	ck_assert_uint_eq(snap.flows[0].key.cgroup_id, 0);

	k.cgroup_id = 4242;
	ck_assert_int_eq(tables_put_flow(owned, &k, 2, 120, 0), 0);
	k.cgroup_id = 4343;
	ck_assert_int_eq(tables_put_flow(owned, &k, 5, 300, 0), 0);
	ck_assert_int_eq(map_read_flows(owned, &snap), 0);
	ck_assert_uint_eq(snap.n_flows, 2);
	for (int j = 0; j < 2; j++) {
		const struct flow_entry *e = &snap.flows[j];

		ck_assert_int_eq(tables_index(&e->key), 3);
		ck_assert_uint_eq(e->val.packets, e->key.cgroup_id == 4242 ? 2 : 5);
		ck_assert_uint_eq(e->key.cgroup_id, e->val.packets == 2 ? 4242 : 4343);
	}
	close(owned);
}
END_TEST

/* What the callbacks of one map_drain saw, and a change to make to the
 * table at the first of them, between the first batch and the next. */
struct drain_log {
	int fd;
	unsigned int calls;
	unsigned int stop_at;		/* return -ECANCELED at this call; 0: never */
	unsigned char seen[MAX_FLOWS];	/* times each flow was delivered */
	void (*at_first)(struct drain_log *d);
};

static int log_entry(void *ctx, const void *key, const void *value)
{
	struct drain_log *d = ctx;
	struct flow_key k;
	int i;

	if (d->calls++ == 0 && d->at_first)
		d->at_first(d);
	if (d->stop_at && d->calls == d->stop_at)
		return -ECANCELED;
	flow_key_load(&k, key, TCFLOW_KEY_SIZE_NO_OWNER);
	i = tables_index(&k);
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(((const struct flow_value *)value)->packets, i + 1);
	d->seen[i]++;
	return 0;
}

static void add_5000(struct drain_log *d)
{
	for (uint32_t i = 10000; i < 15000; i++) {
		struct flow_key k = tables_key(i);

		ck_assert_int_eq(tables_put_flow(d->fd, &k, i + 1, 0, 0), 0);
	}
}

static void delete_odd(struct drain_log *d)
{
	for (uint32_t i = 1; i < 10000; i += 2) {
		struct flow_key k = tables_key(i);

		ck_assert_int_eq(bpf_map_delete_elem(d->fd, &k), 0);
	}
}

/* Flows that arrive during a read: the old ones all read once, a new one
 * at most once, the read not failed. */
START_TEST(flows_added_between_batches)
{
	struct drain_log *d = calloc(1, sizeof(*d));
	unsigned int added = 0;

	fill(flows_fd, 10000);
	d->fd = flows_fd;
	d->at_first = add_5000;
	ck_assert_int_eq(map_drain(flows_fd, TCFLOW_KEY_SIZE_NO_OWNER, sizeof(struct flow_value),
				   log_entry, d), 0);
	for (int i = 0; i < 10000; i++)
		ck_assert_msg(d->seen[i] == 1, "flow %d read %u times", i, d->seen[i]);
	for (int i = 10000; i < 15000; i++) {
		ck_assert_uint_le(d->seen[i], 1);
		added += d->seen[i];
	}
	ck_assert_uint_eq(d->calls, 10000 + added);
	free(d);
}
END_TEST

/* Flows deleted during a read (the idle sweeper, the LRU): each flow at
 * most once, the ones never deleted all once, and the deleted ones only
 * from the batch read before they went. */
START_TEST(flows_deleted_between_batches)
{
	struct drain_log *d = calloc(1, sizeof(*d));
	unsigned int odd = 0;

	fill(flows_fd, 10000);
	d->fd = flows_fd;
	d->at_first = delete_odd;
	ck_assert_int_eq(map_drain(flows_fd, TCFLOW_KEY_SIZE_NO_OWNER, sizeof(struct flow_value),
				   log_entry, d), 0);
	for (int i = 0; i < 10000; i += 2)
		ck_assert_msg(d->seen[i] == 1, "flow %d read %u times", i, d->seen[i]);
	for (int i = 1; i < 10000; i += 2) {
		ck_assert_uint_le(d->seen[i], 1);
		odd += d->seen[i];
	}
	ck_assert_uint_le(odd, 4096);
	ck_assert_uint_eq(d->calls, 5000 + odd);
	free(d);
}
END_TEST

/* A callback's error ends the read at once and is what map_drain returns. */
START_TEST(callback_error_stops_the_read)
{
	struct drain_log *d = calloc(1, sizeof(*d));

	fill(flows_fd, 100);
	d->stop_at = 3;
	ck_assert_int_eq(map_drain(flows_fd, TCFLOW_KEY_SIZE_NO_OWNER, sizeof(struct flow_value),
				   log_entry, d), -ECANCELED);
	ck_assert_uint_eq(d->calls, 3);
	free(d);
}
END_TEST

static struct iface_value iv(uint32_t ifindex, uint8_t dir, uint64_t v4, uint64_t v6,
			     uint64_t other, uint64_t malformed)
{
	return (struct iface_value){ .packets = { v4, v6, other },
				     .bytes = { v4 * 100, v6 * 100, other * 60 },
				     .malformed = malformed,
				     .tag = ifindex ? tcflow_iface_tag(ifindex, dir) : 0 };
}

/* Interface 7 counts in its home slots (14, 15) on two CPUs and, for
 * ingress, in a spare slot too; interface 3 in a spare slot only; a free
 * slot's stray counts belong to nobody. One entry per hook, by ifindex
 * then direction, its copies summed. */
START_TEST(interface_copies_summed_per_hook)
{
	int ncpu = libbpf_num_possible_cpus(), last = ncpu - 1;
	int fd = tables_ifaces(64);
	struct iface_value a;

	ck_assert_msg(ncpu >= 2, "needs two possible CPUs, the kernel has %d", ncpu);
	ck_assert_int_ge(fd, 0);
	a = iv(7, 0, 3, 1, 0, 0);
	ck_assert_int_eq(tables_put_iface(fd, 14, 0, &a), 0);
	a = iv(7, 0, 4, 0, 2, 1);
	ck_assert_int_eq(tables_put_iface(fd, 14, last, &a), 0);
	a = iv(7, 0, 10, 0, 0, 0);
	ck_assert_int_eq(tables_put_iface(fd, 40, last, &a), 0);
	a = iv(7, 1, 0, 5, 0, 0);
	ck_assert_int_eq(tables_put_iface(fd, 15, 0, &a), 0);
	a = iv(3, 1, 8, 0, 0, 2);
	ck_assert_int_eq(tables_put_iface(fd, 41, 0, &a), 0);
	a = iv(0, 0, 99, 99, 99, 99);
	ck_assert_int_eq(tables_put_iface(fd, 42, 0, &a), 0);

	ck_assert_int_eq(map_read_ifaces(fd, &snap), 0);
	ck_assert_uint_eq(snap.n_ifaces, 3);
	ck_assert_uint_eq(snap.ifaces[0].key.ifindex, 3);
	ck_assert_uint_eq(snap.ifaces[0].key.direction, 1);
	ck_assert_uint_eq(snap.ifaces[0].val.packets[TCFLOW_FAM_IPV4], 8);
	ck_assert_uint_eq(snap.ifaces[0].val.malformed, 2);
	ck_assert_uint_eq(snap.ifaces[1].key.ifindex, 7);
	ck_assert_uint_eq(snap.ifaces[1].key.direction, 0);
	ck_assert_uint_eq(snap.ifaces[1].val.packets[TCFLOW_FAM_IPV4], 17);
	ck_assert_uint_eq(snap.ifaces[1].val.packets[TCFLOW_FAM_IPV6], 1);
	ck_assert_uint_eq(snap.ifaces[1].val.packets[TCFLOW_FAM_OTHER], 2);
	ck_assert_uint_eq(snap.ifaces[1].val.bytes[TCFLOW_FAM_IPV4], 1700);
	ck_assert_uint_eq(snap.ifaces[1].val.bytes[TCFLOW_FAM_OTHER], 120);
	ck_assert_uint_eq(snap.ifaces[1].val.malformed, 1);
	ck_assert_uint_eq(snap.ifaces[2].key.ifindex, 7);
	ck_assert_uint_eq(snap.ifaces[2].key.direction, 1);
	ck_assert_uint_eq(snap.ifaces[2].val.packets[TCFLOW_FAM_IPV4], 0);
	ck_assert_uint_eq(snap.ifaces[2].val.packets[TCFLOW_FAM_IPV6], 5);
	ck_assert_uint_eq(snap.ifaces[2].val.bytes[TCFLOW_FAM_IPV6], 500);
	close(fd);
}
END_TEST

START_TEST(losses_summed_over_cpus)
{
	int fd = tables_losses();

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tables_put_loss(fd, TCFLOW_LOSS_FLOW_UPDATE, 2, 3), 0);
	ck_assert_int_eq(tables_put_loss(fd, TCFLOW_LOSS_EVENT_RESERVE, 0, 7), 0);
	ck_assert_int_eq(tables_put_loss(fd, TCFLOW_STAT_FLOW_INSERTS, 1000, 234), 0);
	memset(snap.losses, 0xff, sizeof(snap.losses));
	ck_assert_int_eq(map_read_losses(fd, &snap), 0);
	ck_assert_uint_eq(snap.losses[TCFLOW_LOSS_FLOW_UPDATE], 5);
	ck_assert_uint_eq(snap.losses[TCFLOW_LOSS_IFACE_UPDATE], 0);
	ck_assert_uint_eq(snap.losses[TCFLOW_LOSS_EVENT_RESERVE], 7);
	ck_assert_uint_eq(snap.losses[TCFLOW_STAT_FLOW_INSERTS], 1234);
	close(fd);
}
END_TEST

/* A map that cannot be read is marked failed; the others are still read. */
START_TEST(failed_map_is_marked_not_fatal)
{
	int ifaces = tables_ifaces(64);
	struct iface_value a = iv(7, 0, 1, 0, 0, 0);

	ck_assert_int_ge(ifaces, 0);
	ck_assert_int_eq(tables_put_iface(ifaces, 14, 0, &a), 0);
	fill(flows_fd, 3);
	snapshot_read(&snap, flows_fd, ifaces, -1);
	ck_assert_int_eq(snap.losses_ok, 0);
	ck_assert_int_eq(snap.ifaces_ok, 1);
	ck_assert_int_eq(snap.flows_ok, 1);
	ck_assert_uint_eq(snap.n_ifaces, 1);
	ck_assert_uint_eq(snap.n_flows, 3);

	snapshot_read(&snap, flows_fd, -1, -1);
	ck_assert_int_eq(snap.ifaces_ok, 0);
	ck_assert_int_eq(snap.flows_ok, 1);
	ck_assert_uint_eq(snap.n_flows, 3);

	snapshot_read(&snap, -1, ifaces, -1);
	ck_assert_int_eq(snap.flows_ok, 0);
	ck_assert_int_eq(snap.ifaces_ok, 1);
	close(ifaces);
}
END_TEST

static Suite *map_reader_suite(void)
{
	Suite *s = suite_create("map_reader");
	TCase *tc = tcase_create("flows");
	TCase *other = tcase_create("totals");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, every_flow_once_with_its_counts, 0,
			    sizeof(table_sizes) / sizeof(table_sizes[0]));
	tcase_add_test(tc, reread_replaces);
	tcase_add_test(tc, key_size_follows_the_table);
	tcase_add_test(tc, flows_added_between_batches);
	tcase_add_test(tc, flows_deleted_between_batches);
	tcase_add_test(tc, callback_error_stops_the_read);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(other, setup, teardown);
	tcase_add_test(other, interface_copies_summed_per_hook);
	tcase_add_test(other, losses_summed_over_cpus);
	tcase_add_test(other, failed_map_is_marked_not_fatal);
	suite_add_tcase(s, other);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!tables_can_run("check_map_reader"))
		return 77;
	/* The failed reads below are meant: their warnings are no news. */
	log_set_level(LOG_ERROR);
	sr = srunner_create(map_reader_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Below 77: never a skip (77), a hard error (99) or a wrapped pass. */
	return failed < 77 ? failed : 76;
}
