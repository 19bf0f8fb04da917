// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_scrape: what a scrape costs against the flow table's size. Fills
 * the table with N flows by batch map writes, then times, in the same run,
 * a bare batch read of the table (the floor: bpf_map_lookup_batch into one
 * buffer) and a scrape as the exporter makes it (read the tables, fold the
 * deltas into the series, render the body: text, or gzip as it is rendered
 * once the text passes 32 MiB), and gzip of a text body; prints the
 * ratios to the floor, the response size and peak RSS (with the floor's
 * buffer, which the exporter does not have). Values change
 * between rounds, as they do between scrapes. The first of five rounds
 * builds the state; of the other four (buffers reused: the steady state)
 * each step's best time is reported, in wall and in CPU time, so that
 * other work on the machine inflates the ratios less.
 * Usage: bench_scrape N [--labels=SPEC] [--max-series=M] [--openmetrics[-created]] [--rounds=R]
 *        [--text-max=BYTES] [--dump=FILE]
 * (--text-max: where bodies are kept gzipped only; 0 never.)
 * (--openmetrics: the format Prometheus asks for first; --openmetrics-created: with
 * _created lines, as --web.openmetrics-created writes them.)
 * (--rounds: 5 by default; more to profile the steady state.)
 * (--dump writes the last text: the same for every build, to compare.)
 * Run by scripts/bench-scrape.sh; one process per size so that peak RSS is
 * that size's own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "gzip.h"
#include "map_reader.h"
#include "render.h"
#include "scrape.h"
#include "series.h"
#include "tcflow.skel.h"

#define CHUNK 8192


struct tick {
	double wall, cpu;
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time, and the process's CPU time (user and kernel, the gzip
 * worker's included): on a machine shared with other work the CPU time is
 * the steadier of the two. */
static void tick(struct tick *t)
{
	t->wall = clock_s(CLOCK_MONOTONIC);
	t->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void best_of(struct tick *best, const struct tick *from, const struct tick *to)
{
	if (to->wall - from->wall < best->wall)
		best->wall = to->wall - from->wall;
	if (to->cpu - from->cpu < best->cpu)
		best->cpu = to->cpu - from->cpu;
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

static int fill(int fd, uint32_t n, uint64_t round)
{
	/* Keys go in at the table's key size (shorter without owners). */
	size_t vsize = sizeof(struct flow_value), ksize = flow_key_size(fd);
	char *keys = calloc(CHUNK, ksize);
	char *vals = calloc(CHUNK, vsize);
	struct flow_key k;

	for (uint32_t base = 0; base < n; base += CHUNK) {
		uint32_t count = n - base < CHUNK ? n - base : CHUNK;

		for (uint32_t i = 0; i < count; i++) {
			struct flow_value *v = (struct flow_value *)(vals + i * vsize);

			make_key(&k, base + i);
			memcpy(keys + i * ksize, &k, ksize);
			v->packets = 1 + (base + i) % 1000 + round * ((base + i) % 3);
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

/* The floor: the table read in batches into one buffer, nothing else. */
static int bare_read(int fd, uint32_t n, struct flow_key *keys, struct flow_value *vals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t token = 0;
	uint32_t got = 0, count;
	int first = 1;

	for (;;) {
		int rc;

		count = n + 1024 - got;
		if (count > 65536)
			count = 65536;
		rc = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys + got, vals + got,
					  &count, &opts);
		got += count;
		first = 0;
		if (rc && errno == ENOENT)
			break;	/* the last batch */
		if (rc)
			return -1;
	}
	return 0;
}

/* The text of a body, inflated where it was kept gzipped only. */
static int dump_text(const char *path, const struct scrape_body *b)
{
	FILE *f = fopen(path, "w");
	struct gunzip_stream *u = NULL;
	static char block[1 << 16];
	ssize_t n = 0;
	int err = !f;

	if (!err && !b->compressed_only)
		err = fwrite(b->text.data, 1, b->text.len, f) != b->text.len;
	else if (!err && (u = gunzip_stream_new(b->gzip.data, b->gzip.len)))
		while (!err && (n = gunzip_stream_read(u, block, sizeof(block))) > 0)
			err = fwrite(block, 1, (size_t)n, f) != (size_t)n;
	gunzip_stream_free(u);
	if ((f && fclose(f)) || err || n < 0 || (b->compressed_only && !u)) {
		perror(path);
		return -1;
	}
	return 0;
}

static int arg_of(int argc, char **argv, const char *name, const char **val)
{
	size_t len = strlen(name);

	for (int i = 2; i < argc; i++)
		if (!strncmp(argv[i], name, len)) {
			*val = argv[i] + len;
			return 1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
	const char *labels = "full", *cap = "0", *rounds_arg = "5", *dump, *om, *text_max = NULL;
	struct label_set ls;
	struct loader_opts lo = { .flow_max_entries = n + n / 4 + 1024, .replay = 0 };
	struct scraper sc;
	struct render_input in = { .flow_max_entries = lo.flow_max_entries, .start_time = 1 };
	struct scrape_body body = { 0 };
	struct flow_key *keys = calloc(n + 1024, sizeof(*keys));
	struct flow_value *vals = calloc(n + 1024, sizeof(*vals));
	size_t floor_bytes = (size_t)(n + 1024) * (sizeof(struct flow_key) + sizeof(struct flow_value));
	struct tcflow *skel;
	struct rusage ru;
	char err[256];
	struct tick best[4], scrape;

	for (int i = 0; i < 4; i++)
		best[i] = (struct tick){ 1e9, 1e9 };
	arg_of(argc, argv, "--labels=", &labels);
	arg_of(argc, argv, "--max-series=", &cap);
	arg_of(argc, argv, "--rounds=", &rounds_arg);
	arg_of(argc, argv, "--text-max=", &text_max);
	enum expo_format format = arg_of(argc, argv, "--openmetrics", &om) ? EXPO_OPENMETRICS :
									   EXPO_TEXT;
	label_set_default(&ls);
	ls.max_series = (uint32_t)strtoul(cap, NULL, 10);
	if (label_set_parse(&ls, labels, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	skel = bpf_loader_load(&lo);
	if (!skel || !keys || !vals)
		return 1;
	scraper_init(&sc, bpf_map__fd(skel->maps.flows), bpf_map__fd(skel->maps.iface_stats),
		     bpf_map__fd(skel->maps.losses), 0, &ls);
	in.series = &sc.series;
	in.snap = &sc.snap;
	in.created = arg_of(argc, argv, "--openmetrics-created", &om);
	if (text_max)
		sc.text_max = strtoull(text_max, NULL, 10) ?: SIZE_MAX;
	for (uint64_t round = 0, rounds = strtoull(rounds_arg, NULL, 10); round < rounds; round++) {
		struct tick t[5];

		if (fill(sc.flows_fd, n, round))
			return 1;
		tick(&t[0]);
		bare_read(sc.flows_fd, n, keys, vals);
		tick(&t[1]);
		scraper_read(&sc);
		tick(&t[2]);
		if (scrape_render(&body, (enum scrape_format)format, &in, sc.text_max, &sc.work))
			return 1;
		tick(&t[3]);
		if (!body.compressed_only &&
		    scrape_gzip(&body.text, &body.gzip, scrape_worker(&sc.work), sc.gzip_split))
			return 1;
		tick(&t[4]);
		if (round == 0)
			continue;	/* the first builds every state: not steady */
		for (int i = 0; i < 4; i++)
			best_of(&best[i], &t[i], &t[i + 1]);
	}
	getrusage(RUSAGE_SELF, &ru);
	if (arg_of(argc, argv, "--dump=", &dump) && dump_text(dump, &body))
		return 1;
	scrape.wall = best[1].wall + best[2].wall;
	scrape.cpu = best[1].cpu + best[2].cpu;
	printf("%u flows, %slabels %s, max-series %s: floor %.3f s, scrape %.3f s (%.2fx; read %.3f, "
	       "render %.3f), with gzip %.3f s (%.2fx); CPU time %.2fx, with gzip %.2fx; "
	       "%zu series, %zu bytes (%zu gzip%s), peak RSS %ld MiB (the floor's buffer %zu MiB of it)\n",
	       n, format == EXPO_OPENMETRICS ? "OpenMetrics, " : "", labels, cap, best[0].wall, scrape.wall, scrape.wall / best[0].wall, best[1].wall,
	       best[2].wall, scrape.wall + best[3].wall, (scrape.wall + best[3].wall) / best[0].wall,
	       scrape.cpu / best[0].cpu, (scrape.cpu + best[3].cpu) / best[0].cpu,
	       sc.series.n_series, body.text_len, body.gzip.len,
	       body.compressed_only ? ", kept gzipped only" : "", ru.ru_maxrss / 1024,
	       floor_bytes >> 20);
	strbuf_free(&body.text);
	strbuf_free(&body.gzip);
	free(keys);
	free(vals);
	scraper_destroy(&sc);
	bpf_loader_destroy(skel);
	return 0;
}
