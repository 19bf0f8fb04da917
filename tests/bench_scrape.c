/*
 * bench_scrape: how the exporter scales with the flow table. Fills the
 * table with N flows by batch map writes, then times one scrape as the
 * exporter does it (batch read, aggregate, render) and gzip, and reports
 * response sizes and peak memory. With --percpu the table is an LRU
 * per-CPU hash instead, to compare. --packet-ns also times the ingress
 * program per packet with BPF_PROG_TEST_RUN (repeat), on a flow that is
 * in the table and on one that is not.
 * Run by scripts/bench-scrape.sh; one process per size so that peak RSS is
 * that size's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "map_reader.h"
#include "render.h"
#include "scrape.h"
#include "tcflow.skel.h"

#define CHUNK 8192

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_key(struct flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = 2 + (i & 1);
	k->direction = (i >> 1) & 1;
	k->family = TCFLOW_FAM_IPV4;
	k->protocol = i % 3 ? 6 : 17;
	k->src_addr[0] = 198; k->src_addr[1] = 18;
	k->src_addr[2] = (uint8_t)(i >> 16); k->src_addr[3] = (uint8_t)(i >> 8);
	k->dst_addr[0] = 198; k->dst_addr[1] = 19; k->dst_addr[3] = (uint8_t)i;
	k->src_port = (uint16_t)(32768 + (i % 28000));
	k->dst_port = (uint16_t)(i % 7 ? 443 : 53);
}

static int fill(int fd, uint32_t n, int ncpu)
{
	size_t vsize = ncpu ? (size_t)ncpu * sizeof(struct flow_value) : sizeof(struct flow_value);
	struct flow_key *keys = calloc(CHUNK, sizeof(*keys));
	char *vals = calloc(CHUNK, vsize);

	for (uint32_t base = 0; base < n; base += CHUNK) {
		uint32_t count = n - base < CHUNK ? n - base : CHUNK;

		for (uint32_t i = 0; i < count; i++) {
			struct flow_value *v = (struct flow_value *)(vals + i * vsize);

			make_key(&keys[i], base + i);
			v->packets = 1 + (base + i) % 1000;
			v->bytes = v->packets * 700;
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
			perror("bpf_map_update_batch");
			return -1;
		}
	}
	free(keys);
	free(vals);
	return 0;
}

/* The per-CPU table, summed the way a per-CPU exporter would have to. */
static int sum_percpu(void *ctx, const void *key, const void *value)
{
	struct snapshot *s = ctx;
	const struct flow_value *v = value;
	struct flow_entry e = { 0 };
	int ncpu = libbpf_num_possible_cpus();

	memcpy(&e.key, key, sizeof(e.key));
	for (int c = 0; c < ncpu; c++) {
		e.val.packets += v[c].packets;
		e.val.bytes += v[c].bytes;
	}
	if (s->n_flows == s->cap_flows) {
		s->cap_flows = s->cap_flows ? s->cap_flows * 2 : 1024;
		s->flows = realloc(s->flows, s->cap_flows * sizeof(*s->flows));
	}
	s->flows[s->n_flows++] = e;
	return 0;
}

static double packet_ns(struct tcflow *skel, int existing)
{
	unsigned char frame[106] = { 0 };
	struct __sk_buff ctx = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = existing ? 1000000 : 1);
	double total = 0;
	int runs = existing ? 1 : 20000;

	frame[12] = 0x08;		/* IPv4 */
	frame[14] = 0x45;
	frame[23] = 17;			/* UDP */
	frame[26] = 198; frame[27] = 18; frame[30] = 198; frame[31] = 19;
	frame[34] = 0x9c; frame[35] = 0x40; frame[36] = 0; frame[37] = 53;
	for (int r = 0; r < runs; r++) {
		/* A new flow every run: the insert path, with LRU eviction. */
		frame[29] = (unsigned char)r;
		frame[28] = (unsigned char)(r >> 8);
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.tcflow_ingress), &opts))
			return -1;
		total += opts.duration;
	}
	return total / runs;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
	int percpu = argc > 2 && !strcmp(argv[2], "--percpu");
	uint32_t max_series = argc > 2 && !strncmp(argv[argc - 1], "--max-series=", 13) ?
			      (uint32_t)strtoul(argv[argc - 1] + 13, NULL, 10) : 0;
	struct label_set ls;
	struct loader_opts lo = { .flow_max_entries = n + n / 4 + 1024, .replay = 0 };
	struct snapshot snap = { 0 };
	struct strbuf text = { 0 }, gz = { 0 };
	struct render_input in = { .snap = &snap, .flow_max_entries = lo.flow_max_entries };
	struct tcflow *skel;
	struct rusage ru;
	double t0, t1, t2, t3, t4;
	int fd, ncpu = libbpf_num_possible_cpus();

	label_set_default(&ls);
	ls.max_series = max_series;
	in.labels = &ls;
	skel = percpu ? NULL : bpf_loader_load(&lo);
	if (percpu) {
		/* Same program, the table as an LRU per-CPU hash. */
		skel = tcflow__open();
		bpf_map__set_type(skel->maps.flows, BPF_MAP_TYPE_LRU_PERCPU_HASH);
		bpf_map__set_max_entries(skel->maps.flows, lo.flow_max_entries);
		if (tcflow__load(skel)) {
			fprintf(stderr, "load failed\n");
			return 1;
		}
	}
	if (!skel)
		return 1;
	fd = bpf_map__fd(skel->maps.flows);
	if (fill(fd, n, percpu ? ncpu : 0))
		return 1;
	/* Twice: the exporter reuses its buffers from scrape to scrape, so the
	 * second scrape, without first-touch page faults, is the steady state. */
	for (int round = 0; round < 2; round++) {
		snap.n_flows = 0;
		strbuf_reset(&text);
		t0 = now();
		if (percpu)
			map_drain(fd, sizeof(struct flow_key), ncpu * sizeof(struct flow_value),
				  sum_percpu, &snap);
		else
			map_read_flows(fd, &snap);
		t1 = now();
		map_read_ifaces(bpf_map__fd(skel->maps.iface_stats), &snap);
		map_read_losses(bpf_map__fd(skel->maps.losses), &snap);
		t2 = now();
		render_exposition(&text, &in);
		t3 = now();
		gzip_compress(&text, &gz);
		t4 = now();
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%s%s %u flows: read %.3f s, render %.3f s, scrape %.3f s, gzip %.3f s, "
	       "%zu bytes (%zu gzip), peak RSS %ld MiB, packet %.0f ns (known flow) %.0f ns (new flow)\n",
	       percpu ? "lru-percpu" : "lru", max_series ? " max-series" : "", n, t1 - t0, t3 - t2, (t1 - t0) + (t3 - t2), t4 - t3,
	       text.len, gz.len, ru.ru_maxrss / 1024, packet_ns(skel, 1), packet_ns(skel, 0));
	bpf_loader_destroy(skel);
	return 0;
}
