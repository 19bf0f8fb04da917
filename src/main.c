// SPDX-License-Identifier: BSD-2-Clause
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
#include "privs.h"
#include "owners.h"
#include "replay.h"
#include "scrape.h"
#include "iface_follow.h"
#include "tcflow.skel.h"
#include "web_config.h"

/* Bad flags or --web.config.file; other failures are EXIT_FAILURE. */
#define EXIT_USAGE 2

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

/* A shell starts background jobs with SIGINT ignored; an ignored signal
 * would never reach sigwait(), nor end a replay. */
static void default_stop_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
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
	s->openmetrics_created = cfg->openmetrics_created;
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

struct web_state {
	struct web_watch watch;
	struct http_server *srv;
	double start_time;	/* the scraper's: _created of the counters */
};

static void render_web(void *cls, struct expo *e)
{
	struct web_state *w = cls;

	http_render(w->srv, e, w->start_time);
	if (w->watch.path)
		web_watch_render(&w->watch, e);
}

/* Live: follows the selected interfaces, attaching to those there now
 * before it returns. NULL after logging why. */
static struct iface_follow *follow_start(const struct config *cfg, struct scraper *s,
					 struct tcflow *skel)
{
	struct iface_follow_opts fopts = {
		.sel = &cfg->iface,
		.max_count = cfg->iface_max_count,
		.priority = cfg->tc_priority,
		.handle = cfg->tc_handle,
		.skel = skel,
	};
	struct iface_follow *follow = iface_follow_start(&fopts);

	__atomic_store_n(&s->follow, follow, __ATOMIC_RELEASE);
	return follow;
}

/* The threads after the privileges are dropped: capabilities belong to
 * each thread, and new threads inherit those of their creator. */
static int start_threads(const struct config *cfg, struct scraper *s, struct tcflow *skel,
			 struct iface_follow *follow, struct web_config *wcfg,
			 struct web_state *web, struct events *ev, struct flow_expiry *expiry)
{
	if (follow && iface_follow_run(follow))
		return -1;
	if (wcfg && web_watch_start(&web->watch, cfg->web_config_file, wcfg))
		return -1;
	if (events_start(ev, cfg, skel))
		return -1;
	if (cfg->idle_timeout_s) {
		if (flow_expiry_start(expiry, bpf_map__fd(skel->maps.flows), cfg->idle_timeout_s))
			return -1;
		s->expiry = expiry;
	}
	s->hub = ev->on ? &ev->hub : NULL;
	return 0;
}

/* Takes the reference to wcfg (NULL without --web.config.file). The port
 * is bound first, so that a port conflict changes nothing in the kernel;
 * served once attached, so that "listening" in the log means counting. */
static int serve(const struct config *cfg, struct scraper *s, int live, struct tcflow *skel,
		 struct web_config *wcfg)
{
	static struct events ev;
	static struct flow_expiry expiry;
	static struct web_state web;
	struct http_opts hopts = {
		.listen_address = cfg->listen_address,
		.telemetry_path = cfg->telemetry_path,
		.max_requests = cfg->max_requests,
		.max_connections = cfg->max_connections,
		.max_per_ip = cfg->max_per_ip,
		.max_event_streams = cfg->max_event_streams,
		.timeout_seconds = 10,
		.header_timeout_seconds = cfg->read_header_timeout_s,
		.events_disabled = cfg->disable_events,
		.web = wcfg ? &web.watch : NULL,
	};
	struct http_server *srv = http_bind(&hopts);
	struct iface_follow *follow = NULL;
	int rc = -1;

	if (!srv || (live && !(follow = follow_start(cfg, s, skel)))) {
		http_stop(srv);
		web_config_unref(wcfg);
		return -1;
	}
	/* Re-attaching interfaces and detaching at exit need CAP_NET_ADMIN;
	 * reading and deleting map entries through the fds we hold, nothing. */
	if (privs_drop(live)) {
		web_config_unref(wcfg);
		goto out;
	}
	if (start_threads(cfg, s, skel, follow, wcfg, &web, &ev, &expiry))
		goto out;
	web.srv = srv;
	web.start_time = s->start_time;
	s->extra_render = render_web;
	s->extra_cls = &web;
	if (http_run(srv, s, s->hub) == 0) {
		wait_for_stop();
		rc = 0;
	}
out:
	events_stop(&ev);
	/* The filters go last: no scrape may ask about them any more. */
	http_stop(srv);
	s->extra_render = NULL;
	__atomic_store_n(&s->follow, NULL, __ATOMIC_RELEASE);
	iface_follow_stop(follow);
	flow_expiry_stop(&expiry);
	if (ev.on)
		hub_destroy(&ev.hub);
	web_watch_stop(&web.watch);
	return rc;
}

static int run_replay(const struct config *cfg, struct tcflow *skel, struct scraper *s,
		      struct web_config *wcfg)
{
	struct replay_result res;
	/* SIGINT and SIGTERM keep their default action while the capture is
	 * read (it may be a FIFO that never ends): nothing is attached yet. */
	int err = replay_file(bpf_program__fd(bpf_loader_ingress(skel)), cfg->pcap_file, &res);

	block_stop_signals();

	/* With --once stdout is the product: stderr stays for errors. */
	log_msg(cfg->once ? LOG_DEBUG : LOG_INFO, "replayed %llu records of \"%s\"\n",
		(unsigned long long)res.records, cfg->pcap_file);
	/* What was counted before a damaged record still goes out; a file
	 * that is no capture at all has counted nothing worth showing. */
	if (!res.opened) {
		web_config_unref(wcfg);
		return -1;
	}
	if (cfg->once || err) {
		web_config_unref(wcfg);
		if (cfg->once)
			return print_once(s) || err ? -1 : 0;
		return -1;
	}
	return serve(cfg, s, 0, skel, wcfg);
}

/* What main sets up, runs and tears down. */
struct exporter {
	struct config cfg;
	struct web_config *wcfg;	/* NULL without --web.config.file */
	struct owners *owners;		/* NULL without owner labels */
	struct tcflow *skel;
	struct scraper scraper;
	int scraper_ready;
};

/* Flags and the web configuration: bad input is found before anything is
 * loaded. -1 to go on, or the exit status. */
static int configure(struct exporter *x, int argc, char **argv)
{
	char err[FLAGS_ERR_LEN];

	flags_defaults(&x->cfg);
	switch (flags_parse(&x->cfg, argc, argv, err)) {
	case FLAGS_EXIT:
		return EXIT_SUCCESS;
	case FLAGS_ERROR:
		pr_err("%s\n", err);
		return EXIT_USAGE;
	case FLAGS_OK:
		break;
	}
	log_set_level(x->cfg.log_level);
	log_route_libbpf();
	/* Which side of a conversation is the client's: this host's own range. */
	label_set_read_ephemeral(&x->cfg.labels, "/proc/sys/net/ipv4/ip_local_port_range");
	if (x->cfg.web_config_file &&
	    !(x->wcfg = web_config_load(x->cfg.web_config_file, err, sizeof(err)))) {
		pr_err("invalid --web.config.file \"%s\": %s\n", x->cfg.web_config_file, err);
		return EXIT_USAGE;
	}
	return -1;
}

/* Owners are local sockets': a capture has none. 0, or -1 after logging. */
static int owners_setup(struct exporter *x)
{
	struct owners_config oc = {
		.cgroup_root = x->cfg.cgroup_root,
		.host_root = x->cfg.rootfs,
		.refresh_ms = 1000,
		.labels = label_set_owner_labels(x->cfg.labels.mask),
	};
	char oerr[OWNERS_ERR_LEN];

	if (!(x->cfg.labels.mask & FL_OWNER) || x->cfg.pcap_file)
		return 0;
	x->owners = owners_new(&oc, oerr);
	if (!x->owners) {
		pr_err("%s\n", oerr);
		return -1;
	}
	x->cfg.labels.owners = x->owners;
	return 0;
}

static int load(struct exporter *x)
{
	const struct config *cfg = &x->cfg;
	struct loader_opts lopts = {
		.owners = x->owners != NULL,
		/* Tests: the kernel path of kernels without bpf_rdonly_cast. */
		.owners_compat = getenv("TCFLOW_OWNERS_COMPAT") != NULL,
		.flow_max_entries = cfg->flow_max_entries,
		/* The loader sizes for 2 × n + 2 hooks (the 2: replay's slack),
		 * rounded up to a power of 2: max-count interfaces, 2 × max-count
		 * hooks, fit n = max-count - 1 without doubling the table. */
		.n_interfaces = cfg->pcap_file ? 1 : cfg->iface_max_count - 1,
		.replay = cfg->pcap_file != NULL,
		.events_sample = cfg->events_sample,
		.events_ring_size = cfg->events_ring_size,
	};

	x->skel = bpf_loader_load(&lopts);
	if (!x->skel)
		return -1;
	/* Replay's one hook shows up in the totals even for an empty capture. */
	if (cfg->pcap_file && bpf_loader_add_iface(x->skel, 0, 1)) {
		pr_err("preparing the interface counters failed\n");
		return -1;
	}
	scraper_for(&x->scraper, x->skel, cfg);
	x->scraper_ready = 1;
	return 0;
}

/* Replay or serve; either takes the reference to the web configuration. */
static int run(struct exporter *x)
{
	struct web_config *wcfg = x->wcfg;

	x->wcfg = NULL;
	if (x->cfg.pcap_file)
		return run_replay(&x->cfg, x->skel, &x->scraper, wcfg);
	return serve(&x->cfg, &x->scraper, 1, x->skel, wcfg);
}

static void teardown(struct exporter *x)
{
	web_config_unref(x->wcfg);
	if (x->scraper_ready)
		scraper_destroy(&x->scraper);
	bpf_loader_destroy(x->skel);
	iface_select_free(&x->cfg.iface);
	owners_free(x->owners);
}

int main(int argc, char **argv)
{
	static struct exporter x;
	int rc = configure(&x, argc, argv);

	if (rc >= 0)
		return rc;
	default_stop_signals();
	if (!x.cfg.pcap_file)
		block_stop_signals();
	rc = owners_setup(&x) || load(&x) || run(&x) ? EXIT_FAILURE : EXIT_SUCCESS;
	teardown(&x);
	return rc;
}
