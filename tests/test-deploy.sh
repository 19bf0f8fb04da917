#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The deployment files hold up:
#
# Prometheus: promtool check rules and promtool test rules on
#   deploy/prometheus/tcflow-rules.yml; promtool check config on
#   scrape-config.yml (plain hosts), federation.yml and remote-write.yml as
#   they are, which must not need Kubernetes discovery, and on
#   scrape-config-kubernetes.yml (as it is when promtool knows
#   kubernetes_sd_configs, else with static targets in their place).
# Kubernetes: every manifest parses; the DaemonSet is hostNetwork, not
#   privileged, drops ALL and adds exactly BPF, NET_ADMIN and PERFMON (the
#   systemd unit's capabilities), probes /-/healthy on the metrics port
#   9892, has requests and limits, and passes only real flags; the headless
#   Service, ServiceMonitor and PodMonitor select those pods and that port.
# Container image: the Dockerfile's build stage, run outside Docker on a
#   copy of the sources made as its .dockerignore says, builds and installs
#   the binary the runtime stage copies; the runtime stage installs the
#   package of every library the binary links; the build packages match
#   scripts/install-deps.sh.
# systemd: systemd-analyze verify passes, systemd-analyze security rates
#   the unit at most SECURITY_MAX, the hardening directives are there, and
#   the flags file holds real flags.
# As root, in network namespaces of its own:
#   - the unit's least privilege, for real: the exporter runs as nobody with
#     exactly the unit's ambient capabilities, no new privileges, a
#     read-only / and /sys and a 64 KiB RLIMIT_MEMLOCK; it attaches, counts
#     known traffic exactly, serves /metrics and /events and exits 0 on
#     SIGTERM, leaving no filter; every system call it made is allowed by
#     the unit's SystemCallFilter, every socket family by its
#     RestrictAddressFamilies, and no mapping was writable and executable
#     (strace); without any one of the three capabilities it fails and
#     attaches nothing;
#   - the image's entry point picks the default route's interface (IPv4,
#     else IPv6), or TCFLOW_INTERFACES, or leaves given --interface alone,
#     and fails clearly without a default route; for real, it starts the
#     exporter on the right interface.
# Without root the namespace part is skipped (exit 77 when the rest passed).
# Env: TCFLOW_BIN, TCFLOW_SRCDIR, PROMTOOL.
. "$(dirname "$0")/lib.sh"

SRC=${TCFLOW_SRCDIR:-$LIB_DIR/..}
PROM_DIR=$SRC/deploy/prometheus
UNIT=$SRC/deploy/systemd/tcflow_exporter.service
DEFAULTS=$SRC/deploy/systemd/tcflow_exporter.default
ENTRYPOINT=$SRC/deploy/docker/entrypoint.sh
# systemd-analyze security's 0-10 exposure scale: 1.7 today; "OK" ends at
# 4.0. Raising this needs a reason.
SECURITY_MAX=2.5
[ -n "${PROMTOOL:-}" ] || PROMTOOL=$(command -v promtool || true)

if [ "$(id -u)" -eq 0 ]; then
	lib_init
	ROOT=1
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcflow-deploy.XXXXXX") || bail "mktemp"
	trap 'rm -rf "$tmp"' EXIT
	ROOT=0
fi
"$PYTHON" -c 'import yaml' 2>/dev/null || bail "python3 cannot import yaml: install the Debian package python3-yaml"
"$TCFLOW_BIN" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' | sort -u >"$tmp/flags"
# verdicts FILE: turns "ok ..." / "not_ok ..." lines into results.
verdicts() {
	local v rest
	while read -r v rest; do
		case $v in ok) ok "$rest" ;; not_ok) not_ok "$rest" ;; note) note "$rest" ;; esac
	done <"$1"
}

# ---- Prometheus -------------------------------------------------------------
if [ -z "$PROMTOOL" ]; then
	not_ok "promtool is missing: install the Debian package prometheus"
else
	# promtool resolves rule_files and test files relative to the file.
	(cd "$PROM_DIR" && "$PROMTOOL" check rules tcflow-rules.yml) >"$tmp/p.out" 2>&1 &&
		ok "promtool check rules tcflow-rules.yml: $(grep -o '[0-9]* rules found' "$tmp/p.out")" ||
		not_ok "promtool check rules: $(tr '\n' '|' <"$tmp/p.out")"
	(cd "$PROM_DIR" && "$PROMTOOL" test rules tcflow-rules.test.yml) >"$tmp/p.out" 2>&1 &&
		ok "promtool test rules tcflow-rules.test.yml" ||
		not_ok "promtool test rules: $(tr '\n' '|' <"$tmp/p.out")"
	# Some builds (Debian's) leave out Kubernetes service discovery: then
	# the job is checked with static targets in its place (relabelling and
	# all), and its kubernetes_sd_configs by the structural checks below.
	printf 'scrape_configs:\n  - job_name: probe\n    kubernetes_sd_configs:\n      - role: pod\n' >"$tmp/k8s-probe.yml"
	if "$PROMTOOL" check config "$tmp/k8s-probe.yml" >/dev/null 2>&1; then K8S_SD=1; else K8S_SD=0; fi
	mkdir -p "$tmp/prom"
	cp "$PROM_DIR"/*.yml "$tmp/prom/"
	for f in scrape-config.yml federation.yml remote-write.yml; do
		check "$f needs no Kubernetes discovery (Debian's promtool checks it as it is)" \
			sh -c "! grep -q kubernetes_sd_configs '$PROM_DIR/$f'"
	done
	for f in scrape-config.yml scrape-config-kubernetes.yml federation.yml remote-write.yml; do
		if [ "$K8S_SD" = 0 ] && grep -q kubernetes_sd_configs "$tmp/prom/$f"; then
			note "this promtool has no kubernetes_sd_configs: $f is checked with static_configs in their place"
			"$PYTHON" - "$tmp/prom/$f" <<-'EOF'
			import sys, yaml
			p = sys.argv[1]
			c = yaml.safe_load(open(p))
			for j in c["scrape_configs"]:
			    if j.pop("kubernetes_sd_configs", None) is not None:
			        j["static_configs"] = [{"targets": ["node1:9892"]}]
			yaml.safe_dump(c, open(p, "w"))
			EOF
		fi
		(cd "$tmp/prom" && "$PROMTOOL" check config "$f") >"$tmp/p.out" 2>&1 &&
			ok "promtool check config $f" ||
			not_ok "promtool check config $f: $(tr '\n' '|' <"$tmp/p.out")"
	done
fi

# ---- Kubernetes, and the unit's and manifests' consistency --------------------
"$PYTHON" - "$SRC" "$tmp/flags" >"$tmp/k8s" 2>"$tmp/k8s.err" <<'EOF'
import glob, os, re, sys, yaml

src, flags_file = sys.argv[1], sys.argv[2]
flags = set(open(flags_file).read().split())
k8s = os.path.join(src, "deploy/kubernetes")


def say(ok, what):
    print(("ok " if ok else "not_ok ") + what)


docs = {}
for path in sorted(glob.glob(os.path.join(k8s, "*.yaml"))):
    name = os.path.basename(path)
    try:
        loaded = [d for d in yaml.safe_load_all(open(path)) if d]
    except yaml.YAMLError as e:
        say(False, "%s parses: %s" % (name, e))
        continue
    say(len(loaded) == 1 and "kind" in loaded[0], "%s parses (%s)" % (name, loaded[0].get("kind") if loaded else "empty"))
    if loaded:
        docs[loaded[0].get("kind")] = loaded[0]

kust = docs.get("Kustomization", {})
res = kust.get("resources", [])
say(res and all(os.path.exists(os.path.join(k8s, r)) for r in res),
    "kustomization.yaml lists existing files (%s)" % ", ".join(res))
ns = {d.get("metadata", {}).get("namespace") for k, d in docs.items() if k not in ("Namespace", "Kustomization")}
say(ns == {docs.get("Namespace", {}).get("metadata", {}).get("name")}, "one namespace for everything (%s)" % ", ".join(map(str, ns)))

ds = docs.get("DaemonSet", {})
say(ds.get("apiVersion") == "apps/v1", "DaemonSet apiVersion apps/v1")
pod = ds.get("spec", {}).get("template", {})
pod_labels = pod.get("metadata", {}).get("labels", {})
sel = ds.get("spec", {}).get("selector", {}).get("matchLabels", {})
say(sel and all(pod_labels.get(k) == v for k, v in sel.items()), "DaemonSet selector matches its pods")
spec = pod.get("spec", {})
say(spec.get("hostNetwork") is True, "DaemonSet: hostNetwork: true")
cs = spec.get("containers", [])
say(len(cs) == 1, "DaemonSet: one container")
c = cs[0] if cs else {}
sc = c.get("securityContext", {})
say(sc.get("privileged") is not True and spec.get("securityContext", {}).get("privileged") is not True,
    "DaemonSet: not privileged")
caps = sc.get("capabilities", {})
say(caps.get("drop") == ["ALL"], "DaemonSet: drops ALL capabilities")
say(sorted(caps.get("add", [])) == ["BPF", "NET_ADMIN", "PERFMON"],
    "DaemonSet: adds exactly BPF, NET_ADMIN, PERFMON (%s)" % caps.get("add"))
say(sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True,
    "DaemonSet: no privilege escalation, read-only root file system")
unit = open(os.path.join(src, "deploy/systemd/tcflow_exporter.service")).read()
m = re.search(r"^AmbientCapabilities=(.*)$", unit, re.M)
unit_caps = sorted(x.replace("CAP_", "") for x in (m.group(1).split() if m else []))
say(unit_caps == sorted(caps.get("add", [])), "DaemonSet and systemd unit grant the same capabilities (%s)" % unit_caps)
ports = {p.get("name"): p for p in c.get("ports", [])}
mp = ports.get("metrics", {})
say(mp.get("containerPort") == 9892, "DaemonSet: port metrics is 9892")


def probe_ok(p):
    g = (p or {}).get("httpGet", {})
    port = g.get("port")
    return g.get("path") == "/-/healthy" and (port == 9892 or ports.get(port, {}).get("containerPort") == 9892)


say(probe_ok(c.get("readinessProbe")), "DaemonSet: readiness probe GET /-/healthy on 9892")
say(probe_ok(c.get("livenessProbe")), "DaemonSet: liveness probe GET /-/healthy on 9892")
r = c.get("resources", {})
say(all(k in r.get("requests", {}) for k in ("cpu", "memory")) and "memory" in r.get("limits", {}),
    "DaemonSet: cpu and memory requests, a memory limit")
args = c.get("args", [])
bad = [a for a in args if a.split("=")[0] not in flags]
say(not bad, "DaemonSet: every arg is a flag of --help%s" % (": " + ", ".join(bad) if bad else ""))
say(any(a.startswith("--web.listen-address=") and a.endswith(":9892") for a in args) or
    not any(a.startswith("--web.listen-address=") for a in args), "DaemonSet: listens on 9892")
env = {e.get("name"): e.get("value") for e in c.get("env", [])}
say("TCFLOW_INTERFACES" in env, "DaemonSet: TCFLOW_INTERFACES picks the interfaces (%s)" % env.get("TCFLOW_INTERFACES"))

svc = docs.get("Service", {})
ss = svc.get("spec", {})
say(ss.get("clusterIP") == "None", "Service is headless")
say(ss.get("selector") and all(pod_labels.get(k) == v for k, v in ss["selector"].items()),
    "Service selects the DaemonSet's pods")
sp = {p.get("name"): p for p in ss.get("ports", [])}
say(sp.get("metrics", {}).get("port") == 9892 and sp["metrics"].get("targetPort") in ("metrics", 9892),
    "Service port metrics: 9892 to the pods' metrics port")
svc_labels = svc.get("metadata", {}).get("labels", {})

sm = docs.get("ServiceMonitor", {})
say(sm.get("apiVersion") == "monitoring.coreos.com/v1", "ServiceMonitor apiVersion monitoring.coreos.com/v1")
ssel = sm.get("spec", {}).get("selector", {}).get("matchLabels", {})
say(ssel and all(svc_labels.get(k) == v for k, v in ssel.items()), "ServiceMonitor selects the Service")
eps = sm.get("spec", {}).get("endpoints", [])
say(eps and all(e.get("port") in sp for e in eps), "ServiceMonitor scrapes the Service's named port")
pm = docs.get("PodMonitor", {})
say(pm.get("apiVersion") == "monitoring.coreos.com/v1", "PodMonitor apiVersion monitoring.coreos.com/v1")
psel = pm.get("spec", {}).get("selector", {}).get("matchLabels", {})
say(psel and all(pod_labels.get(k) == v for k, v in psel.items()), "PodMonitor selects the DaemonSet's pods")
peps = pm.get("spec", {}).get("podMetricsEndpoints", [])
say(peps and all(e.get("port") in ports for e in peps), "PodMonitor scrapes the container's named port")
for kind, e in (("ServiceMonitor", eps), ("PodMonitor", peps)):
    jobs = [r.get("replacement") for x in e for r in x.get("relabelings", []) if r.get("targetLabel") == "job"]
    say(jobs == ["tcflow_exporter"] * len(e), "%s sets job=tcflow_exporter, as the rules expect" % kind)

# The scrape config's Kubernetes discovery, structurally (promtool may not
# know it): role pod in our namespace, keeping our pods' metrics port.
sc = yaml.safe_load(open(os.path.join(src, "deploy/prometheus/scrape-config-kubernetes.yml")))
jobs = {j["job_name"]: j for j in sc["scrape_configs"]}
j = jobs.get("tcflow_exporter", {})
sd = j.get("kubernetes_sd_configs", [])
say(len(sd) == 1 and sd[0].get("role") == "pod", "scrape-config-kubernetes.yml: job tcflow_exporter discovers pods")
say(sd and sd[0].get("namespaces", {}).get("names") == [ds.get("metadata", {}).get("namespace")],
    "scrape-config-kubernetes.yml: in the DaemonSet's namespace")
keeps = {tuple(r.get("source_labels", [])): r.get("regex") for r in j.get("relabel_configs", []) if r.get("action") == "keep"}
say(keeps.get(("__meta_kubernetes_pod_label_app_kubernetes_io_name",)) == pod_labels.get("app.kubernetes.io/name"),
    "scrape-config-kubernetes.yml: keeps the pods labelled like the DaemonSet's")
say(keeps.get(("__meta_kubernetes_pod_container_port_name",)) == "metrics", "scrape-config-kubernetes.yml: keeps the metrics port")
meta = {l for r in j.get("relabel_configs", []) for l in r.get("source_labels", []) if l.startswith("__meta_")}
known = re.compile(r"__meta_kubernetes_(namespace|pod_(name|ip|label_\w+|labelpresent_\w+|annotation_\w+|"
                   r"container_(name|id|image|port_name|port_number|port_protocol|init)|ready|phase|node_name|"
                   r"host_ip|uid|controller_kind|controller_name))$")
bad = sorted(l for l in meta if not known.match(l))
say(not bad, "scrape-config-kubernetes.yml: only pod-role meta labels%s" % (": " + ", ".join(bad) if bad else ""))
EOF
[ -s "$tmp/k8s.err" ] && not_ok "the Kubernetes checks failed: $(tail -n 3 "$tmp/k8s.err" | tr '\n' '|')"
verdicts "$tmp/k8s"

# ---- systemd ----------------------------------------------------------------
for d in 'EnvironmentFile=-/etc/default/tcflow_exporter' 'ExecStart=/usr/bin/tcflow_exporter $ARGS' \
	'CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN CAP_PERFMON' 'NoNewPrivileges=yes' \
	'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' 'SystemCallArchitectures=native'; do
	check "unit has $d" grep -qxF -- "$d" "$UNIT"
done
check "unit runs as a user of its own (DynamicUser= or User=)" grep -qE '^(DynamicUser=yes|User=[a-z_]+)$' "$UNIT"
# The flags file: a shell-like assignment of real flags.
# shellcheck source=/dev/null
if (set -u; . "$DEFAULTS"; [ -n "${ARGS:-}" ]) 2>"$tmp/d.err"; then
	# shellcheck source=/dev/null
	bad=$( (. "$DEFAULTS"; for a in $ARGS; do echo "${a%%=*}"; done) | grep -vxFf "$tmp/flags" || true)
	if [ -z "$bad" ]; then ok "tcflow_exporter.default: ARGS holds real flags"; else not_ok "tcflow_exporter.default: unknown flags: $bad"; fi
else
	not_ok "tcflow_exporter.default does not set ARGS: $(cat "$tmp/d.err")"
fi
if command -v systemd-analyze >/dev/null; then
	# verify needs the binary at ExecStart, and the man page installed for
	# Documentation= (--man=no).
	mkdir -p "$tmp/unit"
	sed "s|^ExecStart=/usr/bin/tcflow_exporter|ExecStart=$TCFLOW_BIN|" "$UNIT" >"$tmp/unit/tcflow_exporter.service"
	if systemd-analyze verify --man=no "$tmp/unit/tcflow_exporter.service" >"$tmp/sa.out" 2>&1 && [ ! -s "$tmp/sa.out" ]; then
		ok "systemd-analyze verify: clean"
	else
		not_ok "systemd-analyze verify: $(tr '\n' '|' <"$tmp/sa.out")"
	fi
	systemd-analyze security --offline=true "$tmp/unit/tcflow_exporter.service" >"$tmp/sec.out" 2>&1
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$tmp/sec.out")
	if [ -n "$level" ] && awk -v l="$level" -v m="$SECURITY_MAX" 'BEGIN { exit !(l <= m) }'; then
		ok "systemd-analyze security: exposure $level <= $SECURITY_MAX"
	else
		not_ok "systemd-analyze security: exposure '${level:-?}', want <= $SECURITY_MAX: $(tail -n 3 "$tmp/sec.out" | tr '\n' '|')"
	fi
else
	not_ok "systemd-analyze is missing: install the Debian package systemd"
fi

# ---- Dockerfile -------------------------------------------------------------
"$PYTHON" - "$SRC" "$tmp" "$TCFLOW_BIN" >"$tmp/docker" 2>"$tmp/docker.err" <<'EOF'
import fnmatch, os, re, shlex, shutil, subprocess, sys

src, tmp, binary = sys.argv[1], sys.argv[2], sys.argv[3]


def say(ok, what):
    print(("ok " if ok else "not_ok ") + what)


# Instructions, continuation lines joined, comments dropped.
lines, cur = [], ""
for raw in open(os.path.join(src, "Dockerfile")):
    s = raw.rstrip("\n")
    if not cur and (not s.strip() or s.lstrip().startswith("#")):
        continue
    if s.lstrip().startswith("#"):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    lines.append(cur + s)
    cur = ""
stages = []
for l in lines:
    op, _, rest = l.strip().partition(" ")
    op = op.upper()
    if op == "FROM":
        m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.I)
        stages.append({"image": m.group(1), "name": m.group(2), "ops": []})
    elif stages:
        stages[-1]["ops"].append((op, rest.strip()))
say(len(stages) == 2, "Dockerfile: two stages (%s)" % ", ".join(s["image"] for s in stages))
if len(stages) != 2:
    sys.exit(0)
build, run = stages
say(build["image"].startswith("debian:12") and run["image"].startswith("debian:12"),
    "Dockerfile: both stages on debian:12")


def apt_packages(stage):
    pkgs = []
    for op, arg in stage["ops"]:
        if op == "RUN" and "apt-get install" in arg:
            words = shlex.split(arg.split("apt-get install", 1)[1].split("&&")[0])
            pkgs += [w for w in words if not w.startswith("-")]
    return pkgs


bpkgs, rpkgs = apt_packages(build), apt_packages(run)
# scripts/install-deps.sh's packages, less what only the tests use.
deps = open(os.path.join(src, "scripts/install-deps.sh")).read()
m = re.search(r'PKGS="([^"]*)"', deps)
want = set(m.group(1).split()) - {"iproute2", "curl", "prometheus", "python3", "python3-yaml",
                                   "groff-base", "man-db", "systemd", "strace",
                                   "python3-prometheus-client", "procps", "util-linux",
                                   "binutils", "openssl"} if m else set()
want.add("bpftool")
missing = sorted(want - set(bpkgs))
say(not missing, "build stage installs the build packages of scripts/install-deps.sh%s" % (": missing " + " ".join(missing) if missing else ""))
notinst = [p for p in bpkgs if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True).stdout != "install ok installed"]
say(not notinst, "build stage packages are installed here, so the build below is the image's%s" % (": not " + " ".join(notinst) if notinst else ""))

# The runtime stage has the package of every library the binary links
# (libc6 comes with the base image).
needed = re.findall(r"\(NEEDED\).*\[(.*)\]", subprocess.run(["readelf", "-d", binary], capture_output=True, text=True).stdout)
ldd = {}
for l in subprocess.run(["ldd", binary], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"\s*(\S+) => (\S+)", l)
    if m:
        ldd[m.group(1)] = m.group(2)
owners = {}
for lib in needed:
    path = ldd.get(lib, "")
    cands = [path, os.path.realpath(path)]
    cands += [c[4:] if c.startswith("/usr/") else "/usr" + c for c in list(cands)]
    for cand in cands:
        r = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True)
        if r.returncode == 0:
            owners[lib] = r.stdout.split(":")[0]
            break
say(needed and len(owners) == len(needed), "the binary's libraries and their packages: %s" %
    ", ".join("%s=%s" % (l, owners.get(l, "?")) for l in needed))
lack = sorted({p for p in owners.values() if p not in rpkgs and p != "libc6"})
say(not lack, "runtime stage installs every library package (%s)%s" % (" ".join(rpkgs), ": missing " + " ".join(lack) if lack else ""))
say(not any(p.endswith("-dev") for p in rpkgs) and "clang" not in rpkgs, "runtime stage has no build tools")

# COPY from the context: the files exist.
for op, arg in run["ops"] + build["ops"]:
    if op == "COPY" and not arg.startswith("--from"):
        for s in arg.split()[:-1]:
            say(os.path.exists(os.path.join(src, s)), "COPY %s exists" % s)

# The build stage, outside Docker: a copy of the context as .dockerignore
# shapes it, then its RUN commands (apt-get skipped: checked above), with
# /src the copy and /out a folder of ours.
ignore = [l.strip() for l in open(os.path.join(src, ".dockerignore")) if l.strip() and not l.startswith("#")]


def ignored(rel):
    verdict = False
    for pat in ignore:
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        hit = fnmatch.fnmatch(rel, p) or (p.startswith("**/") and fnmatch.fnmatch(os.path.basename(rel), p[3:]))
        # A pattern naming a folder also covers what is under it.
        parts = rel.split("/")
        hit = hit or any(fnmatch.fnmatch("/".join(parts[:i]), p) for i in range(1, len(parts)))
        if hit:
            verdict = not neg
    return verdict


ctx = os.path.join(tmp, "context")
out = os.path.join(tmp, "out")
n = 0
for root, dirs, files in os.walk(src):
    relroot = os.path.relpath(root, src)
    dirs[:] = [d for d in dirs if not ignored(os.path.normpath(os.path.join(relroot, d)))]
    for f in files:
        rel = os.path.normpath(os.path.join(relroot, f))
        if ignored(rel):
            continue
        os.makedirs(os.path.join(ctx, relroot), exist_ok=True)
        shutil.copy2(os.path.join(root, f), os.path.join(ctx, rel))
        os.chmod(os.path.join(ctx, rel), os.stat(os.path.join(ctx, rel)).st_mode | 0o200)
        n += 1
say(n > 20 and not os.path.exists(os.path.join(ctx, ".git")), "build context: %d files, no .git" % n)
workdir = None
ok = True
for op, arg in build["ops"]:
    if op == "WORKDIR":
        workdir = arg
    if op != "RUN" or "apt-get" in arg:
        continue
    cmd = arg.replace("/out", out)
    # Gently: the rest of the suite runs meanwhile, some of it timing
    # sensitive. One job (nproc honours OMP_NUM_THREADS), a lower priority.
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        r = subprocess.run(["nice", "-n", "10", "sh", "-ec", cmd], cwd=ctx, env=env,
                           capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        say(False, "build stage RUN %s: still running after 600 s" % arg[:60])
        ok = False
        break
    say(r.returncode == 0, "build stage RUN %s%s" % (arg[:60] + ("..." if len(arg) > 60 else ""),
        "" if r.returncode == 0 else ": exit %d: %s" % (r.returncode, " | ".join((r.stdout + r.stderr).splitlines()[-8:]))))
    ok = ok and r.returncode == 0
say(workdir == "/src", "build stage works in /src, where COPY puts the context (%s)" % workdir)
if ok:
    for op, arg in run["ops"]:
        if op == "COPY" and arg.startswith("--from=build"):
            s = arg.split()[1]
            built = os.path.join(out, s.replace("/out/", "", 1))
            say(os.access(built, os.X_OK), "the runtime stage copies what the build installed: %s" % s)
            v = subprocess.run([built, "--version"], capture_output=True, text=True)
            want_v = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
            say(v.returncode == 0 and v.stdout == want_v, "the image's binary runs: %s" % v.stdout.strip())
EOF
[ -s "$tmp/docker.err" ] && not_ok "the Dockerfile checks failed: $(tail -n 3 "$tmp/docker.err" | tr '\n' '|')"
verdicts "$tmp/docker"

if [ "$ROOT" = 0 ]; then
	echo "# SKIP: the namespace part needs root"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 77
	exit 1
fi

# ---- as root: the unit's least privilege, for real -----------------------------
setup_pair
CAPS=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT" | tr ' ' '\n' | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | paste -sd, -)
note "the unit's ambient capabilities: $CAPS"
# A copy nobody can read and run, whatever the build tree's permissions.
mkdir -p "$tmp/nobody" && cp "$TCFLOW_BIN" "$tmp/nobody/tcflow_exporter" &&
	chmod 755 "$tmp" "$tmp/nobody" "$tmp/nobody/tcflow_exporter"
# confined CAPS ARGS...: sets CONFINED to the command that runs the
# exporter in namespace A as the unit would: nobody, ambient CAPS (and
# nothing in the bounding set beyond), no new privileges, / and /sys
# read-only (ProtectSystem=strict, ProtectKernelTunables=yes), and
# RLIMIT_MEMLOCK 64 KiB (memcg accounting, no LimitMEMLOCK=).
CONFINED=()
confined() {
	local caps=$1 plus
	shift
	plus=$(echo "$caps" | sed 's/^/+/; s/,/,+/g')
	CONFINED=(ip netns exec "$NS_A" unshare -m --propagation private sh -c
		'mount -o remount,bind,ro / && mount -o remount,bind,ro /sys && exec "$0" "$@"'
		prlimit --memlock=65536:65536 setpriv --reuid=nobody --regid=nogroup --clear-groups
		--no-new-privs "--inh-caps=-all,$plus" "--ambient-caps=$plus" "--bounding-set=-all,$plus"
		"$tmp/nobody/tcflow_exporter" "$@")
}
STRACE=$(command -v strace || true)
[ -n "$STRACE" ] || not_ok "strace is missing (install the Debian package strace): the system call check cannot run"
EXP_LOG=$tmp/confined.log
confined "$CAPS" --interface="$IF_A" --web.listen-address=127.0.0.1:0 --events.sample=1 \
	--flow.idle-timeout=1h
if [ -n "$STRACE" ]; then
	"$STRACE" -f -qq -o "$tmp/strace" "${CONFINED[@]}" >"$tmp/confined.out" 2>"$EXP_LOG" &
else
	"${CONFINED[@]}" >"$tmp/confined.out" 2>"$EXP_LOG" &
fi
TOP=$!
track "$TOP"
EXP_PORT=
for _ in $(seq 200); do
	EXP_PORT=$(sed -n 's/^tcflow_exporter: info: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$EXP_LOG")
	[ -n "$EXP_PORT" ] && grep -q '^tcflow_exporter: info: attached to ' "$EXP_LOG" && break
	kill -0 "$TOP" 2>/dev/null || break
	sleep 0.05
done
# The exporter's PID: under strace, strace's child.
EXP=$TOP
[ -n "$STRACE" ] && EXP=$(pgrep -P "$TOP" | head -n 1)
if [ -n "$EXP_PORT" ] && [ -n "$EXP" ]; then
	ok "confined: attached to $IF_A and listening, as nobody with $CAPS only"
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$EXP/status")
	assert_eq "confined: runs as nobody" "$(id -u nobody)" "$uid"
	eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$EXP/status")
	# Started with CAP_NET_ADMIN 12, CAP_PERFMON 38, CAP_BPF 39; once
	# attached, only NET_ADMIN stays (for detaching at exit).
	assert_eq "confined: after attaching, only NET_ADMIN is left of NET_ADMIN, PERFMON, BPF" 0000000000001000 "$eff"
	assert_eq "confined: no new privileges" 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$EXP/status")"
	udp_flow "$NS_B" "$B4" 40001 "$NS_A" "$A4" 5001 10 20 30 || not_ok "confined: udp delivered"
	m=$tmp/confined.metrics
	# The unit's flags keep the default labels (services): the flow is
	# its service's series. Scraped twice, as a series new since the last
	# scrape shows its count on the next (lib.sh scrape_settled).
	scrape_settled "$m" || not_ok "confined: scrape"
	assert_eq "confined: counts the flow exactly (packets)" 3 "$(metric "$m" tcflow_flow_packets_total \
		"interface=$IF_A,direction=ingress,protocol=udp,src_ip=$B4,dst_ip=$A4,service_port=5001")"
	assert_eq "confined: counts the flow exactly (bytes)" "$(frame_bytes 4 10 20 30)" "$(metric "$m" tcflow_flow_bytes_total \
		"interface=$IF_A,direction=ingress,protocol=udp,src_ip=$B4,dst_ip=$A4,service_port=5001")"
	# OpenMetrics and gzip, and an event, so that strace sees those paths.
	check "confined: OpenMetrics, gzip" sh -c "ip netns exec '$NS_A' curl -sf --compressed --max-time 5 \
		-H 'Accept: application/openmetrics-text; version=1.0.0' http://127.0.0.1:$EXP_PORT/metrics | tail -n 1 | grep -qx '# EOF'"
	ip netns exec "$NS_A" curl -sN --max-time 5 "http://127.0.0.1:$EXP_PORT/events?limit=1&port=5002" \
		>"$tmp/event" &
	ev=$!
	track "$ev"
	sleep 0.3
	udp_flow "$NS_B" "$B4" 40002 "$NS_A" "$A4" 5002 50 || not_ok "confined: udp for the event delivered"
	wait_pid "$ev" 6
	check "confined: /events streams the event" grep -q '"dst_port":5002' "$tmp/event"
	kill -TERM "$EXP"
	wait_pid "$TOP" 10
	assert_eq "confined: SIGTERM exit status" 0 "$WAIT_RC"
	assert_eq "confined: no tcflow filter left on ingress" 0 "$(tcflow_filters ingress)"
	assert_eq "confined: no tcflow filter left on egress" 0 "$(tcflow_filters egress)"
else
	wait_pid "$TOP" 2
	not_ok "confined: the exporter did not attach as nobody with $CAPS: $(tr '\n' '|' <"$EXP_LOG")"
fi

# Every system call of the exporter (from its execve on, with its threads)
# is in the unit's SystemCallFilter, every socket's family in its
# RestrictAddressFamilies, and no mapping is writable and executable at
# once (MemoryDenyWriteExecute).
if [ -n "$STRACE" ] && [ -s "$tmp/strace" ]; then
	"$PYTHON" - "$tmp/strace" "$tmp/nobody/tcflow_exporter" >"$tmp/trace" <<-'EOF'
	import re, sys
	mine, names, fams, wx = set(), set(), set(), 0
	for line in open(sys.argv[1]):
	    line = line.rstrip()
	    m = re.match(r"(\d+)\s+(?:<\.\.\. )?([a-z0-9_]+)[ (]", line)
	    if not m:
	        continue
	    pid, name = m.group(1), m.group(2)
	    if not mine and name == "execve" and sys.argv[2] in line and line.endswith("= 0"):
	        mine.add(pid)
	        continue
	    if pid not in mine:
	        continue
	    names.add(name)
	    c = re.match(r".*\b(?:clone3?|fork|vfork)(?:\(| resumed>).*= (\d+)$", line)
	    if c:
	        mine.add(c.group(1))
	    f = re.match(r"\d+\s+socket(?:pair)?\((AF_[A-Z0-9]+)", line)
	    if f:
	        fams.add(f.group(1))
	    if name in ("mmap", "mprotect", "pkey_mprotect") and "PROT_WRITE" in line and "PROT_EXEC" in line:
	        wx += 1
	for n in sorted(names):
	    print("syscall", n)
	for f in sorted(fams):
	    print("family", f)
	print("wx", wx)
	EOF
	sed -n 's/^syscall //p' "$tmp/trace" >"$tmp/used"
	# expand FILTER...: the system calls of systemd's names and @groups.
	expand() {
		local x
		for x in "$@"; do
			case $x in
			@*) systemd-analyze syscall-filter "$x" | sed -n '2,$p' | sed 's/^ *//; /^#/d; /^$/d' |
				while read -r y; do expand "$y"; done ;;
			*) echo "$x" ;;
			esac
		done
	}
	allow=$(sed -n 's/^SystemCallFilter=\([^~].*\)$/\1/p' "$UNIT")
	deny=$(sed -n 's/^SystemCallFilter=~\(.*\)$/\1/p' "$UNIT")
	# shellcheck disable=SC2086
	expand $allow | sort -u >"$tmp/allow"
	# shellcheck disable=SC2086
	expand $deny | sort -u >"$tmp/deny"
	comm -23 "$tmp/allow" "$tmp/deny" >"$tmp/allowed"
	n=$(wc -l <"$tmp/used")
	check "strace saw the exporter's system calls ($n kinds)" test "$n" -ge 20
	outside=$(comm -23 "$tmp/used" "$tmp/allowed" | tr '\n' ' ')
	if [ -z "$outside" ]; then
		ok "every system call the exporter made is in the unit's SystemCallFilter ($allow minus ${deny:-nothing})"
	else
		not_ok "system calls outside the unit's SystemCallFilter: $outside"
	fi
	fams=$(sed -n 's/^family //p' "$tmp/trace" | paste -sd ' ' -)
	allowed_fams=" $(sed -n 's/^RestrictAddressFamilies=//p' "$UNIT") "
	bad=
	for f in $fams; do case $allowed_fams in *" $f "*) ;; *) bad="$bad $f" ;; esac; done
	if [ -n "$fams" ] && [ -z "$bad" ]; then
		ok "every socket family it used ($fams) is in the unit's RestrictAddressFamilies"
	else
		not_ok "socket families outside RestrictAddressFamilies:${bad:- (none seen)}"
	fi
	assert_eq "no writable and executable mapping (MemoryDenyWriteExecute=yes)" 0 "$(sed -n 's/^wx //p' "$tmp/trace")"
fi

# Each of the three is needed: without it, exit 1 and nothing attached.
for drop in $(echo "$CAPS" | tr ',' ' '); do
	less=$(echo "$CAPS" | tr ',' '\n' | grep -vx "$drop" | paste -sd, -)
	confined "$less" --interface="$IF_A" --web.listen-address=127.0.0.1:0
	timeout 10 "${CONFINED[@]}" >/dev/null 2>"$tmp/less.err"
	rc=$?
	if [ "$rc" = 1 ] && [ "$(tcflow_filters ingress)" = 0 ] && [ "$(tcflow_filters egress)" = 0 ]; then
		ok "without CAP_${drop^^}: exit 1, nothing attached: $(tail -n 1 "$tmp/less.err")"
	else
		not_ok "without CAP_${drop^^}: exit $rc, filters $(tcflow_filters ingress)/$(tcflow_filters egress): $(tr '\n' '|' <"$tmp/less.err")"
	fi
done

# ---- as root: the image's entry point -----------------------------------------
# entry ARGS...: what the entry point would exec, in namespace A.
# shellcheck disable=SC2086 # ENTRY_ENV: zero or one word
entry() { in_a env TCFLOW_EXPORTER=echo ${ENTRY_ENV:-} sh "$ENTRYPOINT" "$@" 2>"$tmp/entry.err"; }
check "entrypoint.sh is POSIX sh" sh -n "$ENTRYPOINT"
out=$(entry --log.level=debug)
rc=$?
if [ "$rc" = 1 ] && grep -q 'no default route' "$tmp/entry.err"; then
	ok "entrypoint: no default route: exit 1: $(cat "$tmp/entry.err")"
else
	not_ok "entrypoint without a default route: exit $rc, out '$out', err '$(cat "$tmp/entry.err")'"
fi
ip -n "$NS_A" -6 route add default via "$B6" dev "$IF_A" || not_ok "ipv6 default route"
assert_eq "entrypoint: the IPv6 default route's interface, when there is no IPv4 one" \
	"--log.level=debug --interface=$IF_A" "$(entry --log.level=debug)"
# A second default route, on a veth pair of namespace A's own, with a
# higher metric.
ip -n "$NS_A" link add vX type veth peer name vY && ip -n "$NS_A" link set vX up &&
	ip -n "$NS_A" link set vY up && ip -n "$NS_A" route add default dev vX metric 200 &&
	ip -n "$NS_A" route add default via "$B4" dev "$IF_A" metric 100 || not_ok "ipv4 default routes"
assert_eq "entrypoint: the IPv4 default route with the lowest metric" "--interface=$IF_A" "$(entry)"
assert_eq "entrypoint: TCFLOW_INTERFACES" "-x --interface=eth9 --interface=vX" \
	"$(ENTRY_ENV='TCFLOW_INTERFACES=eth9,vX' entry -x)"
assert_eq "entrypoint: given --interface is left alone" "--interface=lo --once" "$(entry --interface=lo --once)"
# For real: the exporter on the default route's interface, as the image runs it.
ip netns exec "$NS_A" env TCFLOW_EXPORTER="$TCFLOW_BIN" sh "$ENTRYPOINT" --web.listen-address=127.0.0.1:0 \
	>/dev/null 2>"$tmp/entry-real.log" &
ENTRY_PID=$!
track "$ENTRY_PID"
if wait_line "$tmp/entry-real.log" "^tcflow_exporter: info: attached to $IF_A " 10 "$ENTRY_PID"; then
	ok "entrypoint: the exporter attached to $IF_A"
else
	not_ok "entrypoint: the exporter did not attach to $IF_A: $(tr '\n' '|' <"$tmp/entry-real.log")"
fi
# ip netns exec, env, sh and the exporter: one process, exec after exec.
kill -TERM "$ENTRY_PID"
wait_pid "$ENTRY_PID" 10
assert_eq "entrypoint: the exporter exits 0 on SIGTERM" 0 "$WAIT_RC"
ip -n "$NS_A" link del vX 2>/dev/null

finish
