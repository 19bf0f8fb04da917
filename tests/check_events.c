// SPDX-License-Identifier: BSD-2-Clause
/* The raw event stream without a kernel: the record layout byte for byte,
 * decoding, the JSON line, /events filters, and the hub's queues and
 * histogram. */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "event_hub.h"
#include "ifnames.h"
#include "tcflow.h"

START_TEST(network_flow_event_layout)
{
	ck_assert_uint_eq(sizeof(struct network_flow_event), 32);
	ck_assert_uint_eq(offsetof(struct network_flow_event, timestamp_ns), 0);
	ck_assert_uint_eq(offsetof(struct network_flow_event, cgroup_id), 8);
	ck_assert_uint_eq(offsetof(struct network_flow_event, src_ip), 16);
	ck_assert_uint_eq(offsetof(struct network_flow_event, dst_ip), 20);
	ck_assert_uint_eq(offsetof(struct network_flow_event, src_port), 24);
	ck_assert_uint_eq(offsetof(struct network_flow_event, dst_port), 26);
	ck_assert_uint_eq(offsetof(struct network_flow_event, protocol), 28);
	ck_assert_uint_eq(offsetof(struct network_flow_event, direction), 29);
	ck_assert_uint_eq(offsetof(struct network_flow_event, packet_len), 30);
	ck_assert_uint_eq(offsetof(struct event_record4, ev), 8);
	ck_assert_uint_eq(offsetof(struct event_record6, ev), 8);
	ck_assert_uint_eq(sizeof(struct network_flow_event6), 56);
}
END_TEST

/* The spec's example: 10.0.0.5 is 0x0500000A, in bytes 0a 00 00 05. */
static struct event_record4 record4(void)
{
	struct event_record4 r;
	static const unsigned char ev[32] = {
		0x01, 0, 0, 0, 0, 0, 0, 0,		/* timestamp_ns 1 */
		0x2a, 0, 0, 0, 0, 0, 0, 0,		/* cgroup_id 42 */
		198, 18, 0, 5,				/* src_ip */
		198, 19, 1, 2,				/* dst_ip */
		0x40, 0x9c, 0x35, 0x00,			/* ports 40000, 53 (host order) */
		17, 1, 0xff, 0xff,			/* udp, egress, 65535 */
	};

	memset(&r, 0, sizeof(r));
	r.hdr.kind = TCFLOW_EVENT_IPV4;
	r.hdr.ifindex = 0;
	memcpy(&r.ev, ev, sizeof(ev));
	return r;
}

START_TEST(decode_ipv4_bytes)
{
	struct event_record4 r = record4();
	struct event_view v;
	struct strbuf sb = { 0 };

	ck_assert_uint_eq(r.ev.src_ip, 0x050012c6);
	ck_assert_int_eq(event_decode(&r, sizeof(r), &v), 0);
	event_to_json(&v, &sb);
	ck_assert_str_eq(sb.data,
		"{\"timestamp_ns\":1,\"cgroup_id\":42,\"src_ip\":\"198.18.0.5\",\"dst_ip\":\"198.19.1.2\","
		"\"src_port\":40000,\"dst_port\":53,\"protocol\":\"udp\",\"direction\":\"egress\","
		"\"packet_len\":65535,\"interface\":\"pcap\"}\n");
	strbuf_free(&sb);
}
END_TEST

START_TEST(decode_ipv6)
{
	struct event_record6 r;
	struct event_view v;
	struct strbuf sb = { 0 };

	memset(&r, 0, sizeof(r));
	r.hdr.kind = TCFLOW_EVENT_IPV6;
	r.hdr.ifindex = 0;
	r.ev.src_ip[0] = 0x20; r.ev.src_ip[1] = 0x01; r.ev.src_ip[2] = 0x0d; r.ev.src_ip[3] = 0xb8;
	r.ev.src_ip[15] = 1;
	memcpy(r.ev.dst_ip, r.ev.src_ip, 16);
	r.ev.dst_ip[15] = 2;
	r.ev.protocol = 58;
	r.ev.packet_len = 118;
	ck_assert_int_eq(event_decode(&r, sizeof(r), &v), 0);
	event_to_json(&v, &sb);
	ck_assert_str_eq(sb.data,
		"{\"timestamp_ns\":0,\"cgroup_id\":0,\"src_ip\":\"2001:db8::1\",\"dst_ip\":\"2001:db8::2\","
		"\"src_port\":0,\"dst_port\":0,\"protocol\":\"icmpv6\",\"direction\":\"ingress\","
		"\"packet_len\":118,\"interface\":\"pcap\"}\n");
	strbuf_free(&sb);
}
END_TEST

START_TEST(decode_refuses_unknown_or_short)
{
	struct event_record4 r = record4();
	struct event_view v;

	ck_assert_int_eq(event_decode(&r, sizeof(r) - 1, &v), -1);
	ck_assert_int_eq(event_decode(&r, 4, &v), -1);
	r.hdr.kind = TCFLOW_EVENT_IPV6;	/* an IPv6 kind needs the longer record */
	ck_assert_int_eq(event_decode(&r, sizeof(r), &v), -1);
	r.hdr.kind = 4;
	ck_assert_int_eq(event_decode(&r, sizeof(r), &v), -1);
}
END_TEST

static struct event_view view4(uint16_t sport, uint16_t dport, uint8_t proto, uint16_t len)
{
	struct event_record4 r = record4();
	struct event_view v;

	event_decode(&r, sizeof(r), &v);
	v.src_port = sport;
	v.dst_port = dport;
	v.protocol = proto;
	v.packet_len = len;
	return v;
}

START_TEST(filters_match)
{
	struct event_filter f;
	struct event_view v = view4(40000, 53, 17, 100);
	char err[256];

	event_filter_init(&f);
	ck_assert_int_eq(event_filter_match(&f, &v), 1);
	ck_assert_int_eq(event_filter_set(&f, "protocol", "udp", err, sizeof(err)), 0);
	ck_assert_int_eq(event_filter_set(&f, "port", "53", err, sizeof(err)), 0);
	ck_assert_int_eq(event_filter_set(&f, "ip", "198.19.1.2", err, sizeof(err)), 0);
	ck_assert_int_eq(event_filter_set(&f, "interface", "pcap", err, sizeof(err)), 0);
	ck_assert_int_eq(event_filter_match(&f, &v), 1);
	v.dst_port = 54;
	ck_assert_int_eq(event_filter_match(&f, &v), 0);
	event_filter_init(&f);
	ck_assert_int_eq(event_filter_set(&f, "src_ip", "2001:db8::1", err, sizeof(err)), 0);
	ck_assert_int_eq(event_filter_match(&f, &v), 0);
	event_filter_init(&f);
	ck_assert_int_eq(event_filter_set(&f, "protocol", "6", err, sizeof(err)), 0);
	ck_assert_int_eq(event_filter_match(&f, &v), 0);
}
END_TEST

START_TEST(filter_errors)
{
	struct event_filter f;
	char err[256];

	event_filter_init(&f);
	ck_assert_int_eq(event_filter_set(&f, "port", "http", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid value for query parameter port: \"http\" (want a port from 0 to 65535)");
	ck_assert_int_eq(event_filter_set(&f, "ip", "198.18.0", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid value for query parameter ip: \"198.18.0\" (want an IP address)");
	ck_assert_int_eq(event_filter_set(&f, "limit", "0", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid value for query parameter limit: \"0\" (want a whole number from 1)");
	ck_assert_int_eq(event_filter_set(&f, "interface", "nosuchif9", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid value for query parameter interface: \"nosuchif9\" (want an interface the exporter watches)");
	ck_assert_int_eq(event_filter_set(&f, "color", "red", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown query parameter \"color\" (use interface, protocol, src_ip, dst_ip, ip, src_port, dst_port, port or limit)");
}
END_TEST

START_TEST(slow_subscriber_loses_and_counts)
{
	struct event_hub hub;
	struct event_filter all, udp53;
	struct event_view got[8], v = view4(40000, 53, 17, 100), other = view4(1, 2, 6, 60);
	struct subscriber *slow, *fast;
	char err[64];

	hub_init(&hub);
	event_filter_init(&all);
	event_filter_init(&udp53);
	event_filter_set(&udp53, "dst_port", "53", err, sizeof(err));
	slow = hub_subscribe(&hub, &all, 2);
	fast = hub_subscribe(&hub, &udp53, 8);
	for (int i = 0; i < 5; i++)
		hub_publish(&hub, &v);
	hub_publish(&hub, &other);
	ck_assert_uint_eq(hub.events_total, 6);
	ck_assert_uint_eq(hub.dropped_client, 4);	/* the slow queue held 2 of 6 */
	ck_assert_int_eq(hub_take(&hub, fast, got, 8, 0), 5);
	ck_assert_int_eq(hub_take(&hub, slow, got, 8, 0), 2);
	ck_assert_int_eq(hub_take(&hub, slow, got, 8, 0), 0);
	hub_stop(&hub);
	ck_assert_int_eq(hub_take(&hub, slow, got, 8, 1000), -1);
	hub_unsubscribe(&hub, slow);
	hub_unsubscribe(&hub, fast);
	hub_destroy(&hub);
}
END_TEST

START_TEST(histogram_counts)
{
	static struct hub_stats st;
	struct event_hub hub;
	struct event_view a = view4(1, 2, 17, 64), b = view4(1, 2, 17, 1500);

	hub_init(&hub);
	hub_publish(&hub, &a);
	hub_publish(&hub, &b);
	hub_publish(&hub, &b);
	hub_snapshot(&hub, &st);
	ck_assert_uint_eq(st.events_total, 3);
	ck_assert_int_eq(st.n_hist, 1);
	ck_assert_uint_eq(st.hist[0].ifindex, 0);
	ck_assert_uint_eq(st.hist[0].direction, 1);
	ck_assert_uint_eq(st.hist[0].buckets[0], 1);	/* <= 64 */
	ck_assert_uint_eq(st.hist[0].buckets[5], 2);	/* <= 1518 */
	ck_assert_uint_eq(st.hist[0].count, 3);
	ck_assert_uint_eq(st.hist[0].sum, 3064);
	hub_destroy(&hub);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *layout = tcase_create("layout");
	TCase *filter = tcase_create("filters");
	TCase *hub = tcase_create("hub");

	tcase_add_test(layout, network_flow_event_layout);
	tcase_add_test(layout, decode_ipv4_bytes);
	tcase_add_test(layout, decode_ipv6);
	tcase_add_test(layout, decode_refuses_unknown_or_short);
	suite_add_tcase(s, layout);
	tcase_add_test(filter, filters_match);
	tcase_add_test(filter, filter_errors);
	suite_add_tcase(s, filter);
	tcase_add_test(hub, slow_subscriber_loses_and_counts);
	tcase_add_test(hub, histogram_counts);
	suite_add_tcase(s, hub);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(events_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
