#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# --web.config.file end to end, in a network namespace of the test's own
# (loopback only), with certificates made here by openssl:
#  - a table of web configuration files, valid and invalid (after the
#    cases of the Prometheus exporter-toolkit, written afresh): an invalid
#    one stops the start with exit 2 and one line naming the key;
#  - TLS + basic auth with curl: every endpoint asks for the password,
#    extra headers, plain HTTP refused; a changed password applies without
#    a restart; a broken file keeps the last good one and shows in
#    tcflow_web_config_last_reload_successful; a replaced certificate is
#    served to new connections;
#  - cipher_suites and min/max_version as a TLS client sees them;
#  - mTLS (RequireAndVerifyClientCert): a client certificate of the CA
#    passes, none or one of another CA is refused; client_allowed_sans;
#  - a real Prometheus scrapes over TLS + basic auth and over mTLS (up 1),
#    and a job with a wrong password gets up 0.
# Needs root (else exit 77). Env: TCFLOW_BIN, TCFLOW_MKPCAP, TCFLOW_MKBCRYPT.
# shellcheck disable=SC2015,SC2016,SC2317
. "$(dirname "$0")/lib.sh"
lib_init
: "${TCFLOW_MKPCAP:?}" "${TCFLOW_MKBCRYPT:?}"
command -v openssl >/dev/null || skip "openssl is missing"
command -v curl >/dev/null || skip "curl is missing"

ip netns add "$NS_A" 2>"$tmp/netns.err" || skip "no network namespaces: $(cat "$tmp/netns.err")"
NS_MADE+=("$NS_A")
ip -n "$NS_A" link set lo up || bail "lo up"

# ---- certificates -------------------------------------------------------------
C=$tmp/certs
mkdir -p "$C"
# mkcert NAME SUBJECT CA [SAN]: an EC key and a certificate signed by CA
# (or self-signed when CA is "self").
mkcert() {
	local name=$1 subj=$2 ca=$3 san=${4:-}
	if [ "$ca" = self ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "$subj" -keyout "$C/$name.key" -out "$C/$name.crt" 2>/dev/null
		return
	fi
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subj" \
		-keyout "$C/$name.key" -out "$C/$name.csr" 2>/dev/null &&
		{ [ -z "$san" ] || echo "subjectAltName=$san" >"$C/$name.ext"; } &&
		openssl x509 -req -in "$C/$name.csr" -CA "$C/$ca.crt" -CAkey "$C/$ca.key" \
			-CAcreateserial -days 2 ${san:+-extfile "$C/$name.ext"} \
			-out "$C/$name.crt" 2>/dev/null
}
mkcert ca "/CN=tcflow test CA" self &&
	mkcert rogue "/CN=another CA" self &&
	mkcert server "/CN=server-one" ca "DNS:localhost,IP:127.0.0.1" &&
	mkcert server2 "/CN=server-two" ca "DNS:localhost,IP:127.0.0.1" &&
	mkcert client "/CN=scraper" ca "DNS:scraper.example" &&
	mkcert other "/CN=other" ca "DNS:other.example" &&
	mkcert intruder "/CN=scraper" rogue "DNS:scraper.example" || bail "openssl could not make the certificates"
HASH=$("$TCFLOW_MKBCRYPT" secret 4) && HASH2=$("$TCFLOW_MKBCRYPT" changed 4) &&
	HASH10=$("$TCFLOW_MKBCRYPT" slow 10) || bail "mkbcrypt"
"$TCFLOW_MKPCAP" "$tmp/known.pcap" || bail "mkpcap"

# ---- the table ------------------------------------------------------------------
W=$tmp/web
mkdir -p "$W"
# case_of NAME WANT_RC WANT_STDERR YAML: starts the exporter with the file
# (a replay with --once: exit 0 for a valid file); checks exit and stderr.
P="tcflow_exporter: error: invalid --web.config.file"
case_of() {
	local name=$1 want_rc=$2 want_err=$3 f="$W/$SEQ.yml" rc
	SEQ=$((SEQ + 1))
	printf '%s\n' "$4" >"$f"
	want_err=${want_err//@F@/$f}
	"$TCFLOW_BIN" --pcap="$tmp/known.pcap" --once --web.config.file="$f" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && [ "$(cat "$tmp/err")" = "$want_err" ]; then
		ok "web config: $name"
	else
		not_ok "web config: $name: exit $rc (want $want_rc), stderr: $(cat "$tmp/err") (want: $want_err)"
	fi
}
good() { case_of "$1 (valid)" 0 "" "$2"; }
bad() { case_of "$1" 2 "$P \"@F@\": $2" "$3"; }
TLS="tls_server_config:
  cert_file: $C/server.crt
  key_file: $C/server.key"

good "empty file" ""
good "comments only" "# nothing here"
good "TLS, no auth" "$TLS"
good "TLS, relative file names" "tls_server_config:
  cert_file: ../certs/server.crt
  key_file: ../certs/server.key"
good "TLS inline" "tls_server_config:
  cert: |
$(sed 's/^/    /' "$C/server.crt")
  key: |
$(sed 's/^/    /' "$C/server.key")"
good "users with TLS" "$TLS
basic_auth_users:
  alice: $HASH
  bob: '$HASH10'"
good "users without TLS" "basic_auth_users:
  alice: $HASH"
good "headers" "http_server_config:
  headers:
    Content-Security-Policy: default-src 'self'
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    X-XSS-Protection: '1; mode=block'
    Strict-Transport-Security: max-age=31536000"
good "some ciphers" "$TLS
  cipher_suites:
    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
good "ciphers without order" "$TLS
  prefer_server_cipher_suites: false
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_RSA_WITH_AES_128_CBC_SHA]"
good "all curves" "$TLS
  curve_preferences: [CurveP256, CurveP384, CurveP521, X25519]"
good "some curves" "$TLS
  curve_preferences: [X25519]"
good "no HTTP/2" "$TLS
http_server_config:
  http2: false"
good "TLS 1.3 only" "$TLS
  min_version: TLS13
  max_version: TLS13"
good "RequireAndVerifyClientCert" "$TLS
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: $C/ca.crt"
good "RequireAnyClientCert" "$TLS
  client_auth_type: RequireAnyClientCert"
good "client_allowed_sans" "$TLS
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: $C/ca.crt
  client_allowed_sans: [scraper.example]"
good "null sections" "tls_server_config:
basic_auth_users: ~"

"$TCFLOW_BIN" --pcap="$tmp/known.pcap" --once --web.config.file="$W/none.yml" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(cat "$tmp/err")" = "$P \"$W/none.yml\": No such file or directory" ] &&
	ok "web config: missing file" || not_ok "web config: missing file: exit $rc, $(cat "$tmp/err")"
bad "junk structure" "YAML error: the file is not a mapping of keys to values" "- a
- b"
bad "unparsable" "YAML error at line 2: mapping values are not allowed in this context" "tls_server_config:
  cert_file: a: b"
bad "unknown top key" "tls_config: unknown key" "tls_config:
  cert_file: x"
bad "unknown TLS key" "tls_server_config.certfile: unknown key" "tls_server_config:
  certfile: x"
bad "key given twice" "basic_auth_users.alice: given twice" "basic_auth_users:
  alice: $HASH
  alice: $HASH"
bad "cert path empty" "tls_server_config: missing one of cert or cert_file" "tls_server_config:
  cert_file: ''
  key_file: $C/server.key"
bad "key path empty" "tls_server_config: missing one of key or key_file" "tls_server_config:
  cert_file: $C/server.crt
  key_file: ''"
bad "cert path invalid" "tls_server_config.cert_file \"$W/nope.crt\": No such file or directory" \
	"tls_server_config:
  cert_file: nope.crt
  key_file: $C/server.key"
bad "key path invalid" "tls_server_config.key_file \"/nope.key\": No such file or directory" \
	"tls_server_config:
  cert_file: $C/server.crt
  key_file: /nope.key"
bad "key of another certificate" \
	"tls_server_config: cannot use the certificate and key: The certificate and the given key do not match." \
	"tls_server_config:
  cert_file: $C/server.crt
  key_file: $C/client.key"
bad "cert not PEM" "tls_server_config: cannot use the certificate and key: Base64 decoding error." \
	"tls_server_config:
  cert: 'not a certificate'
  key_file: $C/server.key"
bad "invalid ClientAuth" "tls_server_config.client_auth_type: invalid ClientAuth \"Sometimes\" (want NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)" \
	"$TLS
  client_auth_type: Sometimes"
bad "client CA without policy" \
	"tls_server_config: client CA's have been configured without a Client Auth Policy" "$TLS
  client_ca_file: $C/ca.crt"
bad "client CA file invalid" "tls_server_config.client_ca_file \"/nope.crt\": No such file or directory" \
	"$TLS
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: /nope.crt"
bad "verify without a CA" \
	"tls_server_config.client_auth_type: RequireAndVerifyClientCert needs client_ca_file" "$TLS
  client_auth_type: RequireAndVerifyClientCert"
bad "password not hashed" \
	"basic_auth_users.alice: the password is not a bcrypt hash (\$2y\$..., 60 characters)" \
	"basic_auth_users:
  alice: secret"
bad "invented cipher" \
	"tls_server_config.cipher_suites: unknown cipher \"TLS_FAKE_WITH_NOTHING\" (see Go's tls.CipherSuites())" \
	"$TLS
  cipher_suites: [TLS_FAKE_WITH_NOTHING]"
bad "insecure cipher" \
	"tls_server_config.cipher_suites: unknown cipher \"TLS_RSA_WITH_RC4_128_SHA\" (see Go's tls.CipherSuites())" \
	"$TLS
  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]"
bad "invented curve" \
	"tls_server_config.curve_preferences: unknown curve \"CurveP1000\" (want CurveP256, CurveP384, CurveP521 or X25519)" \
	"$TLS
  curve_preferences: [CurveP1000]"
bad "wrong TLS version" \
	"tls_server_config.min_version: unknown TLS version \"TLS14\" (want TLS10, TLS11, TLS12 or TLS13)" \
	"$TLS
  min_version: TLS14"
bad "min above max" "tls_server_config: min_version TLS13 is above max_version TLS12" "$TLS
  min_version: TLS13
  max_version: TLS12"
bad "extra header" \
	"http_server_config.headers: HTTP header \"X-Powered-By\" can not be configured" \
	"http_server_config:
  headers:
    X-Powered-By: tcflow"
bad "frame options" \
	"http_server_config.headers.X-Frame-Options: invalid value \"allow\" (want deny or sameorigin)" \
	"http_server_config:
  headers:
    X-Frame-Options: allow"
bad "content type options" \
	"http_server_config.headers.X-Content-Type-Options: invalid value \"sniff\" (want nosniff)" \
	"http_server_config:
  headers:
    X-Content-Type-Options: sniff"
bad "http2 not a boolean" "http_server_config.http2: \"maybe\" is not true or false" \
	"http_server_config:
  http2: maybe"
bad "rate_limit" "rate_limit: not supported by tcflow_exporter (see --web.max-requests)" \
	"rate_limit:
  interval: 1s
  burst: 5"
bad "TLS settings without a certificate" \
	"tls_server_config: TLS settings without cert_file and key_file" "tls_server_config:
  min_version: TLS12
  curve_preferences: [X25519]"

# ---- a served exporter ----------------------------------------------------------
# serve NAME FILE: a replay serving over the web config FILE.
serve() { start_exporter "$1" --pcap="$tmp/known.pcap" --web.config.file="$2"; }
# code ARGS...: the HTTP status curl got (000 when it got none).
code() { in_a curl -s -o "$tmp/body" -D "$tmp/headers" --max-time 5 -w '%{http_code}' "$@"; }

cat >"$W/auth.yml" <<EOF
$TLS
basic_auth_users:
  alice: $HASH
http_server_config:
  headers:
    X-Frame-Options: deny
EOF
serve auth "$W/auth.yml" || bail "the exporter did not start with TLS and basic auth"
AUTH_PORT=$EXP_PORT AUTH_PID=$EXP_PID
U=https://localhost:$AUTH_PORT
CA=(--cacert "$C/ca.crt" --resolve "localhost:$AUTH_PORT:127.0.0.1")
assert_eq "TLS + basic auth: /metrics with the password" 200 "$(code "${CA[@]}" -u alice:secret "$U/metrics")"
grep -qx 'tcflow_flows 4' "$tmp/body" && ok "TLS + basic auth: the metrics are there" ||
	not_ok "TLS + basic auth: no tcflow_flows 4 in $(head -c 300 "$tmp/body")"
grep -qix 'X-Frame-Options: deny' <(tr -d '\r' <"$tmp/headers") &&
	ok "http_server_config.headers on a 200" || not_ok "no X-Frame-Options on a 200"
for path in /metrics / /-/healthy /events /nope; do
	assert_eq "TLS + basic auth: $path without a password is 401" 401 "$(code "${CA[@]}" "$U$path")"
done
grep -qix 'X-Frame-Options: deny' <(tr -d '\r' <"$tmp/headers") &&
	ok "http_server_config.headers on a 401" || not_ok "no X-Frame-Options on a 401"
grep -qi '^WWW-Authenticate: Basic realm="tcflow_exporter"' "$tmp/headers" &&
	ok "401 asks for basic auth" || not_ok "no WWW-Authenticate on a 401"
assert_eq "wrong password is 401" 401 "$(code "${CA[@]}" -u alice:wrong "$U/metrics")"
assert_eq "unknown user is 401" 401 "$(code "${CA[@]}" -u mallory:secret "$U/metrics")"
assert_eq "health with the password" 200 "$(code "${CA[@]}" -u alice:secret "$U/-/healthy")"
assert_eq "plain HTTP to the TLS port gets no page" 000 \
	"$(code -u alice:secret "http://127.0.0.1:$AUTH_PORT/metrics")"
assert_eq "a client that does not trust the certificate gives up" 000 \
	"$(code --resolve "localhost:$AUTH_PORT:127.0.0.1" -u alice:secret "$U/metrics")"

# metric NAME: its value in a fresh scrape with the password in force.
reload_metric() {
	in_a curl -s "${CA[@]}" -u "$1" "$U/metrics" | sed -n "s/^$2 //p"
}
# until_code WANT SECONDS ARGS...: polls until curl gets WANT.
until_code() {
	local want=$1 tries=$(($2 * 10)) got
	shift 2
	while [ "$tries" -gt 0 ]; do
		got=$(code "$@")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}
sed "s|alice: .*|alice: $HASH2|" "$W/auth.yml" >"$W/auth.new" && mv "$W/auth.new" "$W/auth.yml"
until_code 401 5 "${CA[@]}" -u alice:secret "$U/metrics" &&
	ok "the old password is refused within 5 s of the change" ||
	not_ok "the old password still works 5 s after the change"
assert_eq "the new password works without a restart" 200 "$(code "${CA[@]}" -u alice:changed "$U/metrics")"
assert_eq "reload success shown" 1 \
	"$(reload_metric alice:changed tcflow_web_config_last_reload_successful)"
kill -0 "$AUTH_PID" && ok "same process ($AUTH_PID)" || not_ok "the exporter is gone"

printf 'basic_auth_users: [oops\n' >"$W/auth.new" && cp "$W/auth.yml" "$W/auth.good" &&
	mv "$W/auth.new" "$W/auth.yml"
wait_line "$EXP_LOG" 'reloading --web.config.file ".*" failed, keeping the last good one: YAML error' 5 &&
	ok "a broken file is logged" || not_ok "no log line for the broken file"
assert_eq "a broken file keeps the last good one" 200 "$(code "${CA[@]}" -u alice:changed "$U/metrics")"
assert_eq "tcflow_web_config_last_reload_successful 0 after a broken file" 0 \
	"$(reload_metric alice:changed tcflow_web_config_last_reload_successful)"
mv "$W/auth.good" "$W/auth.yml"
wait_line "$EXP_LOG" 'info: reloaded --web.config.file' 5
sleep 1.2
assert_eq "tcflow_web_config_last_reload_successful 1 once fixed" 1 \
	"$(reload_metric alice:changed tcflow_web_config_last_reload_successful)"
[ -n "${PROMTOOL:-}" ] && {
	in_a curl -s "${CA[@]}" -u alice:changed "$U/metrics" >"$tmp/scrape"
	check "promtool check metrics (with the web metrics)" "$PROMTOOL" check metrics <"$tmp/scrape"
}

subject() {
	in_a openssl s_client -connect "127.0.0.1:$AUTH_PORT" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -subject 2>/dev/null | sed 's/.*CN *= *//'
}
assert_eq "the certificate served" server-one "$(subject)"
cp "$C/server2.key" "$C/server.key.new" && cp "$C/server2.crt" "$C/server.crt.new" &&
	mv "$C/server.key.new" "$C/server.key" && mv "$C/server.crt.new" "$C/server.crt"
tries=50
while [ "$tries" -gt 0 ] && [ "$(subject)" != server-two ]; do sleep 0.1; tries=$((tries - 1)); done
assert_eq "a replaced certificate is served without a restart" server-two "$(subject)"
assert_eq "and works" 200 "$(code "${CA[@]}" -u alice:changed "$U/metrics")"

# ---- versions and cipher suites -------------------------------------------------
cat >"$W/ciphers.yml" <<EOF
tls_server_config:
  cert_file: $C/server2.crt
  key_file: $C/server2.key
  max_version: TLS12
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
EOF
serve ciphers "$W/ciphers.yml" || bail "the exporter did not start with cipher_suites"
K=(--cacert "$C/ca.crt" --resolve "localhost:$EXP_PORT:127.0.0.1" --tls-max 1.2)
assert_eq "cipher_suites: the listed suite" 200 \
	"$(code "${K[@]}" --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 "https://localhost:$EXP_PORT/-/healthy")"
assert_eq "cipher_suites: another suite is refused" 000 \
	"$(code "${K[@]}" --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 "https://localhost:$EXP_PORT/-/healthy")"
assert_eq "max_version TLS12: a TLS 1.3 only client is refused" 000 \
	"$(code --cacert "$C/ca.crt" --resolve "localhost:$EXP_PORT:127.0.0.1" --tlsv1.3 "https://localhost:$EXP_PORT/-/healthy")"
cat >"$W/tls13.yml" <<EOF
tls_server_config:
  cert_file: $C/server2.crt
  key_file: $C/server2.key
  min_version: TLS13
EOF
serve tls13 "$W/tls13.yml" || bail "the exporter did not start with min_version TLS13"
assert_eq "min_version TLS13: a TLS 1.2 client is refused" 000 \
	"$(code --cacert "$C/ca.crt" --resolve "localhost:$EXP_PORT:127.0.0.1" --tls-max 1.2 "https://localhost:$EXP_PORT/-/healthy")"
assert_eq "min_version TLS13: a TLS 1.3 client passes" 200 \
	"$(code --cacert "$C/ca.crt" --resolve "localhost:$EXP_PORT:127.0.0.1" "https://localhost:$EXP_PORT/-/healthy")"

# ---- mTLS ----------------------------------------------------------------------
cat >"$W/mtls.yml" <<EOF
tls_server_config:
  cert_file: $C/server2.crt
  key_file: $C/server2.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: $C/ca.crt
EOF
serve mtls "$W/mtls.yml" || bail "the exporter did not start with mTLS"
MTLS_PORT=$EXP_PORT
M=https://localhost:$MTLS_PORT
MCA=(--cacert "$C/ca.crt" --resolve "localhost:$MTLS_PORT:127.0.0.1")
assert_eq "mTLS: a client certificate of the CA" 200 \
	"$(code "${MCA[@]}" --cert "$C/client.crt" --key "$C/client.key" "$M/metrics")"
assert_eq "mTLS: no client certificate" 000 "$(code "${MCA[@]}" "$M/metrics")"
assert_eq "mTLS: a certificate of another CA" 000 \
	"$(code "${MCA[@]}" --cert "$C/intruder.crt" --key "$C/intruder.key" "$M/metrics")"
assert_eq "mTLS: a self-signed certificate" 000 \
	"$(code "${MCA[@]}" --cert "$C/rogue.crt" --key "$C/rogue.key" "$M/metrics")"
printf '  client_allowed_sans: [scraper.example]\n' >>"$W/mtls.yml"
sleep 1.5
assert_eq "client_allowed_sans: the listed name passes" 200 \
	"$(code "${MCA[@]}" --cert "$C/client.crt" --key "$C/client.key" "$M/metrics")"
assert_eq "client_allowed_sans: another name of the CA is refused" 000 \
	"$(code "${MCA[@]}" --cert "$C/other.crt" --key "$C/other.key" "$M/metrics")"

# ---- a real Prometheus -----------------------------------------------------------
if [ -n "${PROMTOOL:-}" ] && [ -x "$(dirname "$PROMTOOL")/prometheus" ]; then
	PROMETHEUS=$(dirname "$PROMTOOL")/prometheus
else
	PROMETHEUS=$(command -v prometheus || true)
fi
[ -n "$PROMETHEUS" ] || bail "prometheus is missing: install the Debian package prometheus"
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tls_basic_auth
    scheme: https
    basic_auth: { username: alice, password: changed }
    tls_config: { ca_file: $C/ca.crt, server_name: localhost }
    static_configs: [ { targets: ['127.0.0.1:$AUTH_PORT'] } ]
  - job_name: mtls
    scheme: https
    tls_config:
      ca_file: $C/ca.crt
      server_name: localhost
      cert_file: $C/client.crt
      key_file: $C/client.key
    static_configs: [ { targets: ['127.0.0.1:$MTLS_PORT'] } ]
  - job_name: wrong_password
    scheme: https
    basic_auth: { username: alice, password: secret }
    tls_config: { ca_file: $C/ca.crt, server_name: localhost }
    static_configs: [ { targets: ['127.0.0.1:$AUTH_PORT'] } ]
  - job_name: no_client_cert
    scheme: https
    tls_config: { ca_file: $C/ca.crt, server_name: localhost }
    static_configs: [ { targets: ['127.0.0.1:$MTLS_PORT'] } ]
EOF
mkdir -p "$tmp/tsdb"
in_a "$PROMETHEUS" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address=127.0.0.1:9090 --log.level=warn >"$tmp/prometheus.log" 2>&1 &
track $!
# up_of JOB: the job's up, or empty before its first scrape.
up_of() {
	in_a curl -s --max-time 2 "http://127.0.0.1:9090/api/v1/query" --data-urlencode "query=up{job=\"$1\"}" |
		"$PYTHON" -c 'import json,sys
r = json.load(sys.stdin).get("data", {}).get("result", [])
print(r[0]["value"][1] if r else "")' 2>/dev/null
}
tries=150
while [ "$tries" -gt 0 ]; do
	[ -n "$(up_of tls_basic_auth)" ] && [ -n "$(up_of mtls)" ] && [ -n "$(up_of wrong_password)" ] &&
		[ -n "$(up_of no_client_cert)" ] && break
	sleep 0.2
	tries=$((tries - 1))
done
sleep 2	# a few more scrapes each
assert_eq "Prometheus over TLS + basic auth: up" 1 "$(up_of tls_basic_auth)"
assert_eq "Prometheus over mTLS: up" 1 "$(up_of mtls)"
assert_eq "Prometheus with a wrong password: down" 0 "$(up_of wrong_password)"
assert_eq "Prometheus without a client certificate: down" 0 "$(up_of no_client_cert)"
[ "$fail" -eq 0 ] || sed 's/^/# prometheus: /' "$tmp/prometheus.log" | tail -n 10

finish
