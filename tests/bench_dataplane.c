// SPDX-License-Identifier: BSD-2-Clause
/*
 * The moving parts of scripts/bench-dataplane.sh (a benchmark, not a test).
 *
 *   bench_dataplane attach IFNAME OBJECT PROGRAM [MAX_ENTRIES [PRIORITY]]
 *	Loads PROGRAM alone from a BPF object as a TC classifier, no map
 *	pinned, every hash map's max_entries set to MAX_ENTRIES unless 0
 *	(the default), attaches it at IFNAME's clsact ingress in this
 *	namespace at tc priority PRIORITY (default 1) and prints its
 *	program id. The filter keeps it loaded after we exit.
 *   bench_dataplane run PATTERN COUNT SECONDS PROG_ID...
 *	Sends UDP datagrams of the smallest frame from this namespace and
 *	prints "prog_id ns_per_packet runs sent" for each program: its
 *	bpf_stats over COUNT
 *	datagrams (or SECONDS, whichever ends first), after a warm-up pass
 *	that puts every flow of the pattern in the table. PATTERN is 1, 16k
 *	(IPv4, 16384 flows by destination port), 16k6 (the same over IPv6) or
 *	churn (IPv4, a new flow every datagram).
 *
 * Datagrams go to 198.19.0.0/16 and 2001:db8:ff::/48, which the script
 * routes over the veth pair to a gateway address with a made-up MAC, so
 * the receiver drops them right after the TC hook (PACKET_OTHERHOST) and
 * never answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define BATCH 64
#define FLOWS_16K 16384
#define CHURN_PORTS 64000

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_dataplane: %s: %s\n", what, strerror(err));
	exit(1);
}

static unsigned long number(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max) {
		fprintf(stderr, "bench_dataplane: %s must be a whole number from 1 to %lu, not '%s'\n",
			what, max, s);
		exit(2);
	}
	return v;
}

/* ---- attach -------------------------------------------------------------- */

static int is_hash(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int attach(const char *ifname, const char *path, const char *name, uint32_t cap,
		  uint32_t prio)
{
	struct bpf_object *obj;
	struct bpf_program *prog, *p;
	struct bpf_map *map;
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	int ifindex = (int)if_nametoindex(ifname), err;

	if (!ifindex)
		die(ifname, errno);
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		die(path, errno);
	prog = bpf_object__find_program_by_name(obj, name);
	if (!prog) {
		fprintf(stderr, "bench_dataplane: no program %s in %s\n", name, path);
		return 1;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	bpf_program__set_type(prog, BPF_PROG_TYPE_SCHED_CLS);
	bpf_object__for_each_map(map, obj) {
		/* A fresh private table for every run: nothing pinned, nothing reused. */
		bpf_map__set_pin_path(map, NULL);
		if (cap && is_hash(bpf_map__type(map)))
			bpf_map__set_max_entries(map, cap);
	}
	err = bpf_object__load(obj);
	if (err)
		die("loading the object", -err);

	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = bpf_program__fd(prog),
		    .priority = prio);
	/* The qdisc is there from the program before: libbpf would log that. */
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	err = bpf_tc_hook_create(&hook);
	libbpf_set_print(old);
	if (err && err != -EEXIST)
		die("creating the clsact qdisc", -err);
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		die("attaching the filter", -err);
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		die("reading the program's id", errno);
	printf("%u\n", info.id);
	bpf_object__close(obj);
	return 0;
}

/* ---- run ----------------------------------------------------------------- */

enum pattern { ONE, FLOWS16K, FLOWS16K6, CHURN };

struct sender {
	int fd, family;
	enum pattern pat;
	uint64_t next;		/* datagrams handed to the kernel */
	struct sockaddr_in6 dst6[BATCH];
	struct sockaddr_in dst4[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	char payload[18];
};

static void dest(struct sender *s, int slot, uint64_t i)
{
	uint16_t port = 9000;
	uint32_t host = 1;

	if (s->pat == FLOWS16K || s->pat == FLOWS16K6) {
		port = (uint16_t)(10000 + i % FLOWS16K);
	} else if (s->pat == CHURN) {
		port = (uint16_t)(1024 + i % CHURN_PORTS);
		host = (uint32_t)(2 + i / CHURN_PORTS);
	}
	if (s->family == AF_INET) {
		struct sockaddr_in *a = &s->dst4[slot];

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(0xc6130000u | (host & 0xffff));	/* 198.19.x.y */
	} else {
		struct sockaddr_in6 *a = &s->dst6[slot];

		memset(a, 0, sizeof(*a));
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, "2001:db8:ff::", &a->sin6_addr);
		a->sin6_addr.s6_addr[14] = (uint8_t)(host >> 8);
		a->sin6_addr.s6_addr[15] = (uint8_t)host;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends count datagrams or for secs, whichever ends first; returns how many. */
static uint64_t send_n(struct sender *s, uint64_t count, double secs)
{
	double end = now_s() + secs;
	uint64_t sent = 0;

	while (sent < count && now_s() < end) {
		int n = count - sent < BATCH ? (int)(count - sent) : BATCH, got;

		for (int j = 0; j < n; j++)
			dest(s, j, s->next + (uint64_t)j);
		got = sendmmsg(s->fd, s->msgs, (unsigned)n, 0);
		if (got < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			die("sendmmsg", errno);
		}
		s->next += (uint64_t)got;
		sent += (uint64_t)got;
	}
	return sent;
}

static void sender_init(struct sender *s, enum pattern pat)
{
	memset(s, 0, sizeof(*s));
	s->pat = pat;
	s->family = pat == FLOWS16K6 ? AF_INET6 : AF_INET;
	s->fd = socket(s->family, SOCK_DGRAM, 0);
	if (s->fd < 0)
		die("socket", errno);
	memset(s->payload, 'b', sizeof(s->payload));
	/* 60-byte IPv4 frames (64 on the wire); IPv6 frames 62 bytes, its least. */
	s->iov.iov_base = s->payload;
	s->iov.iov_len = s->family == AF_INET ? sizeof(s->payload) : 0;
	for (int j = 0; j < BATCH; j++) {
		struct msghdr *m = &s->msgs[j].msg_hdr;

		m->msg_iov = &s->iov;
		m->msg_iovlen = 1;
		if (s->family == AF_INET) {
			m->msg_name = &s->dst4[j];
			m->msg_namelen = sizeof(s->dst4[j]);
		} else {
			m->msg_name = &s->dst6[j];
			m->msg_namelen = sizeof(s->dst6[j]);
		}
	}
}

static void prog_stats(int fd, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("reading the program's stats", errno);
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
}

#define MAX_PROGS 8

static int run(const char *pat_s, uint64_t count, double secs, int nprogs, char **ids)
{
	static struct sender s;
	enum pattern pat;
	uint64_t ns0[MAX_PROGS], c0[MAX_PROGS], ns1, c1, sent;
	int fds[MAX_PROGS], stats_fd, i;

	if (!strcmp(pat_s, "1"))
		pat = ONE;
	else if (!strcmp(pat_s, "16k"))
		pat = FLOWS16K;
	else if (!strcmp(pat_s, "16k6"))
		pat = FLOWS16K6;
	else if (!strcmp(pat_s, "churn"))
		pat = CHURN;
	else {
		fprintf(stderr, "bench_dataplane: PATTERN is 1, 16k, 16k6 or churn, not '%s'\n", pat_s);
		return 2;
	}
	if (nprogs > MAX_PROGS) {
		fprintf(stderr, "bench_dataplane: at most %d programs\n", MAX_PROGS);
		return 2;
	}
	for (i = 0; i < nprogs; i++) {
		fds[i] = bpf_prog_get_fd_by_id((uint32_t)number(ids[i], "PROG_ID", UINT32_MAX));
		if (fds[i] < 0)
			die(ids[i], errno);
	}
	/* Timing on while this fd is open: no system-wide switch to restore. */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0)
		die("enabling bpf_stats", errno);
	sender_init(&s, pat);
	if (pat == FLOWS16K || pat == FLOWS16K6)
		send_n(&s, FLOWS16K, secs);
	else if (pat == ONE)
		send_n(&s, 1000, secs);
	/* Let the warm-up's last datagrams through the hook first. */
	usleep(20000);
	for (i = 0; i < nprogs; i++)
		prog_stats(fds[i], &ns0[i], &c0[i]);
	sent = send_n(&s, count, secs);
	usleep(20000);
	for (i = 0; i < nprogs; i++) {
		prog_stats(fds[i], &ns1, &c1);
		if (c1 == c0[i]) {
			fprintf(stderr, "bench_dataplane: program %s did not run\n", ids[i]);
			return 1;
		}
		printf("%s %.1f %llu %llu\n", ids[i], (double)(ns1 - ns0[i]) / (double)(c1 - c0[i]),
		       (unsigned long long)(c1 - c0[i]), (unsigned long long)sent);
		close(fds[i]);
	}
	close(stats_fd);
	close(s.fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_dataplane attach IFNAME OBJECT PROGRAM [MAX_ENTRIES [PRIORITY]]\n"
			"       bench_dataplane run 1|16k|16k6|churn COUNT SECONDS PROG_ID...\n");
	return 2;
}

int main(int argc, char **argv)
{
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "attach"))
		return attach(argv[2], argv[3], argv[4],
			      argc >= 6 && strcmp(argv[5], "0") ?
			      (uint32_t)number(argv[5], "MAX_ENTRIES", 1u << 24) : 0,
			      argc == 7 ? (uint32_t)number(argv[6], "PRIORITY", 65535) : 1);
	if (argc >= 6 && !strcmp(argv[1], "run"))
		return run(argv[2], number(argv[3], "COUNT", 50000000),
			   (double)number(argv[4], "SECONDS", 120), argc - 5, argv + 5);
	return usage();
}
