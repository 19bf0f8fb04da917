#include "flags.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "tcflow.h"

enum {
	OPT_INTERFACE = 256,
	OPT_TC_PRIORITY,
	OPT_TC_HANDLE,
	OPT_FLOW_MAX_ENTRIES,
	OPT_PCAP,
	OPT_ONCE,
	OPT_LISTEN,
	OPT_PATH,
	OPT_MAX_REQUESTS,
	OPT_DISABLE_EXPORTER,
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
	OPT_PATH_CGROUP,
	OPT_PATH_ROOTFS,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option options[] = {
	{ "interface", required_argument, NULL, OPT_INTERFACE },
	{ "tc.priority", required_argument, NULL, OPT_TC_PRIORITY },
	{ "tc.handle", required_argument, NULL, OPT_TC_HANDLE },
	{ "flow.max-entries", required_argument, NULL, OPT_FLOW_MAX_ENTRIES },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "web.listen-address", required_argument, NULL, OPT_LISTEN },
	{ "web.telemetry-path", required_argument, NULL, OPT_PATH },
	{ "web.max-requests", required_argument, NULL, OPT_MAX_REQUESTS },
	{ "web.disable-exporter-metrics", no_argument, NULL, OPT_DISABLE_EXPORTER },
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
	cfg->tc_handle = 0x7cf1;
	cfg->flow_max_entries = TCFLOW_DEFAULT_FLOW_ENTRIES;
	cfg->listen_address = ":9892";
	cfg->telemetry_path = "/metrics";
	cfg->max_requests = 40;
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
"  --web.max-requests=N          concurrent HTTP connections (default 40)\n"
"  --web.disable-exporter-metrics  leave out the process_* metrics\n"
"  --events.sample=N             one raw event per N packets per CPU, 0 for none (default %d)\n"
"  --events.ring-size=BYTES      kernel ring buffer for events, a power of 2 (default %d)\n"
"  --events.stdout               also print every event as a JSON line on stdout\n"
"  --path.cgroup=DIR             the cgroup2 mount, for owner labels (default: from mountinfo)\n"
"  --path.rootfs=DIR             the host's root, for the pod labels' /var/log (default /)\n"
"  --log.level=LEVEL             error, warn, info or debug (default info)\n"
"  --help, --version\n",
		MAX_INTERFACES, TCFLOW_DEFAULT_FLOW_ENTRIES, DEFAULT_MAX_SERIES,
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

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
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
	return FLAGS_OK;
}

int parse_duration(const char *s, uint32_t *seconds)
{
	static const struct { char unit; uint32_t factor; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[16];
	size_t len = strlen(s);
	uint32_t factor = 1, n;

	if (!len || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (num[len - 1] == units[i].unit) {
			factor = units[i].factor;
			num[--len] = '\0';
			break;
		}
	if (parse_u32(num, 0, UINT32_MAX / factor, &n))
		return -1;
	*seconds = n * factor;
	return 0;
}

static enum flags_result apply(struct config *cfg, int opt, const char *arg,
			       char err[FLAGS_ERR_LEN])
{
	uint32_t n;

	switch (opt) {
	case OPT_INTERFACE:
		return add_interface(cfg, arg, err);
	case OPT_TC_PRIORITY:
		return number_flag("tc.priority", arg, 1, 65535, &cfg->tc_priority, err);
	case OPT_TC_HANDLE:
		return number_flag("tc.handle", arg, 1, UINT32_MAX, &cfg->tc_handle, err);
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
		if (!strchr(arg, ':'))
			return fail(err, "invalid value for --web.listen-address: \"%s\" (want [host]:port)", arg);
		cfg->listen_address = arg;
		return FLAGS_OK;
	case OPT_PATH:
		if (arg[0] != '/')
			return fail(err, "invalid value for --web.telemetry-path: \"%s\" (must start with /)", arg);
		cfg->telemetry_path = arg;
		return FLAGS_OK;
	case OPT_DISABLE_EXPORTER:
		cfg->disable_exporter_metrics = 1;
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
	if (cfg->once && !cfg->pcap_file)
		return fail(err, "--once needs --pcap=FILE");
	if (cfg->pcap_file && cfg->n_interfaces)
		return fail(err, "--pcap and --interface exclude each other");
	if (!cfg->pcap_file && !cfg->n_interfaces)
		return fail(err, "no --interface given (or --pcap=FILE to replay a capture)");
	return FLAGS_OK;
}

static enum flags_result bad_option(int argc, char **argv, int opt, char err[FLAGS_ERR_LEN])
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "?";

	if (opt == ':')
		return fail(err, "flag %s needs a value", arg);
	return fail(err, "unknown flag %s (see --help)", arg);
}

enum flags_result flags_parse(struct config *cfg, int argc, char **argv,
			      char err[FLAGS_ERR_LEN])
{
	enum flags_result r;
	int opt;

	err[0] = '\0';
	optind = 0;	/* reset getopt so tests can parse many times */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
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
