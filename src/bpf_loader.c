// SPDX-License-Identifier: BSD-2-Clause
#include "bpf_loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "tcflow.h"
#include "tcflow.skel.h"

static void report_load_error(int err)
{
	if (err == EPERM)
		pr_err("missing privileges to load the BPF programs: %s (run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)\n",
		       strerror(err));
	else if (err == EACCES && geteuid() != 0)
		pr_err("the kernel refused the BPF programs: %s (without root, CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON are all needed)\n",
		       strerror(err));
	else if (err == EACCES || err == EINVAL)
		pr_err("the kernel rejected the BPF programs: %s (rerun with --log.level=debug for the verifier's log)\n",
		       strerror(err));
	else
		pr_err("loading the BPF programs: %s\n", strerror(err));
}

/* Whether the running kernel has the bpf_rdonly_cast kfunc (6.2). */
static int kernel_has_rdonly_cast(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int found;

	if (!vmlinux)
		return 0;
	found = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return found;
}

/* Owners on: the flow key grows by its cgroup id, and ingress reads the
 * receiving socket's cgroup by the best means the kernel has. Off: the
 * key stops before the id and tcflow_in_owner is never loaded. */
static int configure_owners(struct tcflow *skel, const struct loader_opts *opts)
{
	int owners = opts->owners && !opts->replay;
	int cast = owners && !opts->owners_compat && kernel_has_rdonly_cast();

	skel->rodata->cfg_owner = owners ? 1 : 0;
	if (owners && !cast)
		pr_info("cgroup of ingress packets: TCP and IPv6 UDP sockets only (the kernel has no bpf_rdonly_cast, 6.2 and later do)\n");
	bpf_program__set_autoload(skel->progs.tcflow_ingress, !cast);
	bpf_program__set_autoload(skel->progs.tcflow_in_owner, cast);
	return bpf_map__set_key_size(skel->maps.flows, owners ? sizeof(struct flow_key)
							       : TCFLOW_KEY_SIZE_NO_OWNER);
}

/* The least power of 2 not below n. */
static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static uint64_t coarse_ns(int (*get)(clockid_t, struct timespec *))
{
	struct timespec ts = { 0, 0 };

	get(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The programs stamp flows with jiffies * tick + clock_offset_ns (see
 * count_flow()); the offset makes that CLOCK_MONOTONIC_COARSE, which
 * flow_expiry.c compares with. jiffies advance once per tick of that
 * clock, so one pairing holds, to a tick, for as long as the programs run.
 */
static int calibrate_clock(struct tcflow *skel)
{
	unsigned char frame[14] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .data_size_in = sizeof(frame),
		    .repeat = 1);
	uint64_t before, after;
	int err;

	before = coarse_ns(clock_gettime);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.tcflow_clock), &run);
	after = coarse_ns(clock_gettime);
	if (err)
		return -errno;
	skel->bss->clock_offset_ns = before + (after - before) / 2 -
				     skel->bss->clock_jiffies * skel->rodata->cfg_tick_ns;
	return 0;
}

static int configure(struct tcflow *skel, const struct loader_opts *opts)
{
	/* Two hooks per interface, plus slack for replay's single entry; a
	 * home slot per hook (more when the count is not a power of 2) and a
	 * spare per hook, so every hook has a place whatever its ifindex. */
	uint32_t hooks = 2 * opts->n_interfaces + 2;
	uint32_t homes = pow2_at_least(hooks);
	uint32_t ring = opts->events_ring_size ? opts->events_ring_size
					       : TCFLOW_DEFAULT_RINGBUF_BYTES;
	int err;

	skel->rodata->cfg_replay = opts->replay ? 1 : 0;
	skel->rodata->cfg_loaded_reads = opts->loaded_reads ? 1 : 0;
	skel->rodata->cfg_events_sample = opts->replay ? 0 : opts->events_sample;
	skel->rodata->cfg_iface_mask = homes - 1;
	skel->rodata->cfg_tick_ns = coarse_ns(clock_getres);
	/* Wake the consumer once an eighth of the ring is waiting. */
	skel->rodata->cfg_wakeup_bytes = ring / 8;
	err = bpf_map__set_max_entries(skel->maps.flows, opts->flow_max_entries);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.events, ring);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.iface_stats, homes + hooks);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.iface_index, hooks);
	if (!err)
		err = configure_owners(skel, opts);
	return err;
}

struct tcflow *bpf_loader_load(const struct loader_opts *opts)
{
	struct tcflow *skel = tcflow__open();
	int err;

	if (!skel) {
		report_load_error(errno);
		return NULL;
	}
	err = configure(skel, opts);
	if (err) {
		pr_err("configuring the BPF maps: %s\n", strerror(-err));
		tcflow__destroy(skel);
		return NULL;
	}
	err = tcflow__load(skel);
	if (err) {
		report_load_error(-err);
		tcflow__destroy(skel);
		return NULL;
	}
	err = calibrate_clock(skel);
	if (err) {
		pr_err("reading the kernel's tick count: %s\n", strerror(-err));
		tcflow__destroy(skel);
		return NULL;
	}
	return skel;
}

/* ---- interface slots (see struct iface_value) ----------------------------
 * A slot is free when no CPU's copy carries a tag. Between reading a slot
 * and writing it back, a program may take the same home slot on another CPU
 * for a hook nobody announced; its counts there would be lost. Announced
 * hooks never race so: user space places them before attaching. */

struct slots {
	int fd, ncpu;
	uint32_t homes, total;
	struct iface_value *vals;	/* one slot's copies, one per CPU */
};

static int slots_open(struct tcflow *skel, struct slots *t)
{
	t->fd = bpf_map__fd(skel->maps.iface_stats);
	t->ncpu = libbpf_num_possible_cpus();
	t->homes = skel->rodata->cfg_iface_mask + 1;
	t->total = bpf_map__max_entries(skel->maps.iface_stats);
	if (t->ncpu <= 0)
		return t->ncpu ? t->ncpu : -EINVAL;
	t->vals = calloc((size_t)t->ncpu, sizeof(*t->vals));
	return t->vals ? 0 : -ENOMEM;
}

static int slot_read(struct slots *t, uint32_t slot)
{
	return bpf_map_lookup_elem(t->fd, &slot, t->vals) ? -errno : 0;
}

static int slot_write(struct slots *t, uint32_t slot)
{
	return bpf_map_update_elem(t->fd, &slot, t->vals, BPF_ANY) ? -errno : 0;
}

/* Whether a copy of the slot holds a hook other than tag's. */
static int slot_foreign(const struct slots *t, uint64_t tag)
{
	for (int cpu = 0; cpu < t->ncpu; cpu++)
		if (t->vals[cpu].tag && t->vals[cpu].tag != tag)
			return 1;
	return 0;
}

/* Puts tag in every copy of the slot just read; copies that already count
 * it keep their counts (a hook a program counted before we got here). */
static int slot_take(struct slots *t, uint32_t slot, uint64_t tag)
{
	for (int cpu = 0; cpu < t->ncpu; cpu++) {
		if (t->vals[cpu].tag != tag) {
			memset(&t->vals[cpu], 0, sizeof(t->vals[cpu]));
			t->vals[cpu].tag = tag;
		}
	}
	return slot_write(t, slot);
}

/* Frees tag's copies of the slot; 0 when it had none. */
static int slot_drop(struct slots *t, uint32_t slot, uint64_t tag)
{
	int found = 0, err = slot_read(t, slot);

	if (err)
		return err;
	for (int cpu = 0; cpu < t->ncpu; cpu++) {
		if (t->vals[cpu].tag == tag) {
			memset(&t->vals[cpu], 0, sizeof(t->vals[cpu]));
			found = 1;
		}
	}
	return found ? slot_write(t, slot) : 0;
}

/* A spare slot for a hook whose home another hook holds: probing from a
 * place the tag picks, so that spares of many hooks rarely meet. */
static int place_spare(struct tcflow *skel, struct slots *t, const struct iface_key *key,
		       uint64_t tag)
{
	int idx = bpf_map__fd(skel->maps.iface_index);
	uint32_t spares = t->total - t->homes, slot;
	int err;

	if (bpf_map_lookup_elem(idx, key, &slot) == 0)
		return 0;	/* placed already */
	for (uint32_t i = 0; i < spares; i++) {
		slot = t->homes + (uint32_t)((tag * 0x9e3779b97f4a7c15ULL >> 32) + i) % spares;
		err = slot_read(t, slot);
		if (err)
			return err;
		if (slot_foreign(t, 0))
			continue;
		err = slot_take(t, slot, tag);
		if (!err && bpf_map_update_elem(idx, key, &slot, BPF_NOEXIST))
			err = -errno;
		return err;
	}
	return -ENOSPC;
}

static int place_hook(struct tcflow *skel, struct slots *t, uint32_t ifindex, uint8_t dir)
{
	struct iface_key key = { .ifindex = ifindex, .direction = dir };
	uint64_t tag = tcflow_iface_tag(ifindex, dir);
	uint32_t home = tcflow_iface_home(ifindex, dir, t->homes - 1);
	int err = slot_read(t, home);

	if (err)
		return err;
	if (!slot_foreign(t, tag))
		return slot_take(t, home, tag);
	return place_spare(skel, t, &key, tag);
}

int bpf_loader_add_iface(struct tcflow *skel, uint32_t ifindex, int ingress_only)
{
	struct slots t;
	int err = slots_open(skel, &t);

	for (uint8_t dir = TCFLOW_DIR_INGRESS; dir <= TCFLOW_DIR_EGRESS && !err; dir++) {
		if (ingress_only && dir != TCFLOW_DIR_INGRESS)
			break;
		err = place_hook(skel, &t, ifindex, dir);
	}
	free(t.vals);
	return err;
}

int bpf_loader_remove_iface(struct tcflow *skel, uint32_t ifindex)
{
	int idx = bpf_map__fd(skel->maps.iface_index);
	struct slots t;
	int err = slots_open(skel, &t);

	for (uint8_t dir = TCFLOW_DIR_INGRESS; dir <= TCFLOW_DIR_EGRESS && !err; dir++) {
		struct iface_key key = { .ifindex = ifindex, .direction = dir };
		uint64_t tag = tcflow_iface_tag(ifindex, dir);
		uint32_t spare;

		err = slot_drop(&t, tcflow_iface_home(ifindex, dir, t.homes - 1), tag);
		if (!err && bpf_map_lookup_elem(idx, &key, &spare) == 0) {
			err = slot_drop(&t, spare, tag);
			if (!err && bpf_map_delete_elem(idx, &key) && errno != ENOENT)
				err = -errno;
		}
	}
	free(t.vals);
	return err;
}

void bpf_loader_destroy(struct tcflow *skel)
{
	tcflow__destroy(skel);
}

struct bpf_program *bpf_loader_ingress(struct tcflow *skel)
{
	return bpf_program__autoload(skel->progs.tcflow_in_owner) ?
	       skel->progs.tcflow_in_owner : skel->progs.tcflow_ingress;
}

int bpf_loader_owners(struct tcflow *skel)
{
	return skel->rodata->cfg_owner;
}
