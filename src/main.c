/*
 * tcflow_exporter: counts every packet per 5-tuple with eBPF TC programs
 * and serves the counts as Prometheus metrics. The lifecycle is linear:
 * parse flags, load, (replay | listen and attach), wait for a signal,
 * detach exactly what we attached, exit.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "event_consumer.h"
#include "event_stdout.h"
#include "flags.h"
#include "flow_expiry.h"
#include "http.h"
#include "log.h"
#include "owners.h"
#include "replay.h"
#include "scrape.h"
#include "tc_attach.h"
#include "tcflow.skel.h"

enum exit_code { EXIT_OK = 0, EXIT_FAILURE_ = 1, EXIT_USAGE = 2 };

static sigset_t stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	return set;
}

/* Blocked before any thread starts, so only sigwait() in main sees them. */
static void block_stop_signals(void)
{
	sigset_t set = stop_signals();

	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int wait_for_stop(void)
{
	sigset_t set = stop_signals();
	int sig = 0;

	sigwait(&set, &sig);
	pr_info("received %s, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	return sig;
}

static void scraper_for(struct scraper *s, struct tcflow *skel, const struct config *cfg)
{
	scraper_init(s, bpf_map__fd(skel->maps.flows), bpf_map__fd(skel->maps.iface_stats),
		     bpf_map__fd(skel->maps.losses), !cfg->disable_exporter_metrics, &cfg->labels);
	s->flow_max_entries = bpf_map__max_entries(skel->maps.flows);
}

static int print_once(struct scraper *s)
{
	struct scrape_body *b = scraper_get(s, FORMAT_TEXT, 0);
	int ok;

	if (!b) {
		pr_err("out of memory while rendering the metrics\n");
		return -1;
	}
	ok = fwrite(b->text.data, 1, b->text.len, stdout) == b->text.len && fflush(stdout) == 0;
	scraper_put(s, b);
	if (!ok)
		pr_err("writing the metrics to stdout failed\n");
	return ok ? 0 : -1;
}

struct events {
	int on;
	struct event_hub hub;
	struct event_consumer consumer;
	struct event_stdout out;
};

/* Live mode with --events.sample above 0: drain the ring buffer. */
static int events_start(struct events *e, const struct config *cfg, struct tcflow *skel)
{
	e->on = !cfg->pcap_file && cfg->events_sample > 0;
	if (!e->on)
		return 0;
	hub_init(&e->hub);
	if (event_consumer_start(&e->consumer, bpf_map__fd(skel->maps.events), &e->hub))
		goto fail;
	if (cfg->events_stdout && event_stdout_start(&e->out, &e->hub)) {
		event_consumer_stop(&e->consumer);
		goto fail;
	}
	return 0;
fail:
	hub_destroy(&e->hub);
	e->on = 0;
	return -1;
}

/* Drains what the kernel still holds, then ends every reader of the hub:
 * /events responses finish and --events.stdout flushes. */
static void events_stop(struct events *e)
{
	if (!e->on)
		return;
	event_consumer_stop(&e->consumer);
	hub_stop(&e->hub);
	event_stdout_stop(&e->out);
	/* Give /events responses a moment to send their last chunk and end
	 * cleanly before the HTTP server closes their connections. */
	hub_wait_empty(&e->hub, 2000);
}

static int serve(const struct config *cfg, struct scraper *s, struct tc_set *tc,
		 struct tcflow *skel)
{
	static struct events ev;
	struct http_opts hopts = {
		.listen_address = cfg->listen_address,
		.telemetry_path = cfg->telemetry_path,
		.max_connections = cfg->max_requests,
		.timeout_seconds = 10,
	};
	struct http_server *srv = NULL;
	int rc = -1;

	static struct flow_expiry expiry;

	if (events_start(&ev, cfg, skel))
		return -1;
	if (cfg->idle_timeout_s) {
		if (flow_expiry_start(&expiry, bpf_map__fd(skel->maps.flows), cfg->idle_timeout_s)) {
			events_stop(&ev);
			if (ev.on)
				hub_destroy(&ev.hub);
			return -1;
		}
		s->expiry = &expiry;
	}
	hopts.hub = s->hub = ev.on ? &ev.hub : NULL;
	/* Attached before listening: "listening" in the log means counting,
	 * and a bad interface is the only line a failed start prints. */
	if (!tc || tc_attach_all(tc, skel, cfg) == 0) {
		srv = http_start(&hopts, s);
		if (srv) {
			wait_for_stop();
			rc = 0;
		}
		if (tc)
			tc_detach_all(tc);
	}
	events_stop(&ev);
	http_stop(srv);
	flow_expiry_stop(&expiry);
	if (ev.on)
		hub_destroy(&ev.hub);
	return rc;
}

static int run_replay(const struct config *cfg, struct tcflow *skel, struct scraper *s)
{
	struct replay_result res;
	int err = replay_file(bpf_program__fd(bpf_loader_ingress(skel)), cfg->pcap_file, &res);

	/* With --once stdout is the product: stderr stays for errors. */
	log_msg(cfg->once ? LOG_DEBUG : LOG_INFO, "replayed %llu records of \"%s\"\n",
		(unsigned long long)res.records, cfg->pcap_file);
	/* What was counted before a damaged record still goes out. */
	if (cfg->once)
		return print_once(s) || err ? -1 : 0;
	if (err)
		return -1;
	return serve(cfg, s, NULL, skel);
}

int main(int argc, char **argv)
{
	static struct tc_set tc;
	struct config cfg;
	struct scraper scraper;
	struct tcflow *skel;
	char err[FLAGS_ERR_LEN];
	int rc;

	flags_defaults(&cfg);
	switch (flags_parse(&cfg, argc, argv, err)) {
	case FLAGS_EXIT:
		return EXIT_OK;
	case FLAGS_ERROR:
		pr_err("%s\n", err);
		return EXIT_USAGE;
	case FLAGS_OK:
		break;
	}
	log_set_level(cfg.log_level);
	log_route_libbpf();
	/* Which side of a conversation is the client's: this host's own range. */
	label_set_read_ephemeral(&cfg.labels, "/proc/sys/net/ipv4/ip_local_port_range");
	block_stop_signals();

	struct owners *owners = NULL;

	/* Owners are local sockets': a capture has none. */
	if ((cfg.labels.mask & FL_OWNER) && !cfg.pcap_file) {
		struct owners_config oc = {
			.cgroup_root = cfg.cgroup_root,
			.host_root = cfg.rootfs,
			.refresh_ms = 1000,
			.labels = label_set_owner_labels(cfg.labels.mask),
		};
		char oerr[OWNERS_ERR_LEN];

		owners = owners_new(&oc, oerr);
		if (!owners) {
			pr_err("%s\n", oerr);
			return EXIT_FAILURE_;
		}
		cfg.labels.owners = owners;
	}
	struct loader_opts lopts = {
		.owners = owners != NULL,
		/* Tests: the kernel path of kernels without bpf_rdonly_cast. */
		.owners_compat = getenv("TCFLOW_OWNERS_COMPAT") != NULL,
		.flow_max_entries = cfg.flow_max_entries,
		.n_interfaces = (uint32_t)cfg.n_interfaces,
		.replay = cfg.pcap_file != NULL,
		.events_sample = cfg.events_sample,
		.events_ring_size = cfg.events_ring_size,
	};
	skel = bpf_loader_load(&lopts);
	if (!skel) {
		owners_free(owners);
		return EXIT_FAILURE_;
	}
	/* Replay's one hook shows up in the totals even for an empty capture. */
	if (cfg.pcap_file && bpf_loader_add_iface(skel, 0, 1)) {
		pr_err("preparing the interface counters failed\n");
		bpf_loader_destroy(skel);
		owners_free(owners);
		return EXIT_FAILURE_;
	}
	scraper_for(&scraper, skel, &cfg);
	rc = cfg.pcap_file ? run_replay(&cfg, skel, &scraper) : serve(&cfg, &scraper, &tc, skel);
	scraper_destroy(&scraper);
	bpf_loader_destroy(skel);
	owners_free(owners);
	return rc ? EXIT_FAILURE_ : EXIT_OK;
}
