// SPDX-License-Identifier: BSD-2-Clause
#include "bpf_probe.h"

#include <stdio.h>
#include <unistd.h>

#include "bpf_loader.h"

int bpf_probe_can_run(const char *test, int replay)
{
	struct loader_opts o = { .flow_max_entries = 16, .n_interfaces = 1, .replay = replay };
	struct tcflow *probe;

	if (geteuid() != 0) {
		fprintf(stderr, "%s: SKIP: not root; BPF_PROG_TEST_RUN needs CAP_BPF and CAP_NET_ADMIN\n",
			test);
		return 0;
	}
	probe = bpf_loader_load(&o);
	if (!probe) {
		fprintf(stderr, "%s: SKIP: the kernel does not load the BPF object (see above)\n", test);
		return 0;
	}
	bpf_loader_destroy(probe);
	return 1;
}
