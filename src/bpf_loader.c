#include "bpf_loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
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

static int configure(struct tcflow *skel, const struct loader_opts *opts)
{
	/* Two hooks per interface, plus slack for replay's single entry. */
	uint32_t iface_entries = 2 * opts->n_interfaces + 2;
	uint32_t ring = opts->events_ring_size ? opts->events_ring_size
					       : TCFLOW_DEFAULT_RINGBUF_BYTES;
	int err;

	skel->rodata->cfg_replay = opts->replay ? 1 : 0;
	skel->rodata->cfg_loaded_reads = opts->loaded_reads ? 1 : 0;
	skel->rodata->cfg_events_sample = opts->replay ? 0 : opts->events_sample;
	/* Wake the consumer once an eighth of the ring is waiting. */
	skel->rodata->cfg_wakeup_bytes = ring / 8;
	err = bpf_map__set_max_entries(skel->maps.flows, opts->flow_max_entries);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.events, ring);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.iface_stats, iface_entries);
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
	return skel;
}

int bpf_loader_add_iface(struct tcflow *skel, uint32_t ifindex, int ingress_only)
{
	int ncpu = libbpf_num_possible_cpus();
	struct iface_value *zero;
	int fd = bpf_map__fd(skel->maps.iface_stats);
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (uint8_t dir = TCFLOW_DIR_INGRESS; dir <= TCFLOW_DIR_EGRESS && !err; dir++) {
		if (ingress_only && dir != TCFLOW_DIR_INGRESS)
			break;
		struct iface_key key = { .ifindex = ifindex, .direction = dir };

		/* BPF_NOEXIST: a restart must not wipe counts a live hook made. */
		if (bpf_map_update_elem(fd, &key, zero, BPF_NOEXIST) && errno != EEXIST)
			err = -errno;
	}
	free(zero);
	return err;
}

void bpf_loader_destroy(struct tcflow *skel)
{
	tcflow__destroy(skel);
}
