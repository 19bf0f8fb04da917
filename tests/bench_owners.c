// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_owners: what owners cost the data plane. Times the programs per
 * packet with BPF_PROG_TEST_RUN (repeat, one CPU, a flow already in the
 * table) with owners off, on, and on as on kernels before 6.2, for an
 * ingress UDP datagram to a bound socket (the lookup finds it), an
 * ingress datagram to a port without one (the lookup finds nothing), an
 * ingress TCP segment to a listener, and an egress datagram.
 * Binds 198.18.0.1:5001 (UDP) and :5002 (TCP listener), so it runs in a
 * network namespace that has that address: scripts/bench-owners.sh makes
 * one. Usage: bench_owners [REPEAT]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "frames.h"
#include "log.h"
#include "tcflow.h"
#include "tcflow.skel.h"

static struct frame udp_hit, udp_miss, tcp_syn, udp_out;

static void udp4(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 uint16_t sport, uint16_t dport)
{
	struct ipv4_spec s = { .protocol = proto, .src = src, .dst = dst };

	frame_init(f);
	frame_eth(f, ETHERTYPE_IPV4);
	frame_ipv4(f, &s);
	frame_l4(f, proto, sport, dport);
	frame_fill(f, 64, 0xab);
	frame_finish(f);
}

static int bind_local(int type, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, type, 0);

	memcpy(&a.sin_addr, ip4_1, 4);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 1))) {
		fprintf(stderr, "bench_owners: binding 198.18.0.1:%u: %s (run it through scripts/bench-owners.sh)\n",
			port, strerror(errno));
		return -1;
	}
	return fd;
}

#define ROUNDS 9

static const struct {
	const char *name;
	int owners, compat;
} configs[] = {
	{ "owners off", 0, 0 },
	{ "owners on", 1, 0 },
	{ "owners on, before 6.2", 1, 1 },
};

static const struct {
	const char *what;
	const struct frame *f;
	int egress;
} cases[] = {
	{ "ingress udp, socket", &udp_hit, 0 },
	{ "ingress udp, no socket", &udp_miss, 0 },
	{ "ingress tcp, listener", &tcp_syn, 0 },
	{ "egress udp", &udp_out, 1 },
};

#define N_CONFIGS (sizeof(configs) / sizeof(configs[0]))
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* ns per run of prog on f, averaged over repeat runs. */
static double ns_per_packet(struct bpf_program *prog, const struct frame *f, uint32_t repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->data, .data_size_in = (uint32_t)f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o)) {
		fprintf(stderr, "bench_owners: test run: %s\n", strerror(errno));
		exit(1);
	}
	return o.duration;
}

/* The cgroup id the one flow has in the table (0: none). */
static unsigned long long owner_of(struct tcflow *skel)
{
	struct flow_key next;
	int fd = bpf_map__fd(skel->maps.flows);

	memset(&next, 0, sizeof(next));
	if (bpf_map_get_next_key(fd, NULL, &next) || !bpf_loader_owners(skel))
		return 0;
	return next.cgroup_id;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint32_t repeat = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	int u, t;

	log_route_libbpf();
	if ((u = bind_local(SOCK_DGRAM, 5001)) < 0 || (t = bind_local(SOCK_STREAM, 5002)) < 0)
		return 77;
	udp4(&udp_hit, ip4_2, ip4_1, P_UDP, 40000, 5001);
	udp4(&udp_miss, ip4_2, ip4_1, P_UDP, 40000, 5009);
	udp4(&tcp_syn, ip4_2, ip4_1, P_TCP, 40000, 5002);
	udp4(&udp_out, ip4_1, ip4_2, P_UDP, 5001, 40000);
	struct tcflow *skel[N_CONFIGS][N_CASES];
	double ns[N_CONFIGS][N_CASES][ROUNDS];

	/* Every setting and case loaded at once, run in turns round after
	 * round, so that a busy machine slows them all alike. */
	for (size_t c = 0; c < N_CONFIGS; c++)
		for (size_t k = 0; k < N_CASES; k++) {
			struct loader_opts o = { .flow_max_entries = 1024, .n_interfaces = 1,
						 .owners = configs[c].owners,
						 .owners_compat = configs[c].compat };

			skel[c][k] = bpf_loader_load(&o);
			if (!skel[c][k])
				return 1;
		}
	for (int r = 0; r < ROUNDS; r++)
		for (size_t c = 0; c < N_CONFIGS; c++)
			for (size_t k = 0; k < N_CASES; k++) {
				struct tcflow *sk = skel[c][k];
				struct bpf_program *p = cases[k].egress ? sk->progs.tcflow_egress
									: bpf_loader_ingress(sk);

				ns[c][k][r] = ns_per_packet(p, cases[k].f, repeat);
			}
	printf("# bench_owners: BPF_PROG_TEST_RUN, %d rounds of %u runs each, settings in turns, one flow\n",
	       ROUNDS, repeat);
	printf("%-22s %-24s %9s %9s %9s  %s\n", "setting", "packet", "median", "min", "max",
	       "owner in key");
	for (size_t c = 0; c < N_CONFIGS; c++)
		for (size_t k = 0; k < N_CASES; k++) {
			qsort(ns[c][k], ROUNDS, sizeof(double), by_value);
			printf("%-22s %-24s %6.0f ns %6.0f ns %6.0f ns  %llu\n", configs[c].name,
			       cases[k].what, ns[c][k][ROUNDS / 2], ns[c][k][0], ns[c][k][ROUNDS - 1],
			       owner_of(skel[c][k]));
			bpf_loader_destroy(skel[c][k]);
		}
	close(u);
	close(t);
	return 0;
}
