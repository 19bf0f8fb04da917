// SPDX-License-Identifier: BSD-2-Clause
#include "flags.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "parse_num.h"
#include "tcflow.h"

enum {
	OPT_INTERFACE = 256,
	OPT_IFACE_INCLUDE,
	OPT_IFACE_EXCLUDE,
	OPT_IFACE_MAX,
	OPT_TC_PRIORITY,
	OPT_TC_HANDLE,
	OPT_FLOW_MAX_ENTRIES,
	OPT_PCAP,
	OPT_ONCE,
	OPT_LISTEN,
	OPT_PATH,
	OPT_MAX_REQUESTS,
	OPT_DISABLE_EXPORTER,
	OPT_OM_CREATED,
	OPT_LOG_LEVEL,
	OPT_EVENTS_SAMPLE,
	OPT_FLOW_LABELS,
	OPT_FLOW_V4PREFIX,
	OPT_FLOW_V6PREFIX,
	OPT_FLOW_MAX_SERIES,
	OPT_FLOW_IDLE,
	OPT_FLOW_RETENTION,
	OPT_EVENTS_RING,
	OPT_EVENTS_STDOUT,
	OPT_WEB_CONFIG,
	OPT_DISABLE_EVENTS,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_PER_IP,
	OPT_MAX_STREAMS,
	OPT_HEADER_TIMEOUT,
	OPT_PATH_CGROUP,
	OPT_PATH_ROOTFS,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option options[] = {
	{ "interface", required_argument, NULL, OPT_INTERFACE },
	{ "interface.include", required_argument, NULL, OPT_IFACE_INCLUDE },
	{ "interface.exclude", required_argument, NULL, OPT_IFACE_EXCLUDE },
	{ "interface.max-count", required_argument, NULL, OPT_IFACE_MAX },
	{ "tc.priority", required_argument, NULL, OPT_TC_PRIORITY },
	{ "tc.handle", required_argument, NULL, OPT_TC_HANDLE },
	{ "flow.max-entries", required_argument, NULL, OPT_FLOW_MAX_ENTRIES },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "web.listen-address", required_argument, NULL, OPT_LISTEN },
	{ "web.telemetry-path", required_argument, NULL, OPT_PATH },
	{ "web.max-requests", required_argument, NULL, OPT_MAX_REQUESTS },
	{ "web.disable-exporter-metrics", no_argument, NULL, OPT_DISABLE_EXPORTER },
	{ "web.openmetrics-created", no_argument, NULL, OPT_OM_CREATED },
	{ "log.level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "events.sample", required_argument, NULL, OPT_EVENTS_SAMPLE },
	{ "flow.labels", required_argument, NULL, OPT_FLOW_LABELS },
	{ "flow.ipv4-prefix", required_argument, NULL, OPT_FLOW_V4PREFIX },
	{ "flow.ipv6-prefix", required_argument, NULL, OPT_FLOW_V6PREFIX },
	{ "flow.max-series", required_argument, NULL, OPT_FLOW_MAX_SERIES },
	{ "flow.idle-timeout", required_argument, NULL, OPT_FLOW_IDLE },
	{ "flow.series-retention", required_argument, NULL, OPT_FLOW_RETENTION },
	{ "events.ring-size", required_argument, NULL, OPT_EVENTS_RING },
	{ "events.stdout", no_argument, NULL, OPT_EVENTS_STDOUT },
	{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG },
	{ "web.disable-events", no_argument, NULL, OPT_DISABLE_EVENTS },
	{ "web.max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "web.max-connections-per-ip", required_argument, NULL, OPT_MAX_PER_IP },
	{ "web.max-event-streams", required_argument, NULL, OPT_MAX_STREAMS },
	{ "web.read-header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
	{ "path.cgroup", required_argument, NULL, OPT_PATH_CGROUP },
	{ "path.rootfs", required_argument, NULL, OPT_PATH_ROOTFS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void flags_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tc_priority = 1;
	cfg->iface.names = cfg->interfaces;
	cfg->iface_max_count = TCFLOW_DEFAULT_IFACE_MAX;
	cfg->tc_handle = 0x7cf1;
	cfg->flow_max_entries = TCFLOW_DEFAULT_FLOW_ENTRIES;
	cfg->listen_address = ":9892";
	cfg->telemetry_path = "/metrics";
	cfg->max_requests = 40;
	cfg->max_connections = 128;
	cfg->max_per_ip = 16;
	cfg->max_event_streams = 8;
	cfg->read_header_timeout_s = 5;
	cfg->log_level = LOG_INFO;
	cfg->events_sample = TCFLOW_DEFAULT_EVENTS_SAMPLE;
	cfg->events_ring_size = TCFLOW_DEFAULT_RINGBUF_BYTES;
	cfg->rootfs = "/";
	label_set_default(&cfg->labels);
}

void flags_usage(FILE *out)
{
	fprintf(out,
"Usage: tcflow_exporter [FLAGS]\n"
"Counts every packet per 5-tuple with eBPF TC programs and serves the\n"
"counts as Prometheus metrics.\n"
"\n"
"  --interface=NAME              attach to NAME (repeatable, up to %d)\n"
"  --interface.include=REGEX     also attach to every interface whose whole name matches\n"
"                                (POSIX extended; repeatable), now or when it appears\n"
"  --interface.exclude=REGEX     never attach to these, even if named or included (repeatable)\n"
"  --interface.max-count=N       interfaces counted at once, sizes the totals table (default %d)\n"
"  --tc.priority=N               tc filter priority, 1-65535 (default 1)\n"
"  --tc.handle=N                 tc filter handle, decimal or 0x hex (default 0x7cf1)\n"
"  --flow.max-entries=N          size of the flow table (default %d)\n"
"  --flow.labels=LIST            services (default), hosts, full, or labels to keep, comma-separated\n"
"                                (owner labels: cgroup, namespace, pod, container)\n"
"  --flow.ipv4-prefix=N          aggregate IPv4 addresses into /N networks (default 32)\n"
"  --flow.ipv6-prefix=N          aggregate IPv6 addresses into /N networks (default 128)\n"
"  --flow.max-series=N           flow series at most; flows without one count in their\n"
"                                interface's \"other\" series (default %d, 0: no limit)\n"
"  --flow.idle-timeout=DURATION  delete flows idle this long, e.g. 5m (default 0: never)\n"
"  --flow.series-retention=DURATION\n"
"                                how long a series that stopped growing stays (default 5m)\n"
"  --pcap=FILE                   replay a pcap/pcapng file instead of attaching\n"
"  --once                        with --pcap: print the metrics and exit\n"
"  --web.listen-address=ADDR     [host]:port to listen on (default :9892)\n"
"  --web.telemetry-path=PATH     path of the metrics (default /metrics)\n"
"  --web.config.file=FILE        TLS, client certificates, basic auth (exporter-toolkit format)\n"
"  --web.max-requests=N          requests served at once, more get 503 (default 40)\n"
"  --web.max-connections=N       open HTTP connections (default 128)\n"
"  --web.max-connections-per-ip=N  open HTTP connections of one client address (default 16)\n"
"  --web.max-event-streams=N     /events responses at once, below max-connections (default 8)\n"
"  --web.read-header-timeout=DURATION  time to send a whole request head (default 5s)\n"
"  --web.disable-events          do not serve /events\n"
"  --web.disable-exporter-metrics  leave out the process_* metrics\n"
"  --web.openmetrics-created     write each counter's _created in OpenMetrics (Prometheus\n"
"                                then stores them as series of their own)\n"
"  --events.sample=N             one raw event per N packets per CPU, 0 for none (default %d)\n"
"  --events.ring-size=BYTES      kernel ring buffer for events, a power of 2 (default %d)\n"
"  --events.stdout               also print every event as a JSON line on stdout\n"
"  --path.cgroup=DIR             the cgroup2 mount, for owner labels (default: from mountinfo)\n"
"  --path.rootfs=DIR             the host's root, for the pod labels' /var/log (default /)\n"
"  --log.level=LEVEL             error, warn, info or debug (default info)\n"
"  --help, --version\n",
		MAX_INTERFACES, TCFLOW_DEFAULT_IFACE_MAX, TCFLOW_DEFAULT_FLOW_ENTRIES, DEFAULT_MAX_SERIES,
		TCFLOW_DEFAULT_EVENTS_SAMPLE,
		TCFLOW_DEFAULT_RINGBUF_BYTES);
}

static enum flags_result fail(char err[FLAGS_ERR_LEN], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum flags_result fail(char err[FLAGS_ERR_LEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, FLAGS_ERR_LEN, fmt, ap);
	va_end(ap);
	return FLAGS_ERROR;
}

/* [host]:port with a decimal port 0-65535 and a host that is an address,
 * empty (every address) or a name that resolves. */
static enum flags_result listen_flag(const char *arg, const char **out, char err[FLAGS_ERR_LEN])
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res;
	char host[256], port[32];
	uint32_t p;
	int rc;

	if (http_split_address(arg, host, sizeof(host), port, sizeof(port)))
		return fail(err, "invalid value for --web.listen-address: \"%s\" (want [host]:port)", arg);
	if (parse_u32(port, 0, 65535, &p))
		return fail(err, "invalid value for --web.listen-address: \"%s\" (the port must be a number from 0 to 65535)", arg);
	if (!*host)
		goto ok;
	/* An address is never looked up in the DNS, even a malformed one. */
	if (strspn(host, "0123456789.") == strlen(host) || strchr(host, ':'))
		hints.ai_flags |= AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return fail(err, "invalid value for --web.listen-address: \"%s\" (%s: %s)", arg, host,
			    gai_strerror(rc));
	freeaddrinfo(res);
ok:
	*out = arg;
	return FLAGS_OK;
}

static enum flags_result number_flag(const char *flag, const char *arg, uint32_t min,
				     uint32_t max, uint32_t *out, char err[FLAGS_ERR_LEN])
{
	if (parse_u32(arg, min, max, out))
		return fail(err, "invalid value for --%s: \"%s\" (want a whole number from %u to %u)",
			    flag, arg, min, max);
	return FLAGS_OK;
}

static enum flags_result add_interface(struct config *cfg, const char *name,
				       char err[FLAGS_ERR_LEN])
{
	if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' '))
		return fail(err, "invalid value for --interface: \"%s\" is not an interface name", name);
	for (int i = 0; i < cfg->n_interfaces; i++)
		if (strcmp(cfg->interfaces[i], name) == 0)
			return fail(err, "invalid value for --interface: \"%s\" is given twice", name);
	if (cfg->n_interfaces == MAX_INTERFACES)
		return fail(err, "too many --interface flags: at most %d", MAX_INTERFACES);
	cfg->interfaces[cfg->n_interfaces++] = name;
	cfg->iface.n_names = cfg->n_interfaces;
	return FLAGS_OK;
}

static enum flags_result apply(struct config *cfg, int opt, const char *arg,
			       char err[FLAGS_ERR_LEN])
{
	uint32_t n;

	switch (opt) {
	case OPT_INTERFACE:
		return add_interface(cfg, arg, err);
	case OPT_IFACE_INCLUDE:
	case OPT_IFACE_EXCLUDE:
		return iface_select_add_pattern(&cfg->iface, opt == OPT_IFACE_EXCLUDE, arg, err,
						FLAGS_ERR_LEN) ? FLAGS_ERROR : FLAGS_OK;
	case OPT_IFACE_MAX:
		return number_flag("interface.max-count", arg, 1, 1U << 20, &cfg->iface_max_count, err);
	case OPT_TC_PRIORITY:
		return number_flag("tc.priority", arg, 1, 65535, &cfg->tc_priority, err);
	case OPT_TC_HANDLE:
		if (parse_u32_hex(arg, 1, UINT32_MAX, &cfg->tc_handle))
			return fail(err, "invalid value for --tc.handle: \"%s\" (want a whole number from 1 to 4294967295, decimal or 0x hex)", arg);
		return FLAGS_OK;
	case OPT_FLOW_MAX_ENTRIES:
		return number_flag("flow.max-entries", arg, 1, 1U << 26, &cfg->flow_max_entries, err);
	case OPT_MAX_REQUESTS:
		return number_flag("web.max-requests", arg, 1, 10000, &cfg->max_requests, err);
	case OPT_FLOW_LABELS:
		cfg->labels_given = 1;
		return label_set_parse(&cfg->labels, arg, err, FLAGS_ERR_LEN) ? FLAGS_ERROR : FLAGS_OK;
	case OPT_PATH_CGROUP:
		cfg->cgroup_root = arg;
		return FLAGS_OK;
	case OPT_PATH_ROOTFS:
		cfg->rootfs = arg;
		return FLAGS_OK;
	case OPT_FLOW_V4PREFIX:
		if (number_flag("flow.ipv4-prefix", arg, 0, 32, &n, err))
			return FLAGS_ERROR;
		cfg->labels.ipv4_prefix = (uint8_t)n;
		return FLAGS_OK;
	case OPT_FLOW_V6PREFIX:
		if (number_flag("flow.ipv6-prefix", arg, 0, 128, &n, err))
			return FLAGS_ERROR;
		cfg->labels.ipv6_prefix = (uint8_t)n;
		return FLAGS_OK;
	case OPT_FLOW_MAX_SERIES:
		cfg->max_series_given = 1;
		return number_flag("flow.max-series", arg, 0, UINT32_MAX, &cfg->labels.max_series, err);
	case OPT_FLOW_RETENTION:
		if (parse_duration(arg, &cfg->labels.retention_s) || !cfg->labels.retention_s)
			return fail(err, "invalid value for --flow.series-retention: \"%s\" (want a duration of at least 1s, such as 30s, 5m or 1h)", arg);
		return FLAGS_OK;
	case OPT_FLOW_IDLE:
		if (parse_duration(arg, &cfg->idle_timeout_s))
			return fail(err, "invalid value for --flow.idle-timeout: \"%s\" (want a duration such as 30s, 5m or 1h, or 0)", arg);
		return FLAGS_OK;
	case OPT_EVENTS_SAMPLE:
		return number_flag("events.sample", arg, 0, 1U << 30, &cfg->events_sample, err);
	case OPT_EVENTS_RING:
		if (number_flag("events.ring-size", arg, 4096, 1U << 30, &cfg->events_ring_size, err))
			return FLAGS_ERROR;
		if (cfg->events_ring_size & (cfg->events_ring_size - 1))
			return fail(err, "invalid value for --events.ring-size: \"%s\" (want a power of 2 from 4096 to 1073741824)", arg);
		return FLAGS_OK;
	case OPT_EVENTS_STDOUT:
		cfg->events_stdout = 1;
		return FLAGS_OK;
	case OPT_PCAP:
		if (!*arg)
			return fail(err, "invalid value for --pcap: the file name is empty");
		cfg->pcap_file = arg;
		return FLAGS_OK;
	case OPT_ONCE:
		cfg->once = 1;
		return FLAGS_OK;
	case OPT_LISTEN:
		return listen_flag(arg, &cfg->listen_address, err);
	case OPT_WEB_CONFIG:
		if (!*arg)
			return fail(err, "invalid value for --web.config.file: the file name is empty");
		cfg->web_config_file = arg;
		return FLAGS_OK;
	case OPT_DISABLE_EVENTS:
		cfg->disable_events = 1;
		return FLAGS_OK;
	case OPT_MAX_CONNECTIONS:
		return number_flag("web.max-connections", arg, 2, 10000, &cfg->max_connections, err);
	case OPT_MAX_PER_IP:
		return number_flag("web.max-connections-per-ip", arg, 1, 10000, &cfg->max_per_ip, err);
	case OPT_MAX_STREAMS:
		return number_flag("web.max-event-streams", arg, 1, 60, &cfg->max_event_streams, err);
	case OPT_HEADER_TIMEOUT:
		if (parse_duration(arg, &cfg->read_header_timeout_s) || !cfg->read_header_timeout_s ||
		    cfg->read_header_timeout_s > 3600)
			return fail(err, "invalid value for --web.read-header-timeout: \"%s\" (want a duration from 1s to 1h)", arg);
		return FLAGS_OK;
	case OPT_PATH:
		if (arg[0] != '/')
			return fail(err, "invalid value for --web.telemetry-path: \"%s\" (must start with /)", arg);
		cfg->telemetry_path = arg;
		return FLAGS_OK;
	case OPT_DISABLE_EXPORTER:
		cfg->disable_exporter_metrics = 1;
		return FLAGS_OK;
	case OPT_OM_CREATED:
		cfg->openmetrics_created = 1;
		return FLAGS_OK;
	case OPT_LOG_LEVEL:
		cfg->log_level = log_parse_level(arg);
		if (cfg->log_level < 0)
			return fail(err, "invalid value for --log.level: \"%s\" (want error, warn, info or debug)", arg);
		return FLAGS_OK;
	}
	return fail(err, "internal error: unhandled flag %d", opt);
}

/* A capture is read once, after the replay: no counts can slip between
 * two reads, so every series is exact from its first value, and the exact
 * 5-tuple is the useful default. */
static void replay_defaults(struct config *cfg)
{
	cfg->labels.one_read = 1;
	if (!cfg->labels_given)
		cfg->labels.mask = FL_FULL;
	if (!cfg->max_series_given)
		cfg->labels.max_series = 0;
}

static enum flags_result check_combination(const struct config *cfg, char err[FLAGS_ERR_LEN])
{
	if (cfg->events_stdout && (cfg->pcap_file || !cfg->events_sample))
		return fail(err, "--events.stdout needs live events: --interface and --events.sample above 0");
	if (cfg->max_event_streams >= cfg->max_connections)
		return fail(err, "--web.max-event-streams (%u) must be below --web.max-connections (%u)",
			    cfg->max_event_streams, cfg->max_connections);
	if (cfg->once && !cfg->pcap_file)
		return fail(err, "--once needs --pcap=FILE");
	if (cfg->pcap_file && !iface_select_empty(&cfg->iface))
		return fail(err, "--pcap and --interface%s exclude each other",
			    cfg->n_interfaces ? "" : cfg->iface.n_include ? ".include" : ".exclude");
	if (!cfg->pcap_file && iface_select_empty(&cfg->iface))
		return fail(err, "no --interface or --interface.include given (or --pcap=FILE to replay a capture)");
	if (cfg->n_interfaces > (int)cfg->iface_max_count)
		return fail(err, "%d --interface flags exceed --interface.max-count=%u",
			    cfg->n_interfaces, cfg->iface_max_count);
	return FLAGS_OK;
}

/* Whether name (up to an '=') begins some long flag: --i for --interface,
 * which getopt_long refuses only when it is ambiguous. */
static int prefix_of_a_flag(const char *name)
{
	size_t len = strcspn(name, "=");

	for (size_t i = 0; options[i].name; i++)
		if (strlen(options[i].name) > len && !strncmp(options[i].name, name, len))
			return 1;
	return 0;
}

static enum flags_result bad_option(int argc, char **argv, int opt, char err[FLAGS_ERR_LEN])
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "?";

	if (opt == ':')
		return fail(err, "flag %s needs a value", arg);
	if (!strncmp(arg, "--", 2) && arg[2] && prefix_of_a_flag(arg + 2))
		return fail(err, "unknown flag %s (flags are never abbreviated; see --help)", arg);
	return fail(err, "unknown flag %s (see --help)", arg);
}

/* The flags that add to a list; any other may be given once. */
static int repeatable(int opt)
{
	return opt == OPT_INTERFACE || opt == OPT_IFACE_INCLUDE || opt == OPT_IFACE_EXCLUDE;
}

/* getopt_long takes any unambiguous prefix of a long flag (--i for
 * --interface): a typo would then set a flag the user never named. */
static int abbreviated(const char *token, int idx)
{
	const char *name = token + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);

	return strncmp(token, "--", 2) || len != strlen(options[idx].name) ||
	       strncmp(name, options[idx].name, len);
}

enum flags_result flags_parse(struct config *cfg, int argc, char **argv,
			      char err[FLAGS_ERR_LEN])
{
	unsigned char seen[ARRAY_SIZE(options)] = { 0 };
	enum flags_result r;
	int opt, idx, at;

	err[0] = '\0';
	cfg->iface.names = cfg->interfaces;
	optind = 0;	/* reset getopt so tests can parse many times */
	opterr = 0;
	/* "+": stop at the first non-flag rather than reorder argv, so that
	 * argv[at] is the token getopt_long matched. */
	for (at = 1, idx = -1; (opt = getopt_long(argc, argv, "+:", options, &idx)) != -1;
	     at = optind, idx = -1) {
		if (opt != '?' && opt != ':' && idx >= 0 && abbreviated(argv[at], idx))
			return fail(err, "unknown flag %s (flags are never abbreviated; see --help)",
				    argv[at]);
		if (idx >= 0 && opt != '?' && opt != ':' && !repeatable(opt) && seen[idx]++)
			return fail(err, "flag --%s is given twice", options[idx].name);
		if (opt == OPT_HELP) {
			flags_usage(stdout);
			return FLAGS_EXIT;
		}
		if (opt == OPT_VERSION) {
			printf("tcflow_exporter %s\n", PACKAGE_VERSION);
			return FLAGS_EXIT;
		}
		if (opt == '?' || opt == ':')
			return bad_option(argc, argv, opt, err);
		r = apply(cfg, opt, optarg, err);
		if (r != FLAGS_OK)
			return r;
	}
	if (optind < argc)
		return fail(err, "unexpected argument \"%s\" (flags look like --name=value)", argv[optind]);
	r = check_combination(cfg, err);
	if (r == FLAGS_OK && cfg->pcap_file)
		replay_defaults(cfg);
	return r;
}
