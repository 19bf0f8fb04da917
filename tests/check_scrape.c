// SPDX-License-Identifier: BSD-2-Clause
/* One scrape (scrape.c) over flow, interface and loss tables with known
 * contents: the exact exposition lines a user reads, as the tables grow
 * between scrapes, when the LRU evicts, when the idle sweeper deletes, when
 * a map cannot be read; gzip bodies that inflate to the same text. Needs
 * CAP_BPF to create maps; otherwise exits 77. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "flow_expiry.h"
#include "gunzip.h"
#include "ifnames.h"
#include "log.h"
#include "scrape.h"
#include "tables.h"
#include "worker.h"

#define S 1000000000ULL

static int flows_fd = -1, ifaces_fd = -1, losses_fd = -1;
static struct label_set ls;
static struct scraper sc;
static struct strbuf inflated;

/* Interface 7 "veth0", ingress: its home slot with 8 interface slots. */
#define SLOT 14

static void setup(void)
{
	ifnames_clear();
	ifnames_register(7, "veth0");
	label_set_default(&ls);
	flows_fd = tables_flows(1024, TCFLOW_KEY_SIZE_NO_OWNER);
	ifaces_fd = tables_ifaces(64);
	losses_fd = tables_losses();
	ck_assert_int_ge(flows_fd, 0);
	ck_assert_int_ge(ifaces_fd, 0);
	ck_assert_int_ge(losses_fd, 0);
	scraper_init(&sc, flows_fd, ifaces_fd, losses_fd, 0, &ls);
	memset(&inflated, 0, sizeof(inflated));
}

static void teardown(void)
{
	scraper_destroy(&sc);
	strbuf_free(&inflated);
	close(flows_fd);
	close(ifaces_fd);
	close(losses_fd);
}

static void flow(uint32_t i, uint64_t packets, uint64_t last_seen_ns)
{
	struct flow_key k = tables_key(i);

	ck_assert_int_eq(tables_put_flow(flows_fd, &k, packets, packets * 100, last_seen_ns), 0);
}

/* The kernel's totals for interface 7 ingress, all IPv4, and its inserts. */
static void totals(uint64_t packets, uint64_t inserts)
{
	struct iface_value v = { .packets = { packets }, .bytes = { packets * 100 },
				 .tag = tcflow_iface_tag(7, TCFLOW_DIR_INGRESS) };

	ck_assert_int_eq(tables_put_iface(ifaces_fd, SLOT, 0, &v), 0);
	ck_assert_int_eq(tables_put_loss(losses_fd, TCFLOW_STAT_FLOW_INSERTS, inserts, 0), 0);
}

/* A scrape's text, kept in a static buffer until the next call. */
static const char *scrape(enum scrape_format format)
{
	static struct strbuf text;
	struct scrape_body *b = scraper_get(&sc, format, 0);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->format, format);
	strbuf_reset(&text);
	strbuf_append(&text, b->text.data, b->text.len);
	scraper_put(&sc, b);
	return text.data;
}

/* Whether text holds want; the message names the asserting line. */
#define has(text, want) has_at(text, want, __LINE__)
static void has_at(const char *text, const char *want, int line)
{
	if (strstr(text, want))
		return;
	fprintf(stderr, "the exposition:\n%s", text);
	ck_abort_msg("line %d: the exposition lacks\n%s", line, want);
}

#define IN "interface=\"veth0\",direction=\"ingress\""
#define FLOW(i) "{" IN ",protocol=\"tcp\",src_ip=\"198.18.0." #i "\",dst_ip=\"198.19.0.1\"," \
	"service_port=\"443\"}"
#define FOLD "{" IN ",protocol=\"other\",src_ip=\"other\",dst_ip=\"other\",service_port=\"other\"}"

/* The packet samples of flows 1, 2 and the fold, in this order, and nothing between. */
static char *packets_block(uint64_t a, uint64_t b, uint64_t fold)
{
	char *s;

	ck_assert_int_ge(asprintf(&s,
		"# TYPE tcflow_flow_packets_total counter\n"
		"tcflow_flow_packets_total" FLOW(1) " %lu\n"
		"tcflow_flow_packets_total" FLOW(2) " %lu\n"
		"tcflow_flow_packets_total" FOLD " %lu\n# HELP ",
		(unsigned long)a, (unsigned long)b, (unsigned long)fold), 0);
	return s;
}

#define has_packets(text, a, b, fold) has_packets_at(text, a, b, fold, __LINE__)
static void has_packets_at(const char *text, uint64_t a, uint64_t b, uint64_t fold, int line)
{
	char *want = packets_block(a, b, fold);

	has_at(text, want, line);
	free(want);
}

START_TEST(first_scrape_exact_lines)
{
	const char *text;

	flow(1, 7, 0);
	flow(2, 5, 0);
	totals(12, 2);
	text = scrape(FORMAT_TEXT);
	has_packets(text, 7, 5, 0);
	has(text, "# TYPE tcflow_flow_bytes_total counter\n"
		  "tcflow_flow_bytes_total" FLOW(1) " 700\n"
		  "tcflow_flow_bytes_total" FLOW(2) " 500\n"
		  "tcflow_flow_bytes_total" FOLD " 0\n");
	has(text, "\ntcflow_flow_series 2\n");
	has(text, "\ntcflow_flows 2\n");
	has(text, "\ntcflow_flow_inserts_total 2\n");
	has(text, "\ntcflow_flows_expired_total 0\n");
	has(text, "\ntcflow_flow_evictions_estimated_total 0\n");
	has(text, "\ntcflow_interface_packets_total{" IN ",family=\"ipv4\"} 12\n"
		  "tcflow_interface_packets_total{" IN ",family=\"ipv6\"} 0\n"
		  "tcflow_interface_packets_total{" IN ",family=\"other\"} 0\n");
	has(text, "\ntcflow_scrape_success{map=\"flows\"} 1\n"
		  "tcflow_scrape_success{map=\"interfaces\"} 1\n"
		  "tcflow_scrape_success{map=\"losses\"} 1\n");
	ck_assert_ptr_null(strstr(text, "_created"));
	ck_assert_ptr_null(strstr(text, "process_"));
}
END_TEST

/* Counts grow with the table; a flow new after the first scrape shows 0
 * first and its count one scrape later. */
START_TEST(counts_follow_the_table)
{
	const char *text;

	flow(1, 7, 0);
	totals(7, 1);
	has(scrape(FORMAT_TEXT), "tcflow_flow_packets_total" FLOW(1) " 7\n"
				 "tcflow_flow_packets_total" FOLD " 0\n");
	flow(1, 10, 0);
	flow(2, 5, 0);
	totals(15, 2);
	text = scrape(FORMAT_TEXT);
	has_packets(text, 10, 0, 0);
	has(text, "\ntcflow_flow_series_started_total 2\n");
	has_packets(scrape(FORMAT_TEXT), 10, 5, 0);
}
END_TEST

/* A flow the LRU evicted: inserted 5, present 2 and 1, never expired; its
 * series keeps what it counted. */
START_TEST(evictions_estimated)
{
	const char *text;
	struct flow_key k = tables_key(2);

	flow(1, 7, 0);
	flow(2, 5, 0);
	totals(12, 5);
	has(scrape(FORMAT_TEXT), "\ntcflow_flow_evictions_estimated_total 3\n");
	ck_assert_int_eq(bpf_map_delete_elem(flows_fd, &k), 0);
	text = scrape(FORMAT_TEXT);
	has(text, "\ntcflow_flows 1\n");
	has(text, "\ntcflow_flow_evictions_estimated_total 4\n");
	has_packets(text, 7, 5, 0);
}
END_TEST

/* A flow that grew and then went idle: the sweeper deleted it with 10
 * packets, of which the last scrape had read 7. The next scrape credits
 * the 3, counts it expired, not evicted. */
START_TEST(expired_flow_credited)
{
	struct flow_expiry ex;
	const char *text;

	ck_assert_int_eq(flow_expiry_start(&ex, flows_fd, 3600), 0);
	sc.expiry = &ex;
	flow(1, 7, 0);
	flow(2, 5, 20000 * S);
	totals(12, 2);
	has_packets(scrape(FORMAT_TEXT), 7, 5, 0);
	flow(1, 10, 0);
	totals(15, 2);
	ck_assert_int_eq(flow_expiry_sweep(&ex, 10000 * S), 1);
	text = scrape(FORMAT_TEXT);
	has_packets(text, 10, 5, 0);
	has(text, "\ntcflow_flows 1\n");
	has(text, "\ntcflow_flows_expired_total 1\n");
	has(text, "\ntcflow_flow_evictions_estimated_total 0\n");
	sc.expiry = NULL;
	flow_expiry_stop(&ex);
}
END_TEST

/* Without the interface totals the series stand still (the accounting
 * cannot tell what was lost); the flow table is still counted. */
START_TEST(failed_interface_read)
{
	const char *text;

	flow(1, 7, 0);
	flow(2, 5, 0);
	totals(12, 2);
	has_packets(scrape(FORMAT_TEXT), 7, 5, 0);
	flow(1, 9, 0);
	sc.ifaces_fd = -1;
	text = scrape(FORMAT_TEXT);
	has(text, "\ntcflow_scrape_success{map=\"flows\"} 1\n"
		  "tcflow_scrape_success{map=\"interfaces\"} 0\n"
		  "tcflow_scrape_success{map=\"losses\"} 1\n");
	has(text, "\ntcflow_flows 2\n");
	has_packets(text, 7, 5, 0);
	sc.ifaces_fd = ifaces_fd;
	has_packets(scrape(FORMAT_TEXT), 9, 5, 0);
}
END_TEST

START_TEST(openmetrics_body)
{
	const char *text;

	flow(1, 7, 0);
	flow(2, 5, 0);
	totals(12, 2);
	text = scrape(FORMAT_OPENMETRICS);
	has(text, "# TYPE tcflow_flow_packets counter\n"
		  "tcflow_flow_packets_total" FLOW(1) " 7\n"
		  "tcflow_flow_packets_total" FLOW(2) " 5\n");
	has(text, "\ntcflow_flows 2\n");
	ck_assert_ptr_null(strstr(text, "# TYPE tcflow_flow_packets_total"));
	ck_assert_ptr_null(strstr(text, "_created"));
	ck_assert_str_eq(text + strlen(text) - 6, "# EOF\n");
	/* --web.openmetrics-created */
	sc.openmetrics_created = 1;
	has(scrape(FORMAT_OPENMETRICS), "tcflow_flow_packets_total" FLOW(1) " 7\n"
					"tcflow_flow_packets_created" FLOW(1) " ");
}
END_TEST

static const struct strbuf *inflate_gzip(const struct strbuf *gz)
{
	char *text;
	size_t len;

	ck_assert_uint_gt(gz->len, 18);
	ck_assert_uint_eq((unsigned char)gz->data[0], 0x1f);
	ck_assert_uint_eq((unsigned char)gz->data[1], 0x8b);
	ck_assert_int_eq(gunzip(gz->data, gz->len, &text, &len), 0);
	strbuf_reset(&inflated);
	strbuf_append(&inflated, text, len);
	free(text);
	return &inflated;
}

/* A gzip body is the same scrape's text, compressed: nothing more, nothing
 * less; the plain payload is the text itself. */
START_TEST(gzip_inflates_to_the_text)
{
	enum scrape_format format = _i ? FORMAT_OPENMETRICS : FORMAT_TEXT;
	struct scrape_body *b;
	const struct strbuf *gz, *text;

	flow(1, 7, 0);
	flow(2, 5, 0);
	totals(12, 2);
	b = scraper_get(&sc, format, 1);
	ck_assert_ptr_nonnull(b);
	gz = scrape_payload(b, format, 1);
	text = inflate_gzip(gz);
	ck_assert_uint_eq(text->len, b->text.len);
	ck_assert_int_eq(memcmp(text->data, b->text.data, text->len), 0);
	ck_assert_uint_lt(gz->len, b->text.len);
	ck_assert_ptr_eq(scrape_payload(b, format, 0), &b->text);
	ck_assert_ptr_nonnull(strstr(b->text.data, "tcflow_flow_packets_total" FLOW(1) " 7\n"));
	scraper_put(&sc, b);
}
END_TEST

/* The scraper's gzip is plain RFC 1952: also for an empty body. */
START_TEST(gzip_compress_round_trip)
{
	struct strbuf in = { 0 }, gz = { 0 };

	ck_assert_int_eq(gzip_compress(&in, &gz), 0);
	ck_assert_uint_eq(inflate_gzip(&gz)->len, 0);
	for (int i = 0; i < 20000; i++)
		strbuf_puts(&in, "tcflow_flows 12345\n");
	ck_assert_int_eq(gzip_compress(&in, &gz), 0);
	ck_assert_uint_eq(inflate_gzip(&gz)->len, in.len);
	ck_assert_int_eq(memcmp(inflated.data, in.data, in.len), 0);
	strbuf_free(&in);
	strbuf_free(&gz);
}
END_TEST

/* A text held whole from the split's length up is gzipped in two halves,
 * the second on a second thread, spliced into one member: the system's
 * gzip reads back the very text, at the split's length, one byte short of
 * it (one stream) and past it by an odd count, at the default split and
 * at one of a few bytes. */
START_TEST(gzip_in_halves)
{
	struct worker *w = worker_new();
	struct strbuf in = { 0 }, gz = { 0 }, one = { 0 };
	size_t split[] = { SCRAPE_GZIP_SPLIT, 2 };
	long from_split[] = { -1, 0, 77 };

	ck_assert_ptr_nonnull(w);
	for (int i = 0; in.len < SCRAPE_GZIP_SPLIT + 77; i++)
		strbuf_printf(&in, "tcflow_flow_bytes_total{src_port=\"%d\"} %d\n", i % 65536, i * 7);
	for (size_t k = 0; k < 6; k++) {
		size_t at = split[k / 3], size = at + from_split[k % 3];

		in.len = size;
		ck_assert_int_eq(scrape_gzip(&in, &gz, w, at), 0);
		ck_assert_int_eq(gzip_compress(&in, &one), 0);
		/* Halves, or the one stream below the split's length. */
		ck_assert_int_eq(gz.len == one.len && !memcmp(gz.data, one.data, gz.len), size < at);
		ck_assert_uint_eq(inflate_gzip(&gz)->len, in.len);
		ck_assert_msg(!memcmp(inflated.data, in.data, in.len), "%zu bytes", in.len);
	}
	worker_free(w);
	strbuf_free(&in);
	strbuf_free(&gz);
	strbuf_free(&one);
}
END_TEST

/* What HTTP sends a client that does not take gzip: the text, read back
 * in blocks of any size; a gzip cut short is an error, never a short
 * text passed off as whole. */
START_TEST(gunzip_stream_reads_back)
{
	struct strbuf in = { 0 }, gz = { 0 }, out = { 0 };
	struct gunzip_stream *u;
	char block[7];
	ssize_t n;

	for (int i = 0; i < 20000; i++)
		strbuf_printf(&in, "tcflow_flow_bytes_total{src_port=\"%d\"} %d\n", i, i * 7);
	ck_assert_int_eq(gzip_compress(&in, &gz), 0);
	u = gunzip_stream_new(gz.data, gz.len);
	ck_assert_ptr_nonnull(u);
	while ((n = gunzip_stream_read(u, block, sizeof(block))) > 0)
		strbuf_append(&out, block, (size_t)n);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(gunzip_stream_read(u, block, sizeof(block)), 0);
	gunzip_stream_free(u);
	ck_assert_uint_eq(out.len, in.len);
	ck_assert_int_eq(memcmp(out.data, in.data, in.len), 0);

	u = gunzip_stream_new(gz.data, gz.len / 2);
	ck_assert_ptr_nonnull(u);
	while ((n = gunzip_stream_read(u, block, sizeof(block))) > 0)
		;
	ck_assert_int_eq(n, -1);
	gunzip_stream_free(u);
	strbuf_free(&in);
	strbuf_free(&gz);
	strbuf_free(&out);
}
END_TEST

/* The text of a body whichever way it is kept. */
static const struct strbuf *body_text(const struct scrape_body *b)
{
	if (!b->compressed_only)
		return &b->text;
	ck_assert_uint_eq(b->text.len, 0);
	return inflate_gzip(&b->gzip);
}

/* A body whose text passes text_max is kept gzipped only, compressed as it
 * is rendered, and is byte for byte the text written whole: whether the
 * first flush comes before the flow families, inside the bytes family, at
 * the packets family (which then makes its labels again) or after it (the
 * packets family copied the labels before); and after a large body, when
 * the packets family is made beside the bytes family and spliced in. All
 * of it with half the flow series on a second thread, then on one. */
START_TEST(large_body_kept_gzipped_only)
{
	enum scrape_format format = _i ? FORMAT_OPENMETRICS : FORMAT_TEXT;
	struct scrape_body whole = { 0 }, part = { 0 };
	struct scrape_work work = { 0 };
	/* OpenMetrics with _created: the side and the second thread write them too. */
	struct render_input in = { .series = &sc.series, .snap = &sc.snap, .start_time = 1,
				   .created = 1 };
	const char *packets;
	size_t at[4] = { 1, 2048 };

	for (uint32_t i = 1; i <= 300; i++)
		flow(i, i, 0);
	totals(300 * 301 / 2, 300);
	scraper_read(&sc);
	ck_assert_int_eq(scrape_render(&whole, format, &in, SIZE_MAX, &work), 0);
	ck_assert_int_eq(whole.compressed_only, 0);
	ck_assert_uint_eq(whole.text_len, whole.text.len);
	ck_assert_ptr_eq(scrape_payload(&whole, format, 0), &whole.text);
	packets = strstr(whole.text.data, "# HELP tcflow_flow_packets");
	ck_assert_ptr_nonnull(packets);
	at[2] = (size_t)(packets - whole.text.data);
	at[3] = at[2] + 1;
	ck_assert_uint_gt(at[2], 4 * 2048);
	if (format == FORMAT_OPENMETRICS)
		has(whole.text.data, "tcflow_flow_packets_created" FLOW(1) " ");
	for (size_t i = 0; i < 16; i++) {
		/* Compressed by the worker thread, then on the rendering thread. */
		if (i == 8) {
			ck_assert_ptr_nonnull(work.worker);
			scrape_work_free(&work);
			work.one_thread = 1;
		}
		/* After a large body, the next is made large from the start. */
		work.last_len = i % 8 < 4 ? 0 : SIZE_MAX;
		ck_assert_int_eq(scrape_render(&part, format, &in, at[i % 4], &work), 0);
		ck_assert_msg(part.compressed_only, "flush at %zu", at[i % 4]);
		ck_assert_ptr_null(scrape_payload(&part, format, 0));
		ck_assert_ptr_eq(scrape_payload(&part, format, 1), &part.gzip);
		ck_assert_uint_eq(part.text_len, whole.text.len);
		body_text(&part);
		ck_assert_uint_eq(inflated.len, whole.text.len);
		ck_assert_msg(!memcmp(inflated.data, whole.text.data, inflated.len),
			      "flush at %zu%s%s: the text differs", at[i % 4],
			      i % 8 < 4 ? "" : " after a large body", i < 8 ? "" : ", one thread");
	}
	strbuf_free(&whole.text);
	ck_assert_ptr_null(work.worker);
	strbuf_free(&part.gzip);
	scrape_work_free(&work);
}
END_TEST

/* What a scrape of a large table hands the HTTP server: the gzip alone,
 * for gzip and plain requests alike; and past the gzip split, a text
 * held whole whose gzip is made in halves on request. */
START_TEST(scraper_keeps_large_bodies_gzipped)
{
	enum scrape_format format = _i ? FORMAT_OPENMETRICS : FORMAT_TEXT;
	struct scrape_body *b;

	for (uint32_t i = 1; i <= 300; i++)
		flow(i, i, 0);
	totals(300 * 301 / 2, 300);
	sc.text_max = 2048;
	b = scraper_get(&sc, format, 0);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->compressed_only, 1);
	ck_assert_ptr_null(scrape_payload(b, format, 0));
	has(body_text(b)->data, "tcflow_flow_bytes_total" FLOW(1) " 100\n");
	has(inflated.data, "tcflow_flow_packets_total" FLOW(1) " 1\n");
	ck_assert_uint_eq(inflated.len, b->text_len);
	scraper_put(&sc, b);
	/* Held whole: its gzip made on request, in halves. */
	sc.text_max = SIZE_MAX;
	sc.gzip_split = 2048;
	sc.gzip_one_thread = 0;	/* on one CPU too */
	b = scraper_get(&sc, format, 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(sc.gzip_worker);
	ck_assert_int_eq(b->compressed_only, 0);
	ck_assert_ptr_eq(scrape_payload(b, format, 0), &b->text);
	ck_assert_uint_eq(inflate_gzip(scrape_payload(b, format, 1))->len, b->text.len);
	ck_assert(!memcmp(inflated.data, b->text.data, b->text.len));
	scraper_put(&sc, b);
}
END_TEST

static void extra(void *cls, struct expo *e)
{
	expo_family(e, "test_extra_items", EXPO_GAUGE, "Set by the test.");
	expo_gauge(e, NULL, 0, *(int *)cls);
}

/* Families of other parts (the HTTP server) come last, in both formats. */
START_TEST(extra_families_last)
{
	static const char tail[] = "# HELP test_extra_items Set by the test.\n"
				   "# TYPE test_extra_items gauge\n"
				   "test_extra_items 42\n";
	int v = 42;
	const char *text;

	totals(0, 0);
	sc.extra_render = extra;
	sc.extra_cls = &v;
	text = scrape(FORMAT_TEXT);
	ck_assert_str_eq(text + strlen(text) - strlen(tail), tail);
	text = scrape(FORMAT_OPENMETRICS);
	ck_assert_uint_gt(strlen(text), strlen(tail) + 6);
	ck_assert_str_eq(text + strlen(text) - strlen(tail) - 6, "# HELP test_extra_items Set by the test.\n"
				   "# TYPE test_extra_items gauge\n"
				   "test_extra_items 42\n# EOF\n");
}
END_TEST

static Suite *scrape_suite(void)
{
	Suite *s = suite_create("scrape");
	TCase *tc = tcase_create("scraper");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, first_scrape_exact_lines);
	tcase_add_test(tc, counts_follow_the_table);
	tcase_add_test(tc, evictions_estimated);
	tcase_add_test(tc, expired_flow_credited);
	tcase_add_test(tc, failed_interface_read);
	tcase_add_test(tc, openmetrics_body);
	tcase_add_loop_test(tc, gzip_inflates_to_the_text, 0, 2);
	tcase_add_test(tc, gzip_compress_round_trip);
	tcase_add_test(tc, gzip_in_halves);
	tcase_add_test(tc, gunzip_stream_reads_back);
	tcase_add_loop_test(tc, large_body_kept_gzipped_only, 0, 2);
	tcase_add_loop_test(tc, scraper_keeps_large_bodies_gzipped, 0, 2);
	tcase_add_test(tc, extra_families_last);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!tables_can_run("check_scrape"))
		return 77;
	log_set_level(LOG_ERROR);
	sr = srunner_create(scrape_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Below 77: never a skip (77), a hard error (99) or a wrapped pass. */
	return failed < 77 ? failed : 76;
}
