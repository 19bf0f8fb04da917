/*
 * Cardinality control at scrape time, on hand-made snapshots: label sets
 * and their errors (--flow.labels and the other --flow.* flags), the
 * projection and merge of each preset and of label lists, the services
 * port rule, address prefixes, the top-N fold, the invariant that every
 * sum over the kept labels is the sum over the full table, the exact
 * exposition of an aggregated snapshot, and the OpenMetrics conversion.
 * No BPF: everything runs on snapshots built here.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "aggregate.h"
#include "flags.h"
#include "flow_expiry.h"
#include "ifnames.h"
#include "render.h"
#include "scrape.h"

#define V4 TCFLOW_FAM_IPV4
#define V6 TCFLOW_FAM_IPV6
#define IN TCFLOW_DIR_INGRESS
#define EG TCFLOW_DIR_EGRESS
#define TCP 6
#define UDP 17
#define ICMP 1

#define HOSTS_MASK (FL_INTERFACE | FL_DIRECTION | FL_SRC_IP | FL_DST_IP)

#define A4(a, b, c, d) ((const uint8_t[16]){ (a), (b), (c), (d) })
#define A6(...) ((const uint8_t[16]){ __VA_ARGS__ })
static const uint8_t zero16[16];

static struct snapshot snap;
static struct label_set ls;
static struct flow_value other;
static char err[512];

static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	snap.flows_ok = snap.ifaces_ok = snap.losses_ok = 1;
	label_set_default(&ls);
	memset(&other, 0, sizeof(other));
	err[0] = '\0';
	ifnames_clear();
	ifnames_register(7, "eth0");
	ifnames_register(8, "eth1");
}

static void teardown(void)
{
	snapshot_free(&snap);
}

/* An empty snapshot again, every map read successful. */
static void reset_snap(void)
{
	snapshot_free(&snap);
	memset(&snap, 0, sizeof(snap));
	snap.flows_ok = snap.ifaces_ok = snap.losses_ok = 1;
}

static void add_to(struct snapshot *s, uint32_t ifindex, uint8_t dir, uint8_t fam,
		   uint8_t proto, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		   uint16_t dport, uint64_t packets, uint64_t bytes)
{
	struct flow_entry *e;

	s->flows = realloc(s->flows, (s->n_flows + 1) * sizeof(*e));
	ck_assert_ptr_nonnull(s->flows);
	s->cap_flows = s->n_flows + 1;
	e = &s->flows[s->n_flows++];
	memset(e, 0, sizeof(*e));
	e->key = (struct flow_key){ .ifindex = ifindex, .direction = dir, .family = fam,
				    .protocol = proto, .src_port = sport, .dst_port = dport };
	memcpy(e->key.src_addr, src, fam == V6 ? 16 : 4);
	memcpy(e->key.dst_addr, dst, fam == V6 ? 16 : 4);
	e->val.packets = packets;
	e->val.bytes = bytes;
	e->val.last_seen_ns = 1000 + s->n_flows;
}

static void add(uint32_t ifindex, uint8_t dir, uint8_t fam, uint8_t proto, const uint8_t *src,
		const uint8_t *dst, uint16_t sport, uint16_t dport, uint64_t packets,
		uint64_t bytes)
{
	add_to(&snap, ifindex, dir, fam, proto, src, dst, sport, dport, packets, bytes);
}

/* Series i of the result is exactly this key and these counts. */
static void expect_at(size_t i, uint32_t ifindex, uint8_t dir, uint8_t fam, uint8_t proto,
		      const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		      uint8_t pad, uint64_t packets, uint64_t bytes)
{
	const struct flow_entry *e;

	ck_assert_uint_lt(i, snap.n_flows);
	e = &snap.flows[i];
	ck_assert_msg(e->key.ifindex == ifindex, "series %zu: ifindex %u, want %u", i,
		      e->key.ifindex, ifindex);
	ck_assert_msg(e->key.direction == dir, "series %zu: direction %u, want %u", i,
		      e->key.direction, dir);
	ck_assert_msg(e->key.family == fam, "series %zu: family %u, want %u", i, e->key.family,
		      fam);
	ck_assert_msg(e->key.protocol == proto, "series %zu: protocol %u, want %u", i,
		      e->key.protocol, proto);
	ck_assert_msg(!memcmp(e->key.src_addr, src, 16), "series %zu: src_addr differs", i);
	ck_assert_msg(!memcmp(e->key.dst_addr, dst, 16), "series %zu: dst_addr differs", i);
	ck_assert_msg(e->key.src_port == sport, "series %zu: src_port %u, want %u", i,
		      e->key.src_port, sport);
	ck_assert_msg(e->key.dst_port == dport, "series %zu: dst_port %u, want %u", i,
		      e->key.dst_port, dport);
	ck_assert_msg(e->key.pad == pad, "series %zu: pad %#x, want %#x", i, e->key.pad, pad);
	ck_assert_msg(e->val.packets == packets, "series %zu: packets %llu, want %llu", i,
		      (unsigned long long)e->val.packets, (unsigned long long)packets);
	ck_assert_msg(e->val.bytes == bytes, "series %zu: bytes %llu, want %llu", i,
		      (unsigned long long)e->val.bytes, (unsigned long long)bytes);
}

/* Long texts: a failure names the first line that differs, not both
 * texts whole (which Check cannot carry). */
#define assert_text_eq(got, want) text_eq(__FILE__, __LINE__, (got), (want))

static void text_eq(const char *file, int line, const char *got, const char *want)
{
	size_t n = 1;
	const char *g = got, *w = want;

	while (*g && *g == *w) {
		if (*g == '\n')
			n++;
		g++;
		w++;
	}
	if (*g == *w)
		return;
	while (g > got && g[-1] != '\n' && w > want) {
		g--;
		w--;
	}
	ck_abort_msg("%s:%d: text differs at line %zu:\n got: %.300s\nwant: %.300s", file, line, n,
		     *g ? g : "(end)", *w ? w : "(end)");
}

static void parse_ok(const char *spec)
{
	ck_assert_msg(label_set_parse(&ls, spec, err, sizeof(err)) == 0,
		      "\"%s\" refused: %s", spec, err);
}

#define BAD_LABEL(name) "invalid value for --flow.labels: \"" name "\" is not a preset " \
	"(full, hosts, services) or a label (interface, direction, protocol, src_ip, " \
	"dst_ip, src_port, dst_port)"

static void parse_bad(const char *spec, const char *want)
{
	ck_assert_msg(label_set_parse(&ls, spec, err, sizeof(err)) == -1, "\"%s\" accepted", spec);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
}

/* ---- label_set_parse ----------------------------------------------------- */

START_TEST(default_is_the_full_tuple)
{
	ck_assert_uint_eq(ls.mask, FL_ALL);
	ck_assert_uint_eq(FL_ALL, 0x7f);
	ck_assert_int_eq(ls.services, 0);
	ck_assert_uint_eq(ls.ipv4_prefix, 32);
	ck_assert_uint_eq(ls.ipv6_prefix, 128);
	ck_assert_uint_eq(ls.max_series, 0);
}
END_TEST

START_TEST(presets)
{
	parse_ok("hosts");
	ck_assert_uint_eq(ls.mask, HOSTS_MASK);
	ck_assert_int_eq(ls.services, 0);
	parse_ok("services");
	ck_assert_uint_eq(ls.mask, FL_ALL);
	ck_assert_int_eq(ls.services, 1);
	parse_ok("full");
	ck_assert_uint_eq(ls.mask, FL_ALL);
	ck_assert_int_eq(ls.services, 0);	/* a later flag replaces services */
	parse_ok("services");
	parse_ok("hosts");
	ck_assert_int_eq(ls.services, 0);
	ck_assert_uint_eq(ls.mask, HOSTS_MASK);
}
END_TEST

START_TEST(label_lists)
{
	parse_ok("protocol,dst_port");
	ck_assert_uint_eq(ls.mask, FL_PROTOCOL | FL_DST_PORT);
	parse_ok("src_ip");
	ck_assert_uint_eq(ls.mask, FL_SRC_IP);
	parse_ok("interface,direction,protocol,src_ip,dst_ip,src_port,dst_port");
	ck_assert_uint_eq(ls.mask, FL_ALL);
	ck_assert_int_eq(ls.services, 0);
	/* Order and repetition do not matter. */
	parse_ok("dst_port,src_ip,dst_port");
	ck_assert_uint_eq(ls.mask, FL_SRC_IP | FL_DST_PORT);
	parse_ok("dst_ip,src_ip,direction,interface");
	ck_assert_uint_eq(ls.mask, HOSTS_MASK);
	/* A list after services is a plain list. */
	parse_ok("services");
	parse_ok("src_port");
	ck_assert_uint_eq(ls.mask, FL_SRC_PORT);
	ck_assert_int_eq(ls.services, 0);
}
END_TEST

START_TEST(parse_keeps_prefixes_and_max_series)
{
	ls.ipv4_prefix = 24;
	ls.ipv6_prefix = 64;
	ls.max_series = 10;
	parse_ok("hosts");
	parse_ok("protocol");
	ck_assert_uint_eq(ls.ipv4_prefix, 24);
	ck_assert_uint_eq(ls.ipv6_prefix, 64);
	ck_assert_uint_eq(ls.max_series, 10);
}
END_TEST

START_TEST(bad_labels)
{
	parse_bad("bogus", BAD_LABEL("bogus"));
	parse_bad("src_ip,port", BAD_LABEL("port"));
	parse_bad("port,src_ip", BAD_LABEL("port"));
	parse_bad("hosts,protocol", BAD_LABEL("hosts"));
	parse_bad("Hosts", BAD_LABEL("Hosts"));
	parse_bad("SRC_IP", BAD_LABEL("SRC_IP"));
	parse_bad("src_ip,,dst_ip", BAD_LABEL(""));
	parse_bad(" src_ip", BAD_LABEL(" src_ip"));
	parse_bad("src_ip;dst_ip", BAD_LABEL("src_ip;dst_ip"));
	parse_bad("family", BAD_LABEL("family"));
	parse_bad("", "invalid value for --flow.labels: no label given");
}
END_TEST

/* The same sets through the command line, with the other --flow.* flags. */
static struct config cfg;

static enum flags_result parse_flags(int argc, const char **argv)
{
	flags_defaults(&cfg);
	return flags_parse(&cfg, argc, (char **)argv, err);
}

#define FLAGS(...) parse_flags(sizeof((const char *[]){ "tcflow_exporter", "--pcap=x", __VA_ARGS__ }) / \
			       sizeof(char *), (const char *[]){ "tcflow_exporter", "--pcap=x", __VA_ARGS__ })
#define FLAGS_BAD(msg, ...) do { \
		ck_assert_int_eq(FLAGS(__VA_ARGS__), FLAGS_ERROR); \
		ck_assert_str_eq(err, msg); \
	} while (0)

START_TEST(command_line)
{
	ck_assert_int_eq(FLAGS("--once"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.mask, FL_ALL);
	ck_assert_int_eq(cfg.labels.services, 0);
	ck_assert_uint_eq(cfg.labels.ipv4_prefix, 32);
	ck_assert_uint_eq(cfg.labels.ipv6_prefix, 128);
	ck_assert_uint_eq(cfg.labels.max_series, 0);
	ck_assert_uint_eq(cfg.idle_timeout_s, 0);

	ck_assert_int_eq(FLAGS("--flow.labels=services", "--flow.ipv4-prefix=24",
			       "--flow.ipv6-prefix=64", "--flow.max-series=10",
			       "--flow.idle-timeout=2s"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.mask, FL_ALL);
	ck_assert_int_eq(cfg.labels.services, 1);
	ck_assert_uint_eq(cfg.labels.ipv4_prefix, 24);
	ck_assert_uint_eq(cfg.labels.ipv6_prefix, 64);
	ck_assert_uint_eq(cfg.labels.max_series, 10);
	ck_assert_uint_eq(cfg.idle_timeout_s, 2);

	/* The prefixes survive a later --flow.labels, and the reverse. */
	ck_assert_int_eq(FLAGS("--flow.ipv4-prefix=0", "--flow.ipv6-prefix=128",
			       "--flow.labels=hosts"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.mask, HOSTS_MASK);
	ck_assert_uint_eq(cfg.labels.ipv4_prefix, 0);
	ck_assert_uint_eq(cfg.labels.ipv6_prefix, 128);
	ck_assert_int_eq(FLAGS("--flow.labels", "src_ip,dst_port", "--flow.idle-timeout=5m",
			       "--flow.max-series=0"), FLAGS_OK);
	ck_assert_uint_eq(cfg.labels.mask, FL_SRC_IP | FL_DST_PORT);
	ck_assert_uint_eq(cfg.idle_timeout_s, 300);
	ck_assert_uint_eq(cfg.labels.max_series, 0);
}
END_TEST

START_TEST(command_line_errors)
{
	FLAGS_BAD(BAD_LABEL("bogus"), "--flow.labels=bogus");
	FLAGS_BAD("invalid value for --flow.labels: no label given", "--flow.labels=");
	FLAGS_BAD("invalid value for --flow.ipv4-prefix: \"33\" (want a whole number from 0 to 32)",
		  "--flow.ipv4-prefix=33");
	FLAGS_BAD("invalid value for --flow.ipv4-prefix: \"-1\" (want a whole number from 0 to 32)",
		  "--flow.ipv4-prefix=-1");
	FLAGS_BAD("invalid value for --flow.ipv6-prefix: \"129\" (want a whole number from 0 to 128)",
		  "--flow.ipv6-prefix=129");
	FLAGS_BAD("invalid value for --flow.ipv6-prefix: \"/64\" (want a whole number from 0 to 128)",
		  "--flow.ipv6-prefix=/64");
	FLAGS_BAD("invalid value for --flow.max-series: \"ten\" (want a whole number from 0 to 4294967295)",
		  "--flow.max-series=ten");
	FLAGS_BAD("invalid value for --flow.idle-timeout: \"2x\" (want a duration such as 30s, 5m or 1h, or 0)",
		  "--flow.idle-timeout=2x");
}
END_TEST

/* ---- projection and merge ------------------------------------------------- */

/* Six flows over two interfaces, both directions and both families. */
static void six_flows(void)
{
	add(7, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 2, 200);	/* A */
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40001, 53, 1, 100);	/* B */
	add(7, EG, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 3, 300);	/* C */
	add(8, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 4, 400);	/* D */
	add(7, IN, V6, TCP, A6(0x20, 0x01, 0x0d, 0xb8, [15] = 1),
	    A6(0x20, 0x01, 0x0d, 0xb8, [15] = 2), 40000, 443, 5, 500);			/* E */
	add(7, IN, V4, ICMP, A4(198, 18, 0, 2), A4(198, 18, 0, 1), 0, 0, 6, 600);	/* F */
}

START_TEST(identity_only_sorts)
{
	six_flows();
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 6);
	expect_at(0, 7, IN, V4, ICMP, A4(198, 18, 0, 2), A4(198, 18, 0, 1), 0, 0, 0, 6, 600);
	expect_at(1, 7, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 0, 2, 200);
	expect_at(2, 7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40001, 53, 0, 1, 100);
	expect_at(3, 7, IN, V6, TCP, A6(0x20, 0x01, 0x0d, 0xb8, [15] = 1),
		  A6(0x20, 0x01, 0x0d, 0xb8, [15] = 2), 40000, 443, 0, 5, 500);
	expect_at(4, 7, EG, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 0, 3, 300);
	expect_at(5, 8, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 0, 4, 400);
}
END_TEST

START_TEST(hosts_merges_protocols_and_ports)
{
	six_flows();
	parse_ok("hosts");
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 5);
	expect_at(0, 7, IN, V4, 0, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 0, 0, 0, 3, 300);	/* A+B */
	expect_at(1, 7, IN, V4, 0, A4(198, 18, 0, 2), A4(198, 18, 0, 1), 0, 0, 0, 6, 600);	/* F */
	expect_at(2, 7, IN, V6, 0, A6(0x20, 0x01, 0x0d, 0xb8, [15] = 1),
		  A6(0x20, 0x01, 0x0d, 0xb8, [15] = 2), 0, 0, 0, 5, 500);			/* E */
	expect_at(3, 7, EG, V4, 0, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 0, 0, 0, 3, 300);	/* C */
	expect_at(4, 8, IN, V4, 0, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 0, 0, 0, 4, 400);	/* D */
}
END_TEST

START_TEST(list_protocol_merges_families)
{
	six_flows();
	parse_ok("protocol");
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 3);
	/* No address is kept, so IPv4 and IPv6 flows of a protocol are one series. */
	expect_at(0, 0, 0, 0, ICMP, zero16, zero16, 0, 0, 0, 6, 600);	/* F */
	expect_at(1, 0, 0, 0, TCP, zero16, zero16, 0, 0, 0, 14, 1400);	/* A+C+D+E */
	expect_at(2, 0, 0, 0, UDP, zero16, zero16, 0, 0, 0, 1, 100);	/* B */
}
END_TEST

START_TEST(list_interface_direction)
{
	six_flows();
	parse_ok("interface,direction");
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 3);
	expect_at(0, 7, IN, 0, 0, zero16, zero16, 0, 0, 0, 14, 1400);	/* A+B+E+F */
	expect_at(1, 7, EG, 0, 0, zero16, zero16, 0, 0, 0, 3, 300);	/* C */
	expect_at(2, 8, IN, 0, 0, zero16, zero16, 0, 0, 0, 4, 400);	/* D */
}
END_TEST

START_TEST(list_ports)
{
	six_flows();
	parse_ok("src_port,dst_port");
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 3);
	expect_at(0, 0, 0, 0, 0, zero16, zero16, 0, 0, 0, 6, 600);		/* F */
	expect_at(1, 0, 0, 0, 0, zero16, zero16, 40000, 443, 0, 14, 1400);	/* A+C+D+E */
	expect_at(2, 0, 0, 0, 0, zero16, zero16, 40001, 53, 0, 1, 100);	/* B */
}
END_TEST

START_TEST(list_dst_ip_keeps_families)
{
	six_flows();
	parse_ok("dst_ip");
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 3);
	expect_at(0, 0, 0, V4, 0, zero16, A4(198, 18, 0, 1), 0, 0, 0, 6, 600);	/* F */
	expect_at(1, 0, 0, V4, 0, zero16, A4(198, 18, 0, 2), 0, 0, 0, 10, 1000);	/* A+B+C+D */
	expect_at(2, 0, 0, V6, 0, zero16, A6(0x20, 0x01, 0x0d, 0xb8, [15] = 2), 0, 0, 0, 5, 500);
}
END_TEST

/* ---- services -------------------------------------------------------------- */

START_TEST(services_drops_the_larger_port)
{
	const uint8_t *h1 = A4(198, 18, 0, 1), *h2 = A4(198, 18, 0, 2);

	add(7, IN, V4, UDP, h1, h2, 40000, 53, 1, 100);		/* S1: src dropped */
	add(7, IN, V4, UDP, h1, h2, 40001, 53, 2, 200);		/* S2: merges with S1 */
	add(7, IN, V4, UDP, h2, h1, 53, 40000, 3, 300);		/* S3: dst dropped */
	add(7, IN, V4, UDP, h1, h2, 5353, 5353, 4, 400);	/* S4: equal, both kept */
	add(7, IN, V4, UDP, h1, h2, 0, 53, 5, 500);		/* S5: a zero, both kept */
	add(7, IN, V4, ICMP, h1, h2, 0, 0, 6, 600);		/* S6: no ports */
	add(7, IN, V4, TCP, h1, h2, 80, 8080, 7, 700);		/* S7: 8080 dropped */
	add(7, IN, V4, UDP, h1, h2, 53, 0, 8, 800);		/* S8: a zero, both kept */
	parse_ok("services");
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 7);
	expect_at(0, 7, IN, V4, ICMP, h1, h2, 0, 0, 0, 6, 600);
	expect_at(1, 7, IN, V4, TCP, h1, h2, 80, 0, FL_DST_PORT, 7, 700);
	/* dst_port="53" with src_port="0" and dst_port="53" without src_port
	 * are different series: S5 is not merged into S1+S2. */
	expect_at(2, 7, IN, V4, UDP, h1, h2, 0, 53, 0, 5, 500);
	expect_at(3, 7, IN, V4, UDP, h1, h2, 0, 53, FL_SRC_PORT, 3, 300);
	expect_at(4, 7, IN, V4, UDP, h1, h2, 53, 0, 0, 8, 800);
	expect_at(5, 7, IN, V4, UDP, h1, h2, 5353, 5353, 0, 4, 400);
	expect_at(6, 7, IN, V4, UDP, h2, h1, 53, 0, FL_DST_PORT, 3, 300);
}
END_TEST

START_TEST(services_merges_clients_of_a_service)
{
	/* Three clients of one server: one series per client, whatever the port. */
	for (unsigned i = 0; i < 30; i++)
		add(7, IN, V4, TCP, A4(198, 18, 0, (uint8_t)(1 + i % 3)), A4(198, 19, 0, 1),
		    (uint16_t)(32768 + i), 443, 1, 100 + i);
	parse_ok("services");
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 3);
	/* i % 3 == k: bytes 100 * 10 + sum of i = 10k + 3 * (0 + ... + 9) = 10k + 135. */
	expect_at(0, 7, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 19, 0, 1), 0, 443, FL_SRC_PORT, 10, 1135);
	expect_at(1, 7, IN, V4, TCP, A4(198, 18, 0, 2), A4(198, 19, 0, 1), 0, 443, FL_SRC_PORT, 10, 1145);
	expect_at(2, 7, IN, V4, TCP, A4(198, 18, 0, 3), A4(198, 19, 0, 1), 0, 443, FL_SRC_PORT, 10, 1155);
}
END_TEST

/* ---- prefixes ---------------------------------------------------------------- */

START_TEST(ipv4_prefix_24)
{
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 19, 0, 1), 40000, 53, 1, 10);
	add(7, IN, V4, UDP, A4(198, 18, 0, 200), A4(198, 19, 0, 77), 40000, 53, 2, 20);
	add(7, IN, V4, UDP, A4(198, 18, 1, 1), A4(198, 19, 0, 255), 40000, 53, 4, 40);
	ls.ipv4_prefix = 24;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 2);
	expect_at(0, 7, IN, V4, UDP, A4(198, 18, 0, 0), A4(198, 19, 0, 0), 40000, 53, 0, 3, 30);
	expect_at(1, 7, IN, V4, UDP, A4(198, 18, 1, 0), A4(198, 19, 0, 0), 40000, 53, 0, 4, 40);
}
END_TEST

START_TEST(ipv4_prefix_mid_byte)
{
	add(7, IN, V4, UDP, A4(198, 18, 31, 5), A4(198, 18, 15, 255), 1, 2, 1, 10);
	add(7, IN, V4, UDP, A4(198, 18, 16, 0), A4(198, 18, 0, 1), 1, 2, 2, 20);
	add(7, IN, V4, UDP, A4(198, 18, 32, 1), A4(198, 18, 0, 1), 1, 2, 4, 40);
	ls.ipv4_prefix = 20;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 2);
	expect_at(0, 7, IN, V4, UDP, A4(198, 18, 16, 0), A4(198, 18, 0, 0), 1, 2, 0, 3, 30);
	expect_at(1, 7, IN, V4, UDP, A4(198, 18, 32, 0), A4(198, 18, 0, 0), 1, 2, 0, 4, 40);
}
END_TEST

START_TEST(ipv4_prefix_31_and_0)
{
	add(7, IN, V4, UDP, A4(198, 18, 0, 3), A4(198, 18, 0, 2), 1, 2, 1, 10);
	add(7, IN, V4, UDP, A4(198, 18, 0, 2), A4(198, 18, 0, 3), 1, 2, 2, 20);
	add(7, IN, V4, UDP, A4(198, 18, 0, 4), A4(198, 18, 0, 3), 1, 2, 4, 40);
	ls.ipv4_prefix = 31;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 2);
	expect_at(0, 7, IN, V4, UDP, A4(198, 18, 0, 2), A4(198, 18, 0, 2), 1, 2, 0, 3, 30);
	expect_at(1, 7, IN, V4, UDP, A4(198, 18, 0, 4), A4(198, 18, 0, 2), 1, 2, 0, 4, 40);

	reset_snap();
	add(7, IN, V4, UDP, A4(198, 18, 0, 3), A4(198, 19, 0, 2), 1, 2, 1, 10);
	add(7, IN, V4, UDP, A4(255, 255, 255, 255), A4(1, 2, 3, 4), 1, 2, 2, 20);
	ls.ipv4_prefix = 0;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 1);
	expect_at(0, 7, IN, V4, UDP, zero16, zero16, 1, 2, 0, 3, 30);
}
END_TEST

START_TEST(ipv6_prefix_64_65_0)
{
	const uint8_t *a = A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 1);
	const uint8_t *b = A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,
			      0xff, 0xff, 0xff, 0xff);
	const uint8_t *c = A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2, [15] = 1);
	const uint8_t *d = A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0x80, [15] = 1);
	const uint8_t *net1 = A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1);
	const uint8_t *net2 = A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2);
	const uint8_t *net1_8 = A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0x80);

	add(7, IN, V6, TCP, a, c, 40000, 443, 1, 10);
	add(7, IN, V6, TCP, b, c, 40000, 443, 2, 20);
	add(7, IN, V6, TCP, c, a, 40000, 443, 4, 40);
	add(7, IN, V6, TCP, d, c, 40000, 443, 8, 80);
	ls.ipv6_prefix = 64;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 2);
	expect_at(0, 7, IN, V6, TCP, net1, net2, 40000, 443, 0, 11, 110);	/* a, b, d */
	expect_at(1, 7, IN, V6, TCP, net2, net1, 40000, 443, 0, 4, 40);

	reset_snap();
	add(7, IN, V6, TCP, a, c, 40000, 443, 1, 10);
	add(7, IN, V6, TCP, b, c, 40000, 443, 2, 20);
	add(7, IN, V6, TCP, d, c, 40000, 443, 8, 80);
	ls.ipv6_prefix = 65;	/* the top bit of byte 8 */
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 2);
	expect_at(0, 7, IN, V6, TCP, net1, net2, 40000, 443, 0, 1, 10);		/* a */
	expect_at(1, 7, IN, V6, TCP, net1_8, net2, 40000, 443, 0, 10, 100);	/* b, d */

	reset_snap();
	add(7, IN, V6, TCP, a, c, 40000, 443, 1, 10);
	add(7, IN, V6, TCP, c, d, 40000, 443, 2, 20);
	ls.ipv6_prefix = 0;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 1);
	expect_at(0, 7, IN, V6, TCP, zero16, zero16, 40000, 443, 0, 3, 30);
}
END_TEST

START_TEST(prefix_of_one_family_leaves_the_other)
{
	const uint8_t *a = A6(0x20, 0x01, 0x0d, 0xb8, [15] = 1);
	const uint8_t *b = A6(0x20, 0x01, 0x0d, 0xb8, [15] = 2);

	add(7, IN, V6, TCP, a, b, 40000, 443, 1, 10);
	add(7, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 2, 20);
	ls.ipv4_prefix = 8;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	expect_at(0, 7, IN, V4, TCP, A4(198, 0, 0, 0), A4(198, 0, 0, 0), 40000, 443, 0, 2, 20);
	expect_at(1, 7, IN, V6, TCP, a, b, 40000, 443, 0, 1, 10);

	reset_snap();
	add(7, IN, V6, TCP, a, b, 40000, 443, 1, 10);
	add(7, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 2, 20);
	ls.ipv4_prefix = 32;
	ls.ipv6_prefix = 16;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	expect_at(0, 7, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 40000, 443, 0, 2, 20);
	expect_at(1, 7, IN, V6, TCP, A6(0x20, 0x01), A6(0x20, 0x01), 40000, 443, 0, 1, 10);
}
END_TEST

/* ---- top N -------------------------------------------------------------------- */

static void five_by_bytes(void)
{
	/* Key order is the order of src_port. */
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 1, 53, 5, 500);
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 2, 53, 1, 100);
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 3, 53, 4, 400);
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 4, 53, 2, 200);
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 5, 53, 3, 300);
}

START_TEST(top_n_folds_the_rest)
{
	five_by_bytes();
	ls.max_series = 2;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 1);
	ck_assert_uint_eq(snap.n_flows, 2);
	/* The two largest, back in key order. */
	expect_at(0, 7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 1, 53, 0, 5, 500);
	expect_at(1, 7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 3, 53, 0, 4, 400);
	ck_assert_uint_eq(other.bytes, 600);
	ck_assert_uint_eq(other.packets, 6);
}
END_TEST

START_TEST(top_n_not_below_count)
{
	five_by_bytes();
	ls.max_series = 5;	/* exactly the count: nothing to fold */
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 5);
	ls.max_series = 6;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 5);
	ls.max_series = 0;	/* no cut */
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 0);
	ck_assert_uint_eq(snap.n_flows, 5);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(snap.flows[i].key.src_port, i + 1);
	ls.max_series = 4;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 1);
	ck_assert_uint_eq(snap.n_flows, 4);
	ck_assert_uint_eq(other.bytes, 100);
	ck_assert_uint_eq(other.packets, 1);
	ck_assert_uint_eq(snap.flows[0].key.src_port, 1);
	ck_assert_uint_eq(snap.flows[1].key.src_port, 3);
	ck_assert_uint_eq(snap.flows[2].key.src_port, 4);
	ck_assert_uint_eq(snap.flows[3].key.src_port, 5);
}
END_TEST

/* Equal byte counts: the series first in key order wins, whatever the
 * order the flows came in (the kernel's table order is arbitrary). */
START_TEST(top_n_ties_by_key_order)
{
	static const unsigned orders[][4] = {
		{ 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 }, { 1, 3, 0, 2 },
	};
	static const uint64_t bytes[4] = { 300, 100, 300, 300 };	/* ports 1 to 4 */

	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		for (uint32_t n = 1; n <= 3; n++) {
			reset_snap();
			for (int i = 0; i < 4; i++) {
				unsigned k = orders[o][i];

				add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2),
				    (uint16_t)(k + 1), 53, k + 1, bytes[k]);
			}
			ls.max_series = n;
			ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 1);
			ck_assert_uint_eq(snap.n_flows, n);
			if (n == 1) {
				ck_assert_uint_eq(snap.flows[0].key.src_port, 1);
				ck_assert_uint_eq(other.bytes, 700);
				ck_assert_uint_eq(other.packets, 2 + 3 + 4);
			} else if (n == 2) {
				ck_assert_uint_eq(snap.flows[0].key.src_port, 1);
				ck_assert_uint_eq(snap.flows[1].key.src_port, 3);
				ck_assert_uint_eq(other.bytes, 400);
				ck_assert_uint_eq(other.packets, 2 + 4);
			} else {
				ck_assert_uint_eq(snap.flows[0].key.src_port, 1);
				ck_assert_uint_eq(snap.flows[1].key.src_port, 3);
				ck_assert_uint_eq(snap.flows[2].key.src_port, 4);
				ck_assert_uint_eq(other.bytes, 100);
				ck_assert_uint_eq(other.packets, 2);
			}
		}
	}
}
END_TEST

START_TEST(top_n_after_merge)
{
	six_flows();
	parse_ok("hosts");
	ls.max_series = 2;
	/* Merged: 300 (A+B), 600 (F), 500 (E), 300 (C), 400 (D). */
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 1);
	ck_assert_uint_eq(snap.n_flows, 2);
	expect_at(0, 7, IN, V4, 0, A4(198, 18, 0, 2), A4(198, 18, 0, 1), 0, 0, 0, 6, 600);
	expect_at(1, 7, IN, V6, 0, A6(0x20, 0x01, 0x0d, 0xb8, [15] = 1),
		  A6(0x20, 0x01, 0x0d, 0xb8, [15] = 2), 0, 0, 0, 5, 500);
	ck_assert_uint_eq(other.bytes, 1000);
	ck_assert_uint_eq(other.packets, 10);
}
END_TEST

START_TEST(top_n_counts_near_the_limit)
{
	/* Sums of the folded tail that do not fit 32 bits stay exact. */
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 1, 53, 1ULL << 40, 1ULL << 62);
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 2, 53, 1ULL << 40, 1ULL << 61);
	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 3, 53, 3, 1ULL << 61);
	ls.max_series = 1;
	ck_assert_int_eq(aggregate_flows(&snap, &ls, &other), 1);
	ck_assert_uint_eq(snap.flows[0].key.src_port, 1);
	ck_assert_uint_eq(other.bytes, 1ULL << 62);
	ck_assert_uint_eq(other.packets, (1ULL << 40) + 3);
}
END_TEST

/* ---- the sum invariant --------------------------------------------------------- */

/* A fixed pseudo-random table: few values per field, so every label set
 * merges something. */
static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void random_table(struct snapshot *s, size_t n)
{
	static const uint16_t ports[] = { 0, 53, 80, 443, 5353, 40000, 40001, 60000 };
	static const uint8_t protos[] = { TCP, UDP, ICMP };

	rng_state = 20240611;
	for (size_t i = 0; i < n; i++) {
		uint8_t fam = rng() % 3 == 0 ? V6 : V4;
		uint8_t src[16] = { 0 }, dst[16] = { 0 };

		if (fam == V4) {
			src[0] = dst[0] = 198;
			src[1] = (uint8_t)(18 + rng() % 2);
			dst[1] = (uint8_t)(18 + rng() % 2);
			src[2] = (uint8_t)(rng() % 2 ? 0x10 : 0x1f);
			dst[2] = (uint8_t)(rng() % 4);
			src[3] = (uint8_t)(rng() % 3 + 1);
			dst[3] = (uint8_t)(rng() % 200 + 1);
		} else {
			src[0] = dst[0] = 0x20;
			src[1] = dst[1] = 0x01;
			src[2] = dst[2] = 0x0d;
			src[3] = dst[3] = 0xb8;
			src[5] = (uint8_t)(rng() % 3);
			dst[7] = (uint8_t)(rng() % 2);
			src[8] = (uint8_t)(rng() % 2 ? 0x80 : 0x01);
			src[15] = (uint8_t)(rng() % 3 + 1);
			dst[15] = (uint8_t)(rng() % 3 + 1);
		}
		add_to(s, 7 + rng() % 2, (uint8_t)(rng() % 2), fam, protos[rng() % 3], src, dst,
		       ports[rng() % 8], ports[rng() % 8], 1 + rng() % 50, 60 + rng() % 3000);
	}
}

/* What a series' label values are, restricted to the labels in keep. The
 * input side masks addresses itself, bit by bit, as an independent check. */
struct group {
	uint32_t ifindex;
	uint8_t dir, proto, fam_src, fam_dst;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint64_t packets, bytes, packets_out, bytes_out;
};

static void mask_bits(uint8_t *a, unsigned bits, unsigned prefix)
{
	for (unsigned b = prefix; b < bits; b++)
		a[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
}

static void group_of(const struct flow_key *k, unsigned keep, const struct label_set *set,
		     int input, struct group *g)
{
	unsigned prefix = k->family == V6 ? set->ipv6_prefix : set->ipv4_prefix;
	unsigned bits = k->family == V6 ? 128 : 32;

	memset(g, 0, sizeof(*g));
	if (keep & FL_INTERFACE)
		g->ifindex = k->ifindex;
	if (keep & FL_DIRECTION)
		g->dir = k->direction;
	if (keep & FL_PROTOCOL)
		g->proto = k->protocol;
	if (keep & FL_SRC_IP) {
		g->fam_src = (uint8_t)(k->family + 1);
		memcpy(g->src, k->src_addr, 16);
		if (input)
			mask_bits(g->src, bits, prefix);
	}
	if (keep & FL_DST_IP) {
		g->fam_dst = (uint8_t)(k->family + 1);
		memcpy(g->dst, k->dst_addr, 16);
		if (input)
			mask_bits(g->dst, bits, prefix);
	}
	if (keep & FL_SRC_PORT)
		g->sport = k->src_port;
	if (keep & FL_DST_PORT)
		g->dport = k->dst_port;
}

static int same_group(const struct group *a, const struct group *b)
{
	return a->ifindex == b->ifindex && a->dir == b->dir && a->proto == b->proto &&
	       a->fam_src == b->fam_src && a->fam_dst == b->fam_dst &&
	       !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16) &&
	       a->sport == b->sport && a->dport == b->dport;
}

static struct group groups[256];

static size_t find_or_add(size_t *n, const struct group *g)
{
	for (size_t i = 0; i < *n; i++)
		if (same_group(&groups[i], g))
			return i;
	ck_assert_uint_lt(*n, sizeof(groups) / sizeof(groups[0]));
	groups[*n] = *g;
	return (*n)++;
}

/* sum by (keep) over the input equals sum by (keep) over the output. */
static void check_sums_by(const struct snapshot *in, const struct snapshot *out,
			  unsigned keep, const struct label_set *set, const char *what)
{
	size_t n = 0;
	struct group g;

	for (size_t i = 0; i < in->n_flows; i++) {
		group_of(&in->flows[i].key, keep, set, 1, &g);
		size_t j = find_or_add(&n, &g);
		groups[j].packets += in->flows[i].val.packets;
		groups[j].bytes += in->flows[i].val.bytes;
	}
	for (size_t i = 0; i < out->n_flows; i++) {
		size_t before = n;

		group_of(&out->flows[i].key, keep, set, 0, &g);
		size_t j = find_or_add(&n, &g);
		ck_assert_msg(n == before, "%s, sum by %#x: output series %zu has label values no input flow has",
			      what, keep, i);
		groups[j].packets_out += out->flows[i].val.packets;
		groups[j].bytes_out += out->flows[i].val.bytes;
	}
	for (size_t j = 0; j < n; j++) {
		ck_assert_msg(groups[j].bytes == groups[j].bytes_out &&
			      groups[j].packets == groups[j].packets_out,
			      "%s, sum by %#x, group %zu: in %llu/%llu, out %llu/%llu", what, keep, j,
			      (unsigned long long)groups[j].packets, (unsigned long long)groups[j].bytes,
			      (unsigned long long)groups[j].packets_out,
			      (unsigned long long)groups[j].bytes_out);
	}
}

static void copy_snapshot(struct snapshot *dst, const struct snapshot *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->flows = malloc(src->n_flows * sizeof(*dst->flows));
	ck_assert_ptr_nonnull(dst->flows);
	memcpy(dst->flows, src->flows, src->n_flows * sizeof(*dst->flows));
	dst->n_flows = dst->cap_flows = src->n_flows;
}

static void totals(const struct snapshot *s, uint64_t *packets, uint64_t *bytes)
{
	*packets = *bytes = 0;
	for (size_t i = 0; i < s->n_flows; i++) {
		*packets += s->flows[i].val.packets;
		*bytes += s->flows[i].val.bytes;
	}
}

START_TEST(every_sum_over_kept_labels_is_exact)
{
	static const uint8_t prefixes[][2] = {
		{ 32, 128 }, { 24, 64 }, { 20, 47 }, { 31, 127 }, { 0, 0 }, { 9, 65 },
	};
	struct snapshot in, out, unfolded;
	uint64_t in_p, in_b, out_p, out_b;
	char what[128];
	size_t checks = 0;

	memset(&in, 0, sizeof(in));
	random_table(&in, 64);
	totals(&in, &in_p, &in_b);
	for (unsigned mask = 1; mask <= FL_ALL; mask++)
		for (int services = 0; services <= 1; services++)
			for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
				struct label_set set = { .mask = mask, .services = services,
							 .ipv4_prefix = prefixes[p][0],
							 .ipv6_prefix = prefixes[p][1] };
				/* services drops ports per series: sums hold over the rest. */
				unsigned always = services ? mask & ~(unsigned)(FL_SRC_PORT | FL_DST_PORT) : mask;

				snprintf(what, sizeof(what), "mask %#x services %d /%u /%u", mask, services,
					 set.ipv4_prefix, set.ipv6_prefix);
				copy_snapshot(&unfolded, &in);
				ck_assert_int_eq(aggregate_flows(&unfolded, &set, &other), 0);
				ck_assert_uint_le(unfolded.n_flows, in.n_flows);
				totals(&unfolded, &out_p, &out_b);
				ck_assert_msg(out_p == in_p && out_b == in_b, "%s: totals", what);
				for (size_t i = 1; i < unfolded.n_flows; i++)
					ck_assert_msg(memcmp(&unfolded.flows[i - 1].key, &unfolded.flows[i].key,
							     sizeof(struct flow_key)),
						      "%s: series %zu and %zu have one key", what, i - 1, i);
				for (size_t i = 0; i < unfolded.n_flows; i++) {
					const struct flow_key *k = &unfolded.flows[i].key;

					ck_assert_msg(!(k->pad & ~(FL_SRC_PORT | FL_DST_PORT)) &&
						      (services || !k->pad), "%s: pad %#x", what, k->pad);
					ck_assert(!(k->pad & FL_SRC_PORT) || !k->src_port);
					ck_assert(!(k->pad & FL_DST_PORT) || !k->dst_port);
				}
				/* Every subset of the kept labels, the empty one included. */
				for (unsigned sub = always;; sub = (sub - 1) & always) {
					check_sums_by(&in, &unfolded, sub, &set, what);
					checks++;
					if (!sub)
						break;
				}
				/* Top N of the same set: totals, and the kept series unchanged. */
				for (uint32_t n = 1; n <= 4; n += 3) {
					set.max_series = n;
					copy_snapshot(&out, &in);
					int folded = aggregate_flows(&out, &set, &other);

					ck_assert_int_eq(folded, unfolded.n_flows > n);
					ck_assert_uint_eq(out.n_flows, folded ? n : unfolded.n_flows);
					totals(&out, &out_p, &out_b);
					if (folded) {
						out_p += other.packets;
						out_b += other.bytes;
					}
					ck_assert_msg(out_p == in_p && out_b == in_b, "%s top %u: totals", what, n);
					for (size_t i = 0; i < out.n_flows; i++) {
						size_t j = 0;

						while (j < unfolded.n_flows &&
						       (memcmp(&unfolded.flows[j].key, &out.flows[i].key,
							       sizeof(struct flow_key)) ||
							unfolded.flows[j].val.packets != out.flows[i].val.packets ||
							unfolded.flows[j].val.bytes != out.flows[i].val.bytes))
							j++;
						ck_assert_msg(j < unfolded.n_flows, "%s top %u: series %zu is new",
							      what, n, i);
						/* Nothing folded is larger than what was kept. */
						for (size_t f = 0; f < unfolded.n_flows; f++) {
							size_t m = 0;

							while (m < out.n_flows && memcmp(&out.flows[m].key,
											 &unfolded.flows[f].key,
											 sizeof(struct flow_key)))
								m++;
							if (m == out.n_flows)
								ck_assert_uint_le(unfolded.flows[f].val.bytes,
										  out.flows[i].val.bytes);
						}
					}
					snapshot_free(&out);
				}
				snapshot_free(&unfolded);
			}
	ck_assert_uint_gt(checks, 2 * 6 * 127);
	snapshot_free(&in);
}
END_TEST

/* ---- exposition ------------------------------------------------------------------ */

static struct strbuf text;

static const char *render_with(const struct label_set *set, struct flow_expiry *expiry,
			       uint64_t *evictions)
{
	struct render_input in = { .snap = &snap, .read_seconds = 0.25, .flow_max_entries = 1024,
				   .labels = set, .expiry = expiry, .evictions = evictions };

	strbuf_reset(&text);
	render_exposition(&text, &in);
	ck_assert_int_eq(text.oom, 0);
	return text.data;
}

/* The flow families: the text up to the tcflow_flows family. */
static char *flow_part(const char *t)
{
	const char *end = strstr(t, "# HELP tcflow_flows ");

	ck_assert_ptr_nonnull(end);
	return strndup(t, (size_t)(end - t));
}

#define BYTES_HEAD "# HELP tcflow_flow_bytes_total Bytes of the frames of each flow, L2 header included.\n" \
		   "# TYPE tcflow_flow_bytes_total counter\n"
#define PACKETS_HEAD "# HELP tcflow_flow_packets_total Packets of each flow; a GSO packet counts as its segments.\n" \
		     "# TYPE tcflow_flow_packets_total counter\n"

START_TEST(exposition_hosts_cidr_other)
{
	struct flow_expiry expiry;
	uint64_t evictions = 0;
	char *want;

	add(7, IN, V4, TCP, A4(198, 18, 0, 1), A4(198, 19, 0, 1), 40000, 443, 10, 5000);
	add(7, IN, V4, UDP, A4(198, 18, 0, 77), A4(198, 19, 0, 9), 40001, 53, 2, 200);
	add(7, EG, V6, TCP, A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 5),
	    A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2, [15] = 7), 443, 50000, 3, 3000);
	add(7, IN, V4, UDP, A4(198, 18, 1, 1), A4(198, 19, 0, 1), 5000, 53, 1, 100);
	add(7, EG, V4, ICMP, A4(198, 18, 0, 1), A4(198, 18, 0, 2), 0, 0, 4, 150);
	snap.losses[TCFLOW_STAT_FLOW_INSERTS] = 10;
	parse_ok("hosts");
	ls.ipv4_prefix = 24;
	ls.ipv6_prefix = 64;
	ls.max_series = 2;
	memset(&expiry, 0, sizeof(expiry));
	pthread_mutex_init(&expiry.lock, NULL);
	expiry.expired = 3;	/* 10 inserted - 5 present - 3 expired: 2 evicted */
	ck_assert_int_ge(asprintf(&want,
		BYTES_HEAD
		"tcflow_flow_bytes_total{interface=\"eth0\",direction=\"ingress\",src_ip=\"198.18.0.0/24\",dst_ip=\"198.19.0.0/24\"} 5200\n"
		"tcflow_flow_bytes_total{interface=\"eth0\",direction=\"egress\",src_ip=\"2001:db8:0:1::/64\",dst_ip=\"2001:db8:0:2::/64\"} 3000\n"
		"tcflow_flow_bytes_total{interface=\"other\",direction=\"other\",src_ip=\"other\",dst_ip=\"other\"} 250\n"
		PACKETS_HEAD
		"tcflow_flow_packets_total{interface=\"eth0\",direction=\"ingress\",src_ip=\"198.18.0.0/24\",dst_ip=\"198.19.0.0/24\"} 12\n"
		"tcflow_flow_packets_total{interface=\"eth0\",direction=\"egress\",src_ip=\"2001:db8:0:1::/64\",dst_ip=\"2001:db8:0:2::/64\"} 3\n"
		"tcflow_flow_packets_total{interface=\"other\",direction=\"other\",src_ip=\"other\",dst_ip=\"other\"} 5\n"
		"# HELP tcflow_flows Entries in the kernel's flow table.\n"
		"# TYPE tcflow_flows gauge\n"
		"tcflow_flows 5\n"
		"# HELP tcflow_flow_table_max_entries Size of the flow table (--flow.max-entries): when full, the least recently used flow is evicted.\n"
		"# TYPE tcflow_flow_table_max_entries gauge\n"
		"tcflow_flow_table_max_entries 1024\n"
		"# HELP tcflow_flow_inserts_total Flows the kernel added to the flow table.\n"
		"# TYPE tcflow_flow_inserts_total counter\n"
		"tcflow_flow_inserts_total 10\n"
		"# HELP tcflow_flows_expired_total Flows deleted after --flow.idle-timeout without packets.\n"
		"# TYPE tcflow_flows_expired_total counter\n"
		"tcflow_flows_expired_total 3\n"
		"# HELP tcflow_flow_evictions_estimated_total Flows the full table evicted (inserted, minus present, minus expired); an evicted flow that returns restarts from zero.\n"
		"# TYPE tcflow_flow_evictions_estimated_total counter\n"
		"tcflow_flow_evictions_estimated_total 2\n"
		"# HELP tcflow_interface_bytes_total Bytes of all frames per interface, direction and family (ipv4, ipv6, other); never evicted.\n"
		"# TYPE tcflow_interface_bytes_total counter\n"
		"# HELP tcflow_interface_packets_total Packets per interface, direction and family (ipv4, ipv6, other); never evicted.\n"
		"# TYPE tcflow_interface_packets_total counter\n"
		"# HELP tcflow_interface_malformed_packets_total IPv4 and IPv6 packets too broken to be counted as a flow.\n"
		"# TYPE tcflow_interface_malformed_packets_total counter\n"
		"# HELP tcflow_map_update_failures_total Packets the kernel could not add to a map (its count is lost), by map.\n"
		"# TYPE tcflow_map_update_failures_total counter\n"
		"tcflow_map_update_failures_total{map=\"flows\"} 0\n"
		"tcflow_map_update_failures_total{map=\"interfaces\"} 0\n"
		"# HELP tcflow_scrape_success Whether reading a map succeeded in this scrape (1) or failed (0).\n"
		"# TYPE tcflow_scrape_success gauge\n"
		"tcflow_scrape_success{map=\"flows\"} 1\n"
		"tcflow_scrape_success{map=\"interfaces\"} 1\n"
		"tcflow_scrape_success{map=\"losses\"} 1\n"
		"# HELP tcflow_build_info A metric with a constant '1' value labeled by the versions tcflow_exporter was built with.\n"
		"# TYPE tcflow_build_info gauge\n"
		"tcflow_build_info{version=\"%s\",libbpf=\"%s\"} 1\n"
		"# HELP tcflow_scrape_duration_seconds Seconds this scrape spent reading the kernel's maps.\n"
		"# TYPE tcflow_scrape_duration_seconds gauge\n"
		"tcflow_scrape_duration_seconds 0.250000000\n",
		PACKAGE_VERSION, libbpf_version_string() + 1), 0);
	assert_text_eq(render_with(&ls, &expiry, &evictions), want);
	ck_assert_uint_eq(evictions, 2);
	free(want);
	pthread_mutex_destroy(&expiry.lock);
}
END_TEST

START_TEST(exposition_services_omits_ports)
{
	const uint8_t *h1 = A4(198, 18, 0, 1), *h2 = A4(198, 18, 0, 2);
	char *part;

	add(7, IN, V4, UDP, h1, h2, 40000, 53, 1, 100);
	add(7, IN, V4, UDP, h1, h2, 40001, 53, 2, 200);
	add(7, IN, V4, UDP, h2, h1, 53, 40000, 3, 300);
	add(7, IN, V4, UDP, h1, h2, 5353, 5353, 4, 400);
	add(7, IN, V4, UDP, h1, h2, 0, 53, 5, 500);
	add(7, IN, V4, ICMP, h1, h2, 0, 0, 6, 600);
	parse_ok("services");
	part = flow_part(render_with(&ls, NULL, NULL));
#define L "tcflow_flow_bytes_total{interface=\"eth0\",direction=\"ingress\","
#define P "tcflow_flow_packets_total{interface=\"eth0\",direction=\"ingress\","
	assert_text_eq(part,
		BYTES_HEAD
		L "protocol=\"icmp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"0\",dst_port=\"0\"} 600\n"
		L "protocol=\"udp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"0\",dst_port=\"53\"} 500\n"
		L "protocol=\"udp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",dst_port=\"53\"} 300\n"
		L "protocol=\"udp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"5353\",dst_port=\"5353\"} 400\n"
		L "protocol=\"udp\",src_ip=\"198.18.0.2\",dst_ip=\"198.18.0.1\",src_port=\"53\"} 300\n"
		PACKETS_HEAD
		P "protocol=\"icmp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"0\",dst_port=\"0\"} 6\n"
		P "protocol=\"udp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"0\",dst_port=\"53\"} 5\n"
		P "protocol=\"udp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",dst_port=\"53\"} 3\n"
		P "protocol=\"udp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"5353\",dst_port=\"5353\"} 4\n"
		P "protocol=\"udp\",src_ip=\"198.18.0.2\",dst_ip=\"198.18.0.1\",src_port=\"53\"} 3\n");
#undef L
#undef P
	ck_assert_ptr_nonnull(strstr(text.data, "\ntcflow_flows 6\n"));
	free(part);
}
END_TEST

START_TEST(exposition_services_other_and_zero_prefix)
{
	char *part;

	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 19, 0, 1), 40000, 53, 1, 100);
	add(8, EG, V6, TCP, A6(0x20, 0x01, 0x0d, 0xb8, [15] = 1), A6(0x20, 0x01, 0x0d, 0xb8, [15] = 2),
	    443, 40000, 2, 200);
	add(7, IN, V4, TCP, A4(198, 18, 9, 1), A4(198, 19, 0, 1), 40000, 80, 3, 50);
	parse_ok("services");
	ls.ipv4_prefix = 0;
	ls.ipv6_prefix = 0;
	ls.max_series = 2;
	part = flow_part(render_with(&ls, NULL, NULL));
	assert_text_eq(part,
		BYTES_HEAD
		"tcflow_flow_bytes_total{interface=\"eth0\",direction=\"ingress\",protocol=\"udp\",src_ip=\"0.0.0.0/0\",dst_ip=\"0.0.0.0/0\",dst_port=\"53\"} 100\n"
		"tcflow_flow_bytes_total{interface=\"eth1\",direction=\"egress\",protocol=\"tcp\",src_ip=\"::/0\",dst_ip=\"::/0\",src_port=\"443\"} 200\n"
		"tcflow_flow_bytes_total{interface=\"other\",direction=\"other\",protocol=\"other\",src_ip=\"other\",dst_ip=\"other\",src_port=\"other\",dst_port=\"other\"} 50\n"
		PACKETS_HEAD
		"tcflow_flow_packets_total{interface=\"eth0\",direction=\"ingress\",protocol=\"udp\",src_ip=\"0.0.0.0/0\",dst_ip=\"0.0.0.0/0\",dst_port=\"53\"} 1\n"
		"tcflow_flow_packets_total{interface=\"eth1\",direction=\"egress\",protocol=\"tcp\",src_ip=\"::/0\",dst_ip=\"::/0\",src_port=\"443\"} 2\n"
		"tcflow_flow_packets_total{interface=\"other\",direction=\"other\",protocol=\"other\",src_ip=\"other\",dst_ip=\"other\",src_port=\"other\",dst_port=\"other\"} 3\n");
	free(part);
}
END_TEST

START_TEST(exposition_list_without_addresses)
{
	char *part;

	six_flows();
	parse_ok("protocol,dst_port");
	part = flow_part(render_with(&ls, NULL, NULL));
	assert_text_eq(part,
		BYTES_HEAD
		"tcflow_flow_bytes_total{protocol=\"icmp\",dst_port=\"0\"} 600\n"
		"tcflow_flow_bytes_total{protocol=\"tcp\",dst_port=\"443\"} 1400\n"
		"tcflow_flow_bytes_total{protocol=\"udp\",dst_port=\"53\"} 100\n"
		PACKETS_HEAD
		"tcflow_flow_packets_total{protocol=\"icmp\",dst_port=\"0\"} 6\n"
		"tcflow_flow_packets_total{protocol=\"tcp\",dst_port=\"443\"} 14\n"
		"tcflow_flow_packets_total{protocol=\"udp\",dst_port=\"53\"} 1\n");
	free(part);
}
END_TEST

START_TEST(exposition_default_set_is_no_set)
{
	char *with_null, *with_default;

	six_flows();
	with_null = strdup(render_with(NULL, NULL, NULL));
	reset_snap();
	six_flows();
	with_default = strdup(render_with(&ls, NULL, NULL));
	assert_text_eq(with_null, with_default);
	ck_assert_ptr_nonnull(strstr(with_null,
		"tcflow_flow_bytes_total{interface=\"eth1\",direction=\"ingress\",protocol=\"tcp\",src_ip=\"198.18.0.1\",dst_ip=\"198.18.0.2\",src_port=\"40000\",dst_port=\"443\"} 400\n"));
	free(with_null);
	free(with_default);
}
END_TEST

START_TEST(evictions_stay_monotonic)
{
	uint64_t evictions = 7;

	add(7, IN, V4, UDP, A4(198, 18, 0, 1), A4(198, 19, 0, 1), 40000, 53, 1, 100);
	snap.losses[TCFLOW_STAT_FLOW_INSERTS] = 3;	/* 2 gone: less than 7 seen before */
	ck_assert_ptr_nonnull(strstr(render_with(&ls, NULL, &evictions),
				     "\ntcflow_flow_evictions_estimated_total 7\n"));
	ck_assert_uint_eq(evictions, 7);
	snap.losses[TCFLOW_STAT_FLOW_INSERTS] = 11;	/* 10 gone */
	ck_assert_ptr_nonnull(strstr(render_with(&ls, NULL, &evictions),
				     "\ntcflow_flow_evictions_estimated_total 10\n"));
	ck_assert_uint_eq(evictions, 10);
}
END_TEST

/* ---- OpenMetrics ------------------------------------------------------------- */

static char *to_openmetrics(const char *in)
{
	struct strbuf t = { 0 }, om = { 0 };
	char *s;

	strbuf_puts(&t, in);
	ck_assert_int_eq(openmetrics_from_text(&t, &om), 0);
	ck_assert_uint_eq(strlen(om.data), om.len);
	s = strdup(om.data);
	strbuf_free(&t);
	strbuf_free(&om);
	return s;
}

START_TEST(openmetrics_small)
{
	char *om = to_openmetrics(
		"# HELP a_total A counter.\n"
		"# TYPE a_total counter\n"
		"a_total{x=\"1\"} 3\n"
		"a_total{x=\"2\"} 4\n"
		"# HELP g A gauge whose help says x_total here.\n"
		"# TYPE g gauge\n"
		"g 1.5\n"
		"# HELP h_seconds A histogram.\n"
		"# TYPE h_seconds histogram\n"
		"h_seconds_bucket{le=\"1\"} 1\n"
		"h_seconds_bucket{le=\"+Inf\"} 2\n"
		"h_seconds_sum 3.5\n"
		"h_seconds_count 2\n"
		"# HELP gauge_after A gauge, then a counter.\n"
		"# TYPE gauge_after gauge\n"
		"gauge_after 0\n"
		"# HELP b_total B, with \\\\ and \\n escaped.\n"
		"# TYPE b_total counter\n"
		"b_total 9\n");

	assert_text_eq(om,
		"# HELP a A counter.\n"
		"# TYPE a counter\n"
		"a_total{x=\"1\"} 3\n"
		"a_total{x=\"2\"} 4\n"
		"# HELP g A gauge whose help says x_total here.\n"
		"# TYPE g gauge\n"
		"g 1.5\n"
		"# HELP h_seconds A histogram.\n"
		"# TYPE h_seconds histogram\n"
		"h_seconds_bucket{le=\"1\"} 1\n"
		"h_seconds_bucket{le=\"+Inf\"} 2\n"
		"h_seconds_sum 3.5\n"
		"h_seconds_count 2\n"
		"# HELP gauge_after A gauge, then a counter.\n"
		"# TYPE gauge_after gauge\n"
		"gauge_after 0\n"
		"# HELP b B, with \\\\ and \\n escaped.\n"
		"# TYPE b counter\n"
		"b_total 9\n"
		"# EOF\n");
	free(om);
}
END_TEST

START_TEST(openmetrics_empty_and_inner_total)
{
	char *om = to_openmetrics("");

	ck_assert_str_eq(om, "# EOF\n");
	free(om);
	/* _total inside a name is not the suffix. */
	om = to_openmetrics("# HELP x_totals_total Y.\n# TYPE x_totals_total counter\nx_totals_total 1\n");
	ck_assert_str_eq(om, "# HELP x_totals Y.\n# TYPE x_totals counter\nx_totals_total 1\n# EOF\n");
	free(om);
}
END_TEST

START_TEST(openmetrics_of_a_real_exposition)
{
	struct strbuf om = { 0 };
	const char *p;
	size_t types = 0;

	six_flows();
	snap.ifaces = calloc(1, sizeof(*snap.ifaces));
	ck_assert_ptr_nonnull(snap.ifaces);
	snap.n_ifaces = snap.cap_ifaces = 1;
	snap.ifaces[0].key.ifindex = 7;
	snap.ifaces[0].val.packets[V4] = 16;
	snap.ifaces[0].val.bytes[V4] = 1600;
	parse_ok("services");
	ls.max_series = 2;
	render_with(&ls, NULL, NULL);
	ck_assert_int_eq(openmetrics_from_text(&text, &om), 0);
	ck_assert_uint_gt(om.len, 6);
	ck_assert_str_eq(om.data + om.len - 6, "# EOF\n");
	ck_assert_ptr_eq(strstr(om.data, "# EOF"), om.data + om.len - 6);
	/* Every counter family is named without _total; its samples keep it. */
	for (p = om.data; (p = strstr(p, "# TYPE ")); p++) {
		char name[128], type[32];

		ck_assert_int_eq(sscanf(p, "# TYPE %127s %31s", name, type), 2);
		types++;
		if (!strcmp(type, "counter")) {
			char sample[160];
			size_t len = strlen(name);

			ck_assert_msg(len < 6 || strcmp(name + len - 6, "_total"), "%s", name);
			snprintf(sample, sizeof(sample), "\n%s_total", name);
			ck_assert_msg(strstr(p, sample), "no sample of %s", name);
		}
	}
	ck_assert_uint_ge(types, 12);
	ck_assert_ptr_nonnull(strstr(om.data, "# TYPE tcflow_flow_bytes counter\ntcflow_flow_bytes_total{"));
	ck_assert_ptr_nonnull(strstr(om.data, "\ntcflow_flow_packets_total{interface=\"other\",direction=\"other\",protocol=\"other\",src_ip=\"other\",dst_ip=\"other\",src_port=\"other\",dst_port=\"other\"} 10\n"));
	ck_assert_ptr_nonnull(strstr(om.data, "# TYPE tcflow_flows gauge\ntcflow_flows 6\n"));
	strbuf_free(&om);
}
END_TEST

/* Expired flows' counts stay in their series while it stands. */
START_TEST(retired_counts_join_live_series)
{
	struct flow_entry live[2], retired[3];

	memset(live, 0, sizeof(live));
	memset(retired, 0, sizeof(retired));
	live[0].key.ifindex = 1;
	live[1].key.ifindex = 3;
	live[0].val = (struct flow_value){ .packets = 1, .bytes = 10 };
	live[1].val = (struct flow_value){ .packets = 2, .bytes = 20 };
	retired[0].key.ifindex = 1;	/* joins live[0] */
	retired[1].key.ifindex = 2;	/* no series left: dropped */
	retired[2].key.ifindex = 3;	/* joins live[1] */
	retired[0].val = (struct flow_value){ .packets = 5, .bytes = 50 };
	retired[1].val = (struct flow_value){ .packets = 7, .bytes = 70 };
	retired[2].val = (struct flow_value){ .packets = 9, .bytes = 90 };
	snap.flows = malloc(sizeof(live));
	memcpy(snap.flows, live, sizeof(live));
	snap.n_flows = snap.cap_flows = 2;
	ck_assert_uint_eq(aggregate_join_retired(&snap, retired, 3), 2);
	ck_assert_uint_eq(snap.flows[0].val.packets, 6);
	ck_assert_uint_eq(snap.flows[0].val.bytes, 60);
	ck_assert_uint_eq(snap.flows[1].val.packets, 11);
	ck_assert_uint_eq(snap.flows[1].val.bytes, 110);
	ck_assert_uint_eq(retired[0].key.ifindex, 1);
	ck_assert_uint_eq(retired[1].key.ifindex, 3);
	ck_assert_uint_eq(aggregate_compact(retired, 2), 2);
}
END_TEST

static Suite *aggregate_suite(void)
{
	Suite *s = suite_create("aggregate");
	TCase *tc;

	tc = tcase_create("label_set");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, default_is_the_full_tuple);
	tcase_add_test(tc, presets);
	tcase_add_test(tc, label_lists);
	tcase_add_test(tc, parse_keeps_prefixes_and_max_series);
	tcase_add_test(tc, bad_labels);
	tcase_add_test(tc, command_line);
	tcase_add_test(tc, command_line_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("projection");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity_only_sorts);
	tcase_add_test(tc, hosts_merges_protocols_and_ports);
	tcase_add_test(tc, list_protocol_merges_families);
	tcase_add_test(tc, list_interface_direction);
	tcase_add_test(tc, list_ports);
	tcase_add_test(tc, list_dst_ip_keeps_families);
	tcase_add_test(tc, services_drops_the_larger_port);
	tcase_add_test(tc, services_merges_clients_of_a_service);
	tcase_add_test(tc, ipv4_prefix_24);
	tcase_add_test(tc, ipv4_prefix_mid_byte);
	tcase_add_test(tc, ipv4_prefix_31_and_0);
	tcase_add_test(tc, ipv6_prefix_64_65_0);
	tcase_add_test(tc, prefix_of_one_family_leaves_the_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("top_n");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, top_n_folds_the_rest);
	tcase_add_test(tc, top_n_not_below_count);
	tcase_add_test(tc, top_n_ties_by_key_order);
	tcase_add_test(tc, top_n_after_merge);
	tcase_add_test(tc, top_n_counts_near_the_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("invariant");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_sum_over_kept_labels_is_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("exposition");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exposition_hosts_cidr_other);
	tcase_add_test(tc, exposition_services_omits_ports);
	tcase_add_test(tc, exposition_services_other_and_zero_prefix);
	tcase_add_test(tc, exposition_list_without_addresses);
	tcase_add_test(tc, exposition_default_set_is_no_set);
	tcase_add_test(tc, evictions_stay_monotonic);
	tcase_add_test(tc, retired_counts_join_live_series);
	suite_add_tcase(s, tc);

	tc = tcase_create("openmetrics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, openmetrics_small);
	tcase_add_test(tc, openmetrics_empty_and_inner_total);
	tcase_add_test(tc, openmetrics_of_a_real_exposition);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(aggregate_suite());
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);	/* long strings: no IPC limit */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	strbuf_free(&text);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
