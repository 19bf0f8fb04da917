# Container image of tcflow_exporter, for the Kubernetes DaemonSet in
# deploy/kubernetes (or `docker run`, see below).
#
#   docker build -t tcflow_exporter .
#   docker run --rm --network host --cap-drop ALL \
#       --cap-add BPF --cap-add NET_ADMIN --cap-add PERFMON \
#       tcflow_exporter --interface=eth0
#
# Without --interface the entry point counts on the default route's
# interface (deploy/docker/entrypoint.sh); TCFLOW_INTERFACES=eth0,eth1
# names them instead. tests/test-deploy.sh runs the build stage's commands
# outside Docker and checks that the runtime stage has every library the
# binary links.

# ---- build ------------------------------------------------------------------
FROM debian:12 AS build
# The build dependencies of scripts/install-deps.sh (not the test tools).
# Debian 12 has ISA-L (libisal-dev, libisal2 below) for amd64 only: on
# other architectures leave both out, and gzip of /metrics uses zlib.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential autoconf automake pkg-config clang llvm bpftool \
        libbpf-dev libelf-dev zlib1g-dev libisal-dev libmicrohttpd-dev libpcap-dev libmnl-dev check libxxhash-dev \
        libgnutls28-dev libyaml-dev libcrypt-dev libcap-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
RUN autoreconf -fi \
    && ./configure --prefix=/usr --sysconfdir=/etc \
    && make -j"$(nproc)" \
    && make install-strip DESTDIR=/out

# ---- runtime ----------------------------------------------------------------
FROM debian:12-slim
# Only the shared libraries the binary links (and what they pull in).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libbpf1 libelf1 libisal2 zlib1g libmicrohttpd12 libpcap0.8 libmnl0 \
        libgnutls30 libyaml-0-2 libcrypt1 libcap2 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/bin/tcflow_exporter /usr/bin/tcflow_exporter
COPY deploy/docker/entrypoint.sh /usr/local/bin/tcflow-entrypoint
EXPOSE 9892
# Runs as root with only the capabilities the runtime grants: in
# Kubernetes drop ALL and add BPF, NET_ADMIN and PERFMON (a non-root user
# would need ambient capabilities, which Kubernetes does not set).
ENTRYPOINT ["/usr/local/bin/tcflow-entrypoint"]
CMD []
