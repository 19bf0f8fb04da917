// SPDX-License-Identifier: BSD-2-Clause
#include "tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int tables_can_run(const char *test)
{
	int fd;

	if (geteuid() != 0) {
		fprintf(stderr, "%s: SKIP: not root; creating BPF maps needs CAP_BPF\n", test);
		return 0;
	}
	fd = tables_losses();
	if (fd < 0) {
		fprintf(stderr, "%s: SKIP: the kernel creates no BPF map: %s\n", test,
			strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

int tables_flows(uint32_t max_entries, size_t key_size)
{
	return bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "flows", (uint32_t)key_size,
			      sizeof(struct flow_value), max_entries, NULL);
}

int tables_ifaces(uint32_t slots)
{
	return bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "iface_stats", sizeof(uint32_t),
			      sizeof(struct iface_value), slots, NULL);
}

int tables_losses(void)
{
	return bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "losses", sizeof(uint32_t),
			      sizeof(uint64_t), TCFLOW_LOSS_MAX, NULL);
}

struct flow_key tables_key(uint32_t i)
{
	struct flow_key k = { .ifindex = 7, .direction = TCFLOW_DIR_INGRESS,
			      .family = TCFLOW_FAM_IPV4, .protocol = 6,
			      .src_port = 40000, .dst_port = 443 };

	k.src_addr[0] = 198, k.src_addr[1] = 18;
	k.src_addr[2] = (uint8_t)(i >> 8), k.src_addr[3] = (uint8_t)i;
	k.dst_addr[0] = 198, k.dst_addr[1] = 19, k.dst_addr[3] = 1;
	return k;
}

int tables_index(const struct flow_key *k)
{
	uint32_t i = (uint32_t)k->src_addr[2] << 8 | k->src_addr[3];
	struct flow_key want = tables_key(i);

	want.cgroup_id = k->cgroup_id;
	return memcmp(&want, k, sizeof(want)) ? -1 : (int)i;
}

int tables_put_flow(int fd, const struct flow_key *k, uint64_t packets, uint64_t bytes,
		    uint64_t last_seen_ns)
{
	struct flow_value v = { .packets = packets, .bytes = bytes,
				.last_seen_ns = last_seen_ns };

	return bpf_map_update_elem(fd, k, &v, BPF_ANY) ? -errno : 0;
}

int tables_put_iface(int fd, uint32_t slot, int cpu, const struct iface_value *v)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	/* Per-CPU values come rounded up to 8 bytes each. */
	size_t stride = (sizeof(*v) + 7) & ~(size_t)7;
	char *all;

	if (ncpu <= 0 || cpu >= ncpu)
		return -EINVAL;
	all = calloc((size_t)ncpu, stride);
	if (!all)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, &slot, all) ? -errno : 0;
	if (!err) {
		memcpy(all + (size_t)cpu * stride, v, sizeof(*v));
		err = bpf_map_update_elem(fd, &slot, all, BPF_ANY) ? -errno : 0;
	}
	free(all);
	return err;
}

int tables_put_loss(int fd, uint32_t slot, uint64_t cpu0, uint64_t last)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	uint64_t *all;

	if (ncpu <= 0)
		return -EINVAL;
	all = calloc((size_t)ncpu, sizeof(*all));
	if (!all)
		return -ENOMEM;
	all[0] = cpu0;
	all[ncpu - 1] += last;
	err = bpf_map_update_elem(fd, &slot, all, BPF_ANY) ? -errno : 0;
	free(all);
	return err;
}
