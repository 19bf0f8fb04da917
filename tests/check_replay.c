// SPDX-License-Identifier: BSD-2-Clause
/*
 * Capture replay end to end: capture files written here (with libpcap, or
 * by hand where libpcap cannot write what we need) go through replay_file()
 * into the real BPF object, and the maps must hold exactly what doc/flow-key.md
 * says: every record is one packet of its captured length, whatever the
 * frame, the file's snapshot length or the kernel's limits on test runs.
 * Needs root and a kernel that loads the programs; otherwise exits 77.
 */

/* libpcap and the kernel both define struct bpf_insn and struct
 * bpf_program: libpcap's get other names in this file. */
#define bpf_insn pcap_bpf_insn
#define bpf_program pcap_bpf_program
#include <pcap/pcap.h>
#undef bpf_insn
#undef bpf_program

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "bpf_probe.h"
#include "frames.h"
#include "log.h"
#include "map_reader.h"
#include "replay.h"
#include "tcflow.h"
#include "tcflow.skel.h"

#define V4 TCFLOW_FAM_IPV4
#define V6 TCFLOW_FAM_IPV6
#define OTHER TCFLOW_FAM_OTHER

static struct tcflow *skel;
static struct snapshot snap;
static char dir[64];
static struct frame frames[4];

struct rec {
	const uint8_t *data;
	uint32_t caplen, origlen;
};

/* ---- fixture: a fresh object per test ----------------------------------- */

/* The capture directory is made and removed by main(), in the parent
 * process: a failing test exits its child before any teardown runs. */
static void setup(void)
{
	struct loader_opts o = { .flow_max_entries = 1024, .n_interfaces = 0, .replay = 1 };

	skel = bpf_loader_load(&o);
	ck_assert_msg(skel != NULL, "loading the BPF object failed");
	memset(&snap, 0, sizeof(snap));
}

static void teardown(void)
{
	snapshot_free(&snap);
	bpf_loader_destroy(skel);
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[sizeof(dir) + sizeof(e->d_name) + 1];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

/* Every test names its own files: they share the directory. */
static const char *path_of(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* ---- writing captures ----------------------------------------------------- */

/* A classic pcap through libpcap, as tcpdump would write it. */
static const char *write_pcap(const char *name, int linktype, const struct rec *r, size_t n)
{
	const char *path = path_of(name);
	pcap_t *p = pcap_open_dead(linktype, 65535);
	pcap_dumper_t *d;

	ck_assert_ptr_nonnull(p);
	d = pcap_dump_open(p, path);
	ck_assert_msg(d != NULL, "pcap_dump_open %s: %s", path, pcap_geterr(p));
	for (size_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = r[i].caplen, .len = r[i].origlen };

		pcap_dump((u_char *)d, &h, r[i].data);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return path;
}

/* By hand: pcapng, or pcap records longer than the snaplen. */
static const char *write_hand(const char *name, const struct capfile_opts *o,
			      const struct rec *r, size_t n)
{
	const char *path = path_of(name);
	struct capfile c;

	ck_assert_msg(capfile_open(&c, path, o) == 0, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(capfile_record(&c, r[i].data, r[i].caplen, r[i].origlen), 0);
	ck_assert_int_eq(capfile_close(&c), 0);
	return path;
}

static void cut_file(const char *path, long bytes_off)
{
	FILE *f = fopen(path, "rb");
	long size;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	fclose(f);
	ck_assert_int_eq(truncate(path, size - bytes_off), 0);
}

static int replay(const char *path, struct replay_result *res)
{
	res->records = 12345;	/* replay_file() must set it */
	return replay_file(bpf_program__fd(bpf_loader_ingress(skel)), path, res);
}

/* ---- frames --------------------------------------------------------------- */

static struct rec whole(const struct frame *f)
{
	return (struct rec){ f->data, (uint32_t)f->len, (uint32_t)f->len };
}

/* 198.18.0.1:40000 -> 198.18.0.2:53 with a payload: 42 + payload bytes. */
static const struct frame *udp4(struct frame *f, size_t payload)
{
	frame_init(f);
	frame_eth(f, ETHERTYPE_IPV4);
	frame_ipv4(f, &(struct ipv4_spec){ .protocol = P_UDP, .src = ip4_1, .dst = ip4_2 });
	frame_l4(f, P_UDP, 40000, 53);
	frame_fill(f, payload, 0x5a);
	frame_finish(f);
	return f;
}

/* [2001:db8::1]:443 -> [2001:db8::2]:50000: 74 + payload bytes. */
static const struct frame *tcp6(struct frame *f, size_t payload)
{
	frame_init(f);
	frame_eth(f, ETHERTYPE_IPV6);
	frame_ipv6(f, 0, P_TCP, ip6_1, ip6_2);
	frame_l4(f, P_TCP, 443, 50000);
	frame_fill(f, payload, 0x5a);
	frame_finish(f);
	return f;
}

static const struct frame *arp(struct frame *f)
{
	frame_init(f);
	frame_eth(f, ETHERTYPE_ARP);
	frame_arp(f);
	return f;
}

/* IPv4 with IHL 4: 34 bytes, malformed. */
static const struct frame *bad_ihl(struct frame *f)
{
	frame_init(f);
	frame_eth(f, ETHERTYPE_IPV4);
	frame_ipv4(f, &(struct ipv4_spec){ .ihl = 4, .protocol = P_UDP, .src = ip4_1,
					   .dst = ip4_2 });
	return f;
}

/* Five records of every kind: 2 UDP (142 each), TCPv6 (74), ARP (42),
 * malformed IPv4 (34). expect_mixed() checks what they make. */
static size_t mixed(struct rec *r)
{
	r[0] = whole(udp4(&frames[0], 100));
	r[1] = r[0];
	r[2] = whole(tcp6(&frames[1], 0));
	r[3] = whole(arp(&frames[2]));
	r[4] = whole(bad_ihl(&frames[3]));
	return 5;
}

/* ---- expectations --------------------------------------------------------- */

static void read_flows(size_t n)
{
	ck_assert_int_eq(map_read_flows(bpf_map__fd(skel->maps.flows), &snap), 0);
	ck_assert_uint_eq(snap.n_flows, n);
}

/* One flow with this key (ifindex 0, ingress: replay's hook) and counts. */
static void expect_flow(uint8_t fam, uint8_t proto, uint16_t sport, uint16_t dport,
			uint64_t packets, uint64_t bytes)
{
	struct flow_key k = { .ifindex = 0, .direction = TCFLOW_DIR_INGRESS, .family = fam,
			      .protocol = proto, .src_port = sport, .dst_port = dport };
	size_t alen = fam == V6 ? 16 : 4;

	memcpy(k.src_addr, fam == V6 ? ip6_1 : ip4_1, alen);
	memcpy(k.dst_addr, fam == V6 ? ip6_2 : ip4_2, alen);
	for (size_t i = 0; i < snap.n_flows; i++) {
		if (memcmp(&snap.flows[i].key, &k, sizeof(k)))
			continue;
		ck_assert_uint_eq(snap.flows[i].val.packets, packets);
		ck_assert_uint_eq(snap.flows[i].val.bytes, bytes);
		return;
	}
	ck_abort_msg("no flow fam %u proto %u ports %u -> %u among %zu", fam, proto, sport,
		     dport, snap.n_flows);
}

struct totals {
	uint64_t packets[TCFLOW_FAM_MAX], bytes[TCFLOW_FAM_MAX], malformed;
};

/* Replay's one hook (ifindex 0, ingress) holds exactly t; nothing lost.
 * With t NULL no packet was counted at all. */
static void expect_totals(const struct totals *t)
{
	const struct iface_entry *e;

	ck_assert_int_eq(map_read_ifaces(bpf_map__fd(skel->maps.iface_stats), &snap), 0);
	ck_assert_uint_eq(snap.n_ifaces, t ? 1 : 0);
	ck_assert_int_eq(map_read_losses(bpf_map__fd(skel->maps.losses), &snap), 0);
	ck_assert_uint_eq(snap.losses[TCFLOW_LOSS_FLOW_UPDATE], 0);
	ck_assert_uint_eq(snap.losses[TCFLOW_LOSS_IFACE_UPDATE], 0);
	if (!t)
		return;
	e = &snap.ifaces[0];
	ck_assert_uint_eq(e->key.ifindex, 0);
	ck_assert_uint_eq(e->key.direction, TCFLOW_DIR_INGRESS);
	for (int f = 0; f < TCFLOW_FAM_MAX; f++) {
		ck_assert_uint_eq(e->val.packets[f], t->packets[f]);
		ck_assert_uint_eq(e->val.bytes[f], t->bytes[f]);
	}
	ck_assert_uint_eq(e->val.malformed, t->malformed);
}

static void expect_mixed(void)
{
	struct totals t = { .packets = { 3, 1, 1 }, .bytes = { 284 + 34, 74, 42 },
			    .malformed = 1 };

	read_flows(2);
	expect_flow(V4, P_UDP, 40000, 53, 2, 284);
	expect_flow(V6, P_TCP, 443, 50000, 1, 74);
	expect_totals(&t);
}

/* ---- whole captures ------------------------------------------------------- */

START_TEST(pcap_mixed)
{
	struct rec r[5];
	struct replay_result res;
	size_t n = mixed(r);

	ck_assert_int_eq(replay(write_pcap("mixed.pcap", DLT_EN10MB, r, n), &res), 0);
	ck_assert_uint_eq(res.records, 5);
	expect_mixed();
}
END_TEST

START_TEST(pcapng_mixed)
{
	struct rec r[5];
	struct replay_result res;
	size_t n = mixed(r);
	struct capfile_opts o = { .pcapng = 1 };

	ck_assert_int_eq(replay(write_hand("mixed.pcapng", &o, r, n), &res), 0);
	ck_assert_uint_eq(res.records, 5);
	expect_mixed();
}
END_TEST

/* Big-endian files go through the same path, byte-swapped. */
START_TEST(pcap_big_endian_mixed)
{
	struct rec r[5];
	struct replay_result res;
	size_t n = mixed(r);
	struct capfile_opts o = { .big_endian = 1 };

	ck_assert_int_eq(replay(write_hand("be.pcap", &o, r, n), &res), 0);
	ck_assert_uint_eq(res.records, 5);
	expect_mixed();
}
END_TEST

/* Bytes are the captured length, not the length on the wire. */
START_TEST(caplen_not_wire_length)
{
	struct rec r = { udp4(&frames[0], 100)->data, 60, 1514 };
	struct replay_result res;
	struct totals t = { .packets = { 1 }, .bytes = { 60 } };

	ck_assert_int_eq(replay(write_pcap("wire.pcap", DLT_EN10MB, &r, 1), &res), 0);
	ck_assert_uint_eq(res.records, 1);
	read_flows(1);
	expect_flow(V4, P_UDP, 40000, 53, 1, 60);
	expect_totals(&t);
}
END_TEST

/* ---- runts ---------------------------------------------------------------- */

START_TEST(runts_are_non_ip)
{
	static const uint8_t ten[10] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0 };
	struct rec r[2] = { { ten, 0, 0 }, { ten, 10, 10 } };
	struct replay_result res;
	struct totals t = { .packets = { 0, 0, 2 }, .bytes = { 0, 0, 10 } };

	ck_assert_int_eq(replay(write_pcap("runts.pcap", DLT_EN10MB, r, 2), &res), 0);
	ck_assert_uint_eq(res.records, 2);
	read_flows(0);
	expect_totals(&t);
}
END_TEST

/* 13 bytes ending in 0x08: zero padding to the kernel's 14-byte minimum
 * would make ethertype 0x0800. Still one non-IP packet of 13 bytes. The
 * kernel's test run refuses a 0x0800 frame with fewer than 20 bytes after
 * Ethernet (0x86DD: 40), so the replay must pad past that, not to 14. */
START_TEST(runt_13_bytes_is_non_ip)
{
	static const uint8_t thirteen[13] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08 };
	struct rec r = { thirteen, 13, 13 };
	struct replay_result res;
	struct totals t = { .packets = { 0, 0, 1 }, .bytes = { 0, 0, 13 } };

	ck_assert_int_eq(replay(write_pcap("runt13.pcap", DLT_EN10MB, &r, 1), &res), 0);
	ck_assert_uint_eq(res.records, 1);
	read_flows(0);
	expect_totals(&t);
}
END_TEST

/* A record cut inside its IPv4 header (a short snaplen does this to
 * every IPv4 frame): one malformed IPv4 packet of its captured length,
 * although the kernel refuses to run it unpadded (see above). */
START_TEST(record_cut_in_ipv4_header)
{
	struct rec r = { udp4(&frames[0], 0)->data, 14 + 10, 42 };
	struct replay_result res;
	struct totals t = { .packets = { 1 }, .bytes = { 24 }, .malformed = 1 };

	ck_assert_int_eq(replay(write_pcap("short.pcap", DLT_EN10MB, &r, 1), &res), 0);
	ck_assert_uint_eq(res.records, 1);
	read_flows(0);
	expect_totals(&t);
}
END_TEST

/* ---- large records -------------------------------------------------------- */

/* Larger than a test run takes: counted whole, headers at the front parsed. */
START_TEST(jumbo_records)
{
	struct rec r[2] = { whole(udp4(&frames[0], 9000 - 42)), whole(tcp6(&frames[1], 65535 - 74)) };
	struct replay_result res;
	struct totals t = { .packets = { 1, 1 }, .bytes = { 9000, 65535 } };

	ck_assert_uint_eq(r[0].caplen, 9000);
	ck_assert_uint_eq(r[1].caplen, 65535);
	ck_assert_int_eq(replay(write_pcap("jumbo.pcap", DLT_EN10MB, r, 2), &res), 0);
	ck_assert_uint_eq(res.records, 2);
	read_flows(2);
	expect_flow(V4, P_UDP, 40000, 53, 1, 9000);
	expect_flow(V6, P_TCP, 443, 50000, 1, 65535);
	expect_totals(&t);
}
END_TEST

/* A record longer than the file's snaplen (36: the UDP ports lie past it).
 * libpcap would hand over 36 bytes; the record itself says 142. */
static void expect_beyond_snaplen(const struct capfile_opts *o, const char *name)
{
	struct rec r = whole(udp4(&frames[0], 100));
	struct replay_result res;
	struct totals t = { .packets = { 1 }, .bytes = { 142 } };

	ck_assert_int_eq(replay(write_hand(name, o, &r, 1), &res), 0);
	ck_assert_uint_eq(res.records, 1);
	read_flows(1);
	expect_flow(V4, P_UDP, 40000, 53, 1, 142);
	expect_totals(&t);
}

START_TEST(pcap_record_beyond_snaplen)
{
	expect_beyond_snaplen(&(struct capfile_opts){ .snaplen = 36 }, "snap.pcap");
}
END_TEST

START_TEST(pcap_be_record_beyond_snaplen)
{
	expect_beyond_snaplen(&(struct capfile_opts){ .snaplen = 36, .big_endian = 1 },
			      "snap-be.pcap");
}
END_TEST

/* pcapng defines SnapLen as the most any packet block may hold, and
 * libpcap refuses a block over it: such a file is damaged, reported as
 * such, with nothing before it lost (here: nothing before it). */
START_TEST(pcapng_record_beyond_snaplen)
{
	struct rec r = whole(udp4(&frames[0], 100));
	struct replay_result res;
	struct capfile_opts o = { .snaplen = 36, .pcapng = 1 };

	ck_assert_int_eq(replay(write_hand("snap.pcapng", &o, &r, 1), &res), -1);
	ck_assert_uint_eq(res.records, 0);
	read_flows(0);
}
END_TEST

/* ---- empty, broken and foreign files -------------------------------------- */

START_TEST(empty_pcap)
{
	struct replay_result res;

	ck_assert_int_eq(replay(write_pcap("empty.pcap", DLT_EN10MB, NULL, 0), &res), 0);
	ck_assert_uint_eq(res.records, 0);
	read_flows(0);
	expect_totals(NULL);
}
END_TEST

START_TEST(empty_pcapng)
{
	struct replay_result res;
	struct capfile_opts o = { .pcapng = 1 };

	ck_assert_int_eq(replay(write_hand("empty.pcapng", &o, NULL, 0), &res), 0);
	ck_assert_uint_eq(res.records, 0);
	read_flows(0);
	expect_totals(NULL);
}
END_TEST

START_TEST(garbage_file)
{
	const char *path = path_of("text.pcap");
	FILE *f = fopen(path, "w");
	struct replay_result res;

	ck_assert_ptr_nonnull(f);
	fputs("this is not a capture file, not even close to one\n", f);
	fclose(f);
	ck_assert_int_eq(replay(path, &res), -1);
	ck_assert_uint_eq(res.records, 0);
	read_flows(0);
	expect_totals(NULL);
}
END_TEST

START_TEST(missing_file)
{
	struct replay_result res;

	ck_assert_int_eq(replay(path_of("none.pcap"), &res), -1);
	ck_assert_uint_eq(res.records, 0);
}
END_TEST

START_TEST(raw_link_type)
{
	struct rec r = { udp4(&frames[0], 0)->data + 14, 28, 28 };	/* IP, no Ethernet */
	struct replay_result res;

	ck_assert_int_eq(replay(write_pcap("raw.pcap", DLT_RAW, &r, 1), &res), -1);
	ck_assert_uint_eq(res.records, 0);
	read_flows(0);
	expect_totals(NULL);
}
END_TEST

/* The mixed records, then one more UDP record cut short: -1, and the
 * five before it stay counted. */
static void expect_cut_after_mixed(const char *path)
{
	struct replay_result res;

	cut_file(path, 5);
	ck_assert_int_eq(replay(path, &res), -1);
	ck_assert_uint_eq(res.records, 5);
	expect_mixed();
}

START_TEST(pcap_truncated_record)
{
	struct rec r[6];
	size_t n = mixed(r);

	r[n++] = r[0];
	expect_cut_after_mixed(write_pcap("cut.pcap", DLT_EN10MB, r, n));
}
END_TEST

START_TEST(pcapng_truncated_block)
{
	struct rec r[6];
	size_t n = mixed(r);
	struct capfile_opts o = { .pcapng = 1 };

	r[n++] = r[0];
	expect_cut_after_mixed(write_hand("cut.pcapng", &o, r, n));
}
END_TEST

/* Cut inside the last record's 16-byte header: also damage. */
START_TEST(pcap_truncated_header)
{
	struct rec r[6];
	size_t n = mixed(r);
	struct replay_result res;
	const char *path;

	r[n++] = r[0];
	path = write_pcap("cuthdr.pcap", DLT_EN10MB, r, n);
	cut_file(path, 142 + 6);
	ck_assert_int_eq(replay(path, &res), -1);
	ck_assert_uint_eq(res.records, 5);
	expect_mixed();
}
END_TEST

/* ---- the suite ------------------------------------------------------------ */

static TCase *add_case(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = add_case(s, "formats");

	tcase_add_test(tc, pcap_mixed);
	tcase_add_test(tc, pcapng_mixed);
	tcase_add_test(tc, pcap_big_endian_mixed);
	tcase_add_test(tc, caplen_not_wire_length);
	tc = add_case(s, "runts");
	tcase_add_test(tc, runts_are_non_ip);
	tcase_add_test(tc, runt_13_bytes_is_non_ip);
	tcase_add_test(tc, record_cut_in_ipv4_header);
	tc = add_case(s, "large_records");
	tcase_add_test(tc, jumbo_records);
	tcase_add_test(tc, pcap_record_beyond_snaplen);
	tcase_add_test(tc, pcap_be_record_beyond_snaplen);
	tcase_add_test(tc, pcapng_record_beyond_snaplen);
	tc = add_case(s, "bad_files");
	tcase_add_test(tc, empty_pcap);
	tcase_add_test(tc, empty_pcapng);
	tcase_add_test(tc, garbage_file);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, raw_link_type);
	tcase_add_test(tc, pcap_truncated_record);
	tcase_add_test(tc, pcapng_truncated_block);
	tcase_add_test(tc, pcap_truncated_header);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	log_route_libbpf();
	if (!bpf_probe_can_run("check_replay", 1))
		return 77;
	strcpy(dir, "/tmp/check_replay.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "check_replay: mkdtemp: %s\n", strerror(errno));
		return 99;
	}
	sr = srunner_create(replay_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_dir();
	/* Below 77: never a skip (77), a hard error (99) or a wrapped pass. */
	return failed < 77 ? failed : 76;
}
