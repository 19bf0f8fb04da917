// SPDX-License-Identifier: BSD-2-Clause
#include "web_config.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <libgen.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "array.h"
#include "log.h"

/* ---- errors ------------------------------------------------------------- */

struct loader {
	const char *path;
	char *dir;		/* relative file names are relative to the file */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	int failed;
	/* tls_server_config as read, checked once the whole mapping is in */
	char *cert_file, *key_file, *ca_file;
	char *cert, *key, *ca;	/* inline PEM */
	int has_tls_section, has_client_auth;
	int min_v, max_v, prefer_server;
	struct strbuf kx, ciphers, macs, groups;
	int n_suites, n_curves;
};

static int failf(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int failf(struct loader *l, const char *fmt, ...)
{
	va_list ap;

	if (l->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
	l->failed = 1;
	return -1;
}

/* ---- YAML helpers ------------------------------------------------------ */

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* "key:" with nothing after it, or ~ / null: the key is left at its default. */
static int is_null(yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		!strcmp(s, "NULL"));
}

static int want_string(struct loader *l, const char *where, yaml_node_t *n, const char **out)
{
	const char *s = scalar(n);

	*out = "";
	if (!s)
		return failf(l, "%s: want a string", where);
	*out = s;
	return 0;
}

static int want_bool(struct loader *l, const char *where, yaml_node_t *n, int *out)
{
	const char *s = scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")))
		*out = 1;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")))
		*out = 0;
	else
		return failf(l, "%s: \"%s\" is not true or false", where, s ? s : "(not a scalar)");
	return 0;
}

typedef int (*key_fn)(struct loader *l, const char *key, yaml_node_t *value, void *cls);

/* Calls fn for every pair of a mapping; a key given twice is an error. */
static int each_pair(struct loader *l, const char *where, yaml_node_t *map, key_fn fn, void *cls)
{
	yaml_node_pair_t *p, *q;

	if (map->type != YAML_MAPPING_NODE)
		return failf(l, "%s: want a mapping of keys to values", where);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *key = scalar(yaml_document_get_node(l->doc, p->key));
		yaml_node_t *value = yaml_document_get_node(l->doc, p->value);

		if (!key)
			return failf(l, "%s: a key is not a string", where);
		for (q = map->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(key, scalar(yaml_document_get_node(l->doc, q->key))))
				return failf(l, "%s%s%s: given twice", where, *where ? "." : "", key);
		if (fn(l, key, value, cls))
			return -1;
	}
	return 0;
}

static char *resolve(struct loader *l, const char *name)
{
	char *out;

	if (name[0] == '/')
		return strdup(name);
	if (asprintf(&out, "%s/%s", l->dir, name) < 0)
		return NULL;
	return out;
}

/* ---- tls_server_config ---------------------------------------------------- */

struct suite {
	const char *go_name, *kx, *cipher, *mac;
};

/* Go's crypto/tls.CipherSuites(), as GnuTLS priority parts. GnuTLS enables
 * key exchanges, ciphers and MACs, not whole suites: the union of the parts
 * of the listed suites is what is offered. */
static const struct suite suites[] = {
	{ "TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1" },
	{ "TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1" },
	{ "TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD" },
	{ "TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD" },
	{ "TLS_AES_128_GCM_SHA256", NULL, "AES-128-GCM", "AEAD" },
	{ "TLS_AES_256_GCM_SHA384", NULL, "AES-256-GCM", "AEAD" },
	{ "TLS_CHACHA20_POLY1305_SHA256", NULL, "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC", "SHA1" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC", "SHA1" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1" },
	{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM", "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM", "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM", "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD" },
};

static const struct { const char *go_name, *group; } curves[] = {
	{ "CurveP256", "GROUP-SECP256R1" },
	{ "CurveP384", "GROUP-SECP384R1" },
	{ "CurveP521", "GROUP-SECP521R1" },
	{ "X25519", "GROUP-X25519" },
};

static const char *const versions[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
static const char *const gnutls_versions[] = { "VERS-TLS1.0", "VERS-TLS1.1", "VERS-TLS1.2",
					       "VERS-TLS1.3" };

static const char *const auth_names[] = {
	[CLIENT_AUTH_NONE] = "NoClientCert",
	[CLIENT_AUTH_REQUEST] = "RequestClientCert",
	[CLIENT_AUTH_REQUIRE_ANY] = "RequireAnyClientCert",
	[CLIENT_AUTH_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
	[CLIENT_AUTH_REQUIRE_VERIFY] = "RequireAndVerifyClientCert",
};

/* Adds ":+part" to a colon list unless it is there already. */
static void add_part(struct strbuf *sb, const char *part)
{
	char item[64];
	size_t n;

	snprintf(item, sizeof(item), ":+%s", part);
	n = strlen(item);
	for (const char *p = sb->data; p && (p = strstr(p, item)); p += n)
		if (p[n] == ':' || p[n] == '\0')
			return;
	strbuf_puts(sb, item);
}

static int version_of(struct loader *l, const char *where, yaml_node_t *n, int *out)
{
	const char *s;

	if (want_string(l, where, n, &s))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++)
		if (!strcmp(s, versions[i])) {
			*out = (int)i;
			return 0;
		}
	return failf(l, "%s: unknown TLS version \"%s\" (want TLS10, TLS11, TLS12 or TLS13)",
		     where, s);
}

static int cipher_list(struct loader *l, yaml_node_t *n)
{
	const char *where = "tls_server_config.cipher_suites";

	if (n->type != YAML_SEQUENCE_NODE)
		return failf(l, "%s: want a list of cipher suite names", where);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const char *s = scalar(yaml_document_get_node(l->doc, *it));
		const struct suite *found = NULL;

		for (size_t i = 0; s && i < ARRAY_SIZE(suites); i++)
			if (!strcmp(s, suites[i].go_name))
				found = &suites[i];
		if (!found)
			return failf(l, "%s: unknown cipher \"%s\" (see Go's tls.CipherSuites())",
				     where, s ? s : "(not a string)");
		if (found->kx)
			add_part(&l->kx, found->kx);
		add_part(&l->ciphers, found->cipher);
		add_part(&l->macs, found->mac);
		l->n_suites++;
	}
	return 0;
}

static int curve_list(struct loader *l, yaml_node_t *n)
{
	const char *where = "tls_server_config.curve_preferences";

	if (n->type != YAML_SEQUENCE_NODE)
		return failf(l, "%s: want a list of curve names", where);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const char *s = scalar(yaml_document_get_node(l->doc, *it));
		const char *group = NULL;

		for (size_t i = 0; s && i < ARRAY_SIZE(curves); i++)
			if (!strcmp(s, curves[i].go_name))
				group = curves[i].group;
		if (!group)
			return failf(l, "%s: unknown curve \"%s\" (want CurveP256, CurveP384, CurveP521 or X25519)",
				     where, s ? s : "(not a string)");
		add_part(&l->groups, group);
		l->n_curves++;
	}
	return 0;
}

static int sans_list(struct loader *l, struct web_config *c, yaml_node_t *n)
{
	const char *where = "tls_server_config.client_allowed_sans";
	size_t count;

	if (n->type != YAML_SEQUENCE_NODE)
		return failf(l, "%s: want a list of names", where);
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	c->allowed_sans = calloc(count + 1, sizeof(char *));
	if (!c->allowed_sans)
		return failf(l, "out of memory");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const char *s = scalar(yaml_document_get_node(l->doc, *it));

		if (!s || !*s)
			return failf(l, "%s: want a list of names", where);
		if (!(c->allowed_sans[c->n_allowed_sans++] = strdup(s)))
			return failf(l, "out of memory");
	}
	return 0;
}

static int dup_to(struct loader *l, const char *where, yaml_node_t *n, char **out, int path)
{
	const char *s;

	if (want_string(l, where, n, &s))
		return -1;
	free(*out);
	*out = path && *s ? resolve(l, s) : strdup(s);
	return *out ? 0 : failf(l, "out of memory");
}

static int tls_key(struct loader *l, const char *key, yaml_node_t *v, void *cls)
{
	struct web_config *c = cls;
	char where[96];

	snprintf(where, sizeof(where), "tls_server_config.%s", key);
	if (is_null(v))
		return 0;
	if (!strcmp(key, "cert_file"))
		return dup_to(l, where, v, &l->cert_file, 1);
	if (!strcmp(key, "key_file"))
		return dup_to(l, where, v, &l->key_file, 1);
	if (!strcmp(key, "client_ca_file"))
		return dup_to(l, where, v, &l->ca_file, 1);
	if (!strcmp(key, "cert"))
		return dup_to(l, where, v, &l->cert, 0);
	if (!strcmp(key, "key"))
		return dup_to(l, where, v, &l->key, 0);
	if (!strcmp(key, "client_ca"))
		return dup_to(l, where, v, &l->ca, 0);
	if (!strcmp(key, "min_version"))
		return version_of(l, where, v, &l->min_v);
	if (!strcmp(key, "max_version"))
		return version_of(l, where, v, &l->max_v);
	if (!strcmp(key, "prefer_server_cipher_suites"))
		return want_bool(l, where, v, &l->prefer_server);
	if (!strcmp(key, "cipher_suites"))
		return cipher_list(l, v);
	if (!strcmp(key, "curve_preferences"))
		return curve_list(l, v);
	if (!strcmp(key, "client_allowed_sans"))
		return sans_list(l, c, v);
	if (!strcmp(key, "client_auth_type")) {
		const char *s;

		if (want_string(l, where, v, &s))
			return -1;
		l->has_client_auth = *s != '\0';
		if (!*s || !strcmp(s, "NoClientCert"))
			c->client_auth = CLIENT_AUTH_NONE;
		else if (!strcmp(s, "RequestClientCert"))
			c->client_auth = CLIENT_AUTH_REQUEST;
		else if (!strcmp(s, "RequireAnyClientCert") || !strcmp(s, "RequireClientCert"))
			c->client_auth = CLIENT_AUTH_REQUIRE_ANY;
		else if (!strcmp(s, "VerifyClientCertIfGiven"))
			c->client_auth = CLIENT_AUTH_VERIFY_IF_GIVEN;
		else if (!strcmp(s, "RequireAndVerifyClientCert"))
			c->client_auth = CLIENT_AUTH_REQUIRE_VERIFY;
		else
			return failf(l, "%s: invalid ClientAuth \"%s\" (want NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)",
				     where, s);
		return 0;
	}
	return failf(l, "%s: unknown key", where);
}

static int read_file(struct loader *l, const char *what, const char *path, gnutls_datum_t *out)
{
	int rc = gnutls_load_file(path, out);

	if (rc < 0)
		return failf(l, "tls_server_config.%s \"%s\": %s", what, path,
			     access(path, R_OK) ? strerror(errno) : gnutls_strerror(rc));
	return 0;
}

static int watch(struct loader *l, struct web_config *c, const char *path)
{
	if (c->n_watched < WEB_MAX_WATCHED && !(c->watched[c->n_watched++] = strdup(path)))
		return failf(l, "out of memory");
	return 0;
}

/* Certificate and key, from files or inline. */
static int load_keypair(struct loader *l, struct web_config *c)
{
	gnutls_datum_t cert = { 0 }, key = { 0 };
	int rc = -1, g;

	if ((!l->cert_file || !*l->cert_file) && (!l->cert || !*l->cert))
		return failf(l, "tls_server_config: missing one of cert or cert_file");
	if ((!l->key_file || !*l->key_file) && (!l->key || !*l->key))
		return failf(l, "tls_server_config: missing one of key or key_file");
	if (l->cert_file && *l->cert_file && l->cert && *l->cert)
		return failf(l, "tls_server_config: cert and cert_file exclude each other");
	if (l->key_file && *l->key_file && l->key && *l->key)
		return failf(l, "tls_server_config: key and key_file exclude each other");
	if (l->cert_file && *l->cert_file) {
		if (read_file(l, "cert_file", l->cert_file, &cert) || watch(l, c, l->cert_file))
			goto out;
	} else {
		cert.data = (unsigned char *)gnutls_strdup(l->cert);
		cert.size = (unsigned int)strlen(l->cert);
	}
	if (l->key_file && *l->key_file) {
		if (read_file(l, "key_file", l->key_file, &key) || watch(l, c, l->key_file))
			goto out;
	} else {
		key.data = (unsigned char *)gnutls_strdup(l->key);
		key.size = (unsigned int)strlen(l->key);
	}
	g = gnutls_certificate_set_x509_key_mem2(c->cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0) {
		failf(l, "tls_server_config: cannot use the certificate and key: %s", gnutls_strerror(g));
		goto out;
	}
	rc = 0;
out:
	gnutls_free(cert.data);
	if (key.data)
		gnutls_memset(key.data, 0, key.size);
	gnutls_free(key.data);
	return rc;
}

static int load_client_ca(struct loader *l, struct web_config *c)
{
	int n;

	if (!(l->ca_file && *l->ca_file) && !(l->ca && *l->ca)) {
		if (c->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN ||
		    c->client_auth == CLIENT_AUTH_REQUIRE_VERIFY)
			return failf(l, "tls_server_config.client_auth_type: %s needs client_ca_file",
				     auth_names[c->client_auth]);
		return 0;
	}
	if (!l->has_client_auth || c->client_auth == CLIENT_AUTH_NONE)
		return failf(l, "tls_server_config: client CA's have been configured without a Client Auth Policy");
	if (l->ca_file && *l->ca_file) {
		if (access(l->ca_file, R_OK))
			return failf(l, "tls_server_config.client_ca_file \"%s\": %s", l->ca_file,
				     strerror(errno));
		n = gnutls_certificate_set_x509_trust_file(c->cred, l->ca_file, GNUTLS_X509_FMT_PEM);
		if (watch(l, c, l->ca_file))
			return -1;
	} else {
		gnutls_datum_t d = { (unsigned char *)l->ca, (unsigned int)strlen(l->ca) };

		n = gnutls_certificate_set_x509_trust_mem(c->cred, &d, GNUTLS_X509_FMT_PEM);
	}
	if (n <= 0)
		return failf(l, "tls_server_config.client_ca%s: no usable certificate%s%s",
			     l->ca_file ? "_file" : "", n < 0 ? ": " : "", n < 0 ? gnutls_strerror(n) : "");
	return 0;
}

static int verify_during_handshake(gnutls_session_t s)
{
	struct web_config *c = gnutls_db_get_ptr(s);
	const char *why;

	if (c && web_config_check_peer(c, s, &why)) {
		pr_debug("TLS client refused: %s\n", why);
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	return 0;
}

static int build_priority(struct loader *l, struct web_config *c)
{
	struct strbuf p = { 0 };
	const char *errpos = NULL;
	int rc;

	if (l->min_v > l->max_v)
		return failf(l, "tls_server_config: min_version %s is above max_version %s",
			     versions[l->min_v], versions[l->max_v]);
	if (l->n_suites)
		strbuf_puts(&p, "NONE:+COMP-NULL:+SIGN-ALL:+CTYPE-X509");
	else
		strbuf_puts(&p, "NORMAL:-VERS-ALL");
	for (int v = l->min_v; v <= l->max_v; v++)
		strbuf_printf(&p, ":+%s", gnutls_versions[v]);
	if (l->n_suites) {
		/* TLS 1.3 suites are not configurable in Go either. */
		if (l->max_v == 3) {
			add_part(&l->ciphers, "AES-128-GCM");
			add_part(&l->ciphers, "AES-256-GCM");
			add_part(&l->ciphers, "CHACHA20-POLY1305");
			add_part(&l->macs, "AEAD");
		}
		strbuf_printf(&p, "%s%s%s", l->kx.data ? l->kx.data : "", l->ciphers.data,
			      l->macs.data);
		if (!l->n_curves)
			strbuf_puts(&p, ":+GROUP-ALL");
	}
	if (l->n_curves)
		strbuf_printf(&p, "%s%s", l->n_suites ? "" : ":-GROUP-ALL", l->groups.data);
	if (l->prefer_server)
		strbuf_puts(&p, ":%SERVER_PRECEDENCE");
	if (p.oom) {
		strbuf_free(&p);
		return failf(l, "out of memory");
	}
	rc = gnutls_priority_init(&c->prio, p.data, &errpos);
	if (rc < 0)
		failf(l, "tls_server_config: GnuTLS refuses the priority \"%s\" at \"%s\": %s",
		      p.data, errpos ? errpos : "?", gnutls_strerror(rc));
	strbuf_free(&p);
	return rc < 0 ? -1 : 0;
}

static int finish_tls(struct loader *l, struct web_config *c)
{
	int rc;

	c->tls = 1;
	rc = gnutls_certificate_allocate_credentials(&c->cred);
	if (rc < 0)
		return failf(l, "tls_server_config: %s", gnutls_strerror(rc));
	if (load_keypair(l, c) || load_client_ca(l, c) || build_priority(l, c))
		return -1;
	if (c->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN ||
	    c->client_auth == CLIENT_AUTH_REQUIRE_VERIFY || c->allowed_sans)
		gnutls_certificate_set_verify_function(c->cred, verify_during_handshake);
	return 0;
}

/* ---- http_server_config, basic_auth_users ------------------------------- */

static const struct { const char *name; const char *const values[3]; } header_rules[] = {
	{ "Strict-Transport-Security", { NULL } },
	{ "X-Content-Type-Options", { "nosniff", NULL } },
	{ "X-Frame-Options", { "deny", "sameorigin", NULL } },
	{ "X-XSS-Protection", { NULL } },
	{ "Content-Security-Policy", { NULL } },
};

static int header_key(struct loader *l, const char *key, yaml_node_t *v, void *cls)
{
	struct web_config *c = cls;
	const char *s;
	char where[96];

	snprintf(where, sizeof(where), "http_server_config.headers.%s", key);
	for (size_t i = 0; i < ARRAY_SIZE(header_rules); i++) {
		if (strcmp(key, header_rules[i].name))
			continue;
		if (is_null(v))
			return 0;
		if (want_string(l, where, v, &s))
			return -1;
		if (!*s)
			return 0;	/* blank: unset */
		if (header_rules[i].values[0]) {
			int ok = 0;

			for (int k = 0; header_rules[i].values[k]; k++)
				ok |= !strcasecmp(s, header_rules[i].values[k]);
			if (!ok)
				return failf(l, "%s: invalid value \"%s\" (want %s%s%s)", where, s,
					     header_rules[i].values[0],
					     header_rules[i].values[1] ? " or " : "",
					     header_rules[i].values[1] ? header_rules[i].values[1] : "");
		}
		if (strpbrk(s, "\r\n"))
			return failf(l, "%s: the value has a line break", where);
		c->headers[c->n_headers].name = header_rules[i].name;
		if (!(c->headers[c->n_headers++].value = strdup(s)))
			return failf(l, "out of memory");
		return 0;
	}
	return failf(l, "http_server_config.headers: HTTP header \"%s\" can not be configured", key);
}

static int http_key(struct loader *l, const char *key, yaml_node_t *v, void *cls)
{
	int b;

	if (is_null(v))
		return 0;
	if (!strcmp(key, "http2"))	/* accepted: we serve HTTP/1.1 only anyway */
		return want_bool(l, "http_server_config.http2", v, &b);
	if (!strcmp(key, "headers"))
		return each_pair(l, "http_server_config.headers", v, header_key, cls);
	return failf(l, "http_server_config.%s: unknown key", key);
}

static int is_bcrypt(const char *h)
{
	return strlen(h) == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) &&
	       h[3] == '$' && h[4] >= '0' && h[4] <= '3' && h[5] >= '0' && h[5] <= '9' &&
	       h[6] == '$' && crypt_checksalt(h) == CRYPT_SALT_OK;
}

static int user_key(struct loader *l, const char *key, yaml_node_t *v, void *cls)
{
	struct web_config *c = cls;
	const char *s = scalar(v);
	struct web_user *u;

	if (!*key)
		return failf(l, "basic_auth_users: a user name is empty");
	if (strchr(key, ':'))
		return failf(l, "basic_auth_users.%s: a user name cannot contain \":\"", key);
	if (!s || !is_bcrypt(s))
		return failf(l, "basic_auth_users.%s: the password is not a bcrypt hash ($2y$..., 60 characters)",
			     key);
	u = realloc(c->users, (size_t)(c->n_users + 1) * sizeof(*u));
	if (!u)
		return failf(l, "out of memory");
	c->users = u;
	u[c->n_users].name = strdup(key);
	u[c->n_users].hash = strdup(s);
	if (!u[c->n_users].name || !u[c->n_users].hash)
		return failf(l, "out of memory");
	c->n_users++;
	return 0;
}

static int top_key(struct loader *l, const char *key, yaml_node_t *v, void *cls)
{
	if (is_null(v))
		return 0;
	if (!strcmp(key, "tls_server_config")) {
		l->has_tls_section = 1;
		return each_pair(l, "tls_server_config", v, tls_key, cls);
	}
	if (!strcmp(key, "http_server_config"))
		return each_pair(l, "http_server_config", v, http_key, cls);
	if (!strcmp(key, "basic_auth_users"))
		return each_pair(l, "basic_auth_users", v, user_key, cls);
	if (!strcmp(key, "rate_limit"))
		return failf(l, "rate_limit: not supported by tcflow_exporter (see --web.max-requests)");
	return failf(l, "%s: unknown key", key);
}

/* ---- loading ------------------------------------------------------------- */

static int parse_document(struct loader *l, struct web_config *c, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return failf(l, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = failf(l, "YAML error at line %zu: %s", parser.problem_mark.line + 1,
			   parser.problem ? parser.problem : "unreadable");
		yaml_parser_delete(&parser);
		return rc;
	}
	l->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root)) {
		if (root->type != YAML_MAPPING_NODE)
			rc = failf(l, "YAML error: the file is not a mapping of keys to values");
		else
			rc = each_pair(l, "", root, top_key, c);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	l->doc = NULL;
	return rc;
}

static int tls_wanted(const struct loader *l, const struct web_config *c)
{
	return (l->cert_file && *l->cert_file) || (l->key_file && *l->key_file) ||
	       (l->cert && *l->cert) || (l->key && *l->key) || (l->ca_file && *l->ca_file) ||
	       (l->ca && *l->ca) || l->has_client_auth;
}

static void loader_free(struct loader *l)
{
	free(l->dir);
	free(l->cert_file);
	free(l->key_file);
	free(l->ca_file);
	free(l->cert);
	if (l->key)
		memset(l->key, 0, strlen(l->key));
	free(l->key);
	free(l->ca);
	strbuf_free(&l->kx);
	strbuf_free(&l->ciphers);
	strbuf_free(&l->macs);
	strbuf_free(&l->groups);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	struct strbuf sb = { 0 };
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < (1 << 20))
		strbuf_append(&sb, buf, n);
	if (ferror(f) || sb.oom || sb.len >= (1 << 20)) {
		if (!ferror(f))
			errno = sb.oom ? ENOMEM : EFBIG;
		fclose(f);
		strbuf_free(&sb);
		return NULL;
	}
	fclose(f);
	*len = sb.len;
	if (!sb.data)
		return strdup("");
	return sb.data;
}

struct web_config *web_config_load(const char *path, char *err, size_t errlen)
{
	struct loader l = { .path = path, .err = err, .errlen = errlen, .min_v = 2, .max_v = 3,
			    .prefer_server = 1 };
	struct web_config *c = calloc(1, sizeof(*c));
	char *copy = strdup(path), *text = NULL;
	size_t len = 0;

	err[0] = '\0';
	if (!c || !copy) {
		failf(&l, "out of memory");
		goto fail;
	}
	c->refs = 1;
	pthread_mutex_init(&c->cache_lock, NULL);
	l.dir = strdup(dirname(copy));
	if (!l.dir || watch(&l, c, path))
		goto fail;
	text = slurp(path, &len);
	if (!text) {
		failf(&l, "%s", strerror(errno));
		goto fail;
	}
	if (parse_document(&l, c, text, len))
		goto fail;
	if (tls_wanted(&l, c)) {
		if (finish_tls(&l, c))
			goto fail;
	} else if (l.n_suites || l.n_curves || c->allowed_sans) {
		failf(&l, "tls_server_config: TLS settings without cert_file and key_file");
		goto fail;
	}
	free(text);
	free(copy);
	loader_free(&l);
	return c;
fail:
	if (!l.failed)
		failf(&l, "out of memory");
	free(text);
	free(copy);
	loader_free(&l);
	if (c)
		web_config_unref(c);
	return NULL;
}

static void web_config_ref(struct web_config *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

void web_config_unref(struct web_config *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	if (c->prio)
		gnutls_priority_deinit(c->prio);
	for (int i = 0; i < c->n_allowed_sans; i++)
		free(c->allowed_sans[i]);
	free(c->allowed_sans);
	for (int i = 0; i < c->n_users; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	for (int i = 0; i < c->n_headers; i++)
		free(c->headers[i].value);
	for (int i = 0; i < c->n_watched; i++)
		free(c->watched[i]);
	pthread_mutex_destroy(&c->cache_lock);
	free(c);
}

/* ---- basic auth ------------------------------------------------------------ */

static int same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int bcrypt_matches(const char *pass, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	int ok;

	if (!cd)
		return 0;
	out = crypt_r(pass, hash, cd);
	ok = out && out[0] != '*' && same(out, hash);
	free(cd);
	return ok;
}

int web_config_check_user(struct web_config *c, const char *user, const char *pass)
{
	const struct web_user *u = NULL;
	unsigned char key[32];
	struct strbuf sb = { 0 };
	int ok = 0;

	for (int i = 0; i < c->n_users; i++)
		if (same(c->users[i].name, user))
			u = &c->users[i];
	/* The cache key binds user, password and hash: a changed hash misses. */
	strbuf_append(&sb, user, strlen(user) + 1);
	strbuf_append(&sb, pass, strlen(pass) + 1);
	strbuf_puts(&sb, u ? u->hash : "");
	if (sb.oom || gnutls_hash_fast(GNUTLS_DIG_SHA256, sb.data, sb.len, key) < 0) {
		strbuf_free(&sb);
		return 0;
	}
	memset(sb.data, 0, sb.len);
	strbuf_free(&sb);
	pthread_mutex_lock(&c->cache_lock);
	for (int i = 0; u && i < WEB_AUTH_CACHE && !ok; i++)
		ok = !memcmp(c->cache[i], key, sizeof(key));
	pthread_mutex_unlock(&c->cache_lock);
	if (ok)
		return 1;
	/* An unknown user costs a bcrypt too: no timing tells names apart. */
	ok = bcrypt_matches(pass, u ? u->hash : c->users[0].hash) && u;
	if (ok) {
		pthread_mutex_lock(&c->cache_lock);
		memcpy(c->cache[c->cache_next], key, sizeof(key));
		c->cache_next = (c->cache_next + 1) % WEB_AUTH_CACHE;
		pthread_mutex_unlock(&c->cache_lock);
	}
	return ok;
}

/* ---- TLS sessions ---------------------------------------------------------- */

int web_config_setup_session(struct web_config *c, gnutls_session_t s)
{
	gnutls_certificate_request_t req = GNUTLS_CERT_IGNORE;

	if (gnutls_priority_set(s, c->prio) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred) < 0)
		return -1;
	switch (c->client_auth) {
	case CLIENT_AUTH_NONE:
		req = c->allowed_sans ? GNUTLS_CERT_REQUEST : GNUTLS_CERT_IGNORE;
		break;
	case CLIENT_AUTH_REQUEST:
	case CLIENT_AUTH_VERIFY_IF_GIVEN:
		req = GNUTLS_CERT_REQUEST;
		break;
	case CLIENT_AUTH_REQUIRE_ANY:
	case CLIENT_AUTH_REQUIRE_VERIFY:
		req = GNUTLS_CERT_REQUIRE;
		break;
	}
	gnutls_certificate_server_set_request(s, req);
	/* libmicrohttpd keeps the session pointer; the (unused) session
	 * database pointer carries the configuration to the verify callback. */
	gnutls_db_set_ptr(s, c);
	return 0;
}

static int san_allowed(struct web_config *c, const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	int ok = 0;

	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return 0;
	}
	for (unsigned int i = 0; !ok; i++) {
		char buf[512], text[INET6_ADDRSTRLEN];
		size_t size = sizeof(buf) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, NULL);
		const char *name = buf;

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type < 0)
			continue;
		buf[size] = '\0';
		if (type == GNUTLS_SAN_IPADDRESS)
			name = inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text, sizeof(text));
		else if (type != GNUTLS_SAN_DNSNAME && type != GNUTLS_SAN_RFC822NAME &&
			 type != GNUTLS_SAN_URI)
			continue;
		for (int k = 0; name && k < c->n_allowed_sans && !ok; k++)
			ok = !strcmp(name, c->allowed_sans[k]);
	}
	gnutls_x509_crt_deinit(crt);
	return ok;
}

int web_config_check_peer(struct web_config *c, gnutls_session_t s, const char **why)
{
	unsigned int n = 0, status = 0;
	const gnutls_datum_t *certs;
	int verify = c->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN ||
		     c->client_auth == CLIENT_AUTH_REQUIRE_VERIFY;

	if (!c->tls)
		return 0;
	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || !n) {
		if (c->client_auth == CLIENT_AUTH_REQUIRE_ANY ||
		    c->client_auth == CLIENT_AUTH_REQUIRE_VERIFY || c->allowed_sans) {
			*why = "no client certificate";
			return -1;
		}
		return 0;
	}
	if (verify && (gnutls_certificate_verify_peers2(s, &status) < 0 || status)) {
		*why = "the client certificate is not signed by client_ca_file, or has expired";
		return -1;
	}
	if (c->allowed_sans && !san_allowed(c, &certs[0])) {
		*why = "the client certificate has no SAN in client_allowed_sans";
		return -1;
	}
	return 0;
}

/* ---- watching the files ---------------------------------------------------- */

static void sign(const char *path, struct file_sig *sig)
{
	struct stat st;

	memset(sig, 0, sizeof(*sig));
	if (stat(path, &st)) {
		sig->missing = 1;
		return;
	}
	sig->dev = st.st_dev;
	sig->ino = st.st_ino;
	sig->size = st.st_size;
	sig->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	sig->ctime_ns = (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
}

static void sign_all(struct web_config *c, struct file_sig *sigs)
{
	memset(sigs, 0, sizeof(*sigs) * WEB_MAX_WATCHED);
	for (int i = 0; i < c->n_watched; i++)
		sign(c->watched[i], &sigs[i]);
}

static int same_files(const struct web_config *a, const struct web_config *b)
{
	if (a->n_watched != b->n_watched)
		return 0;
	for (int i = 0; i < a->n_watched; i++)
		if (strcmp(a->watched[i], b->watched[i]))
			return 0;
	return 1;
}

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Checks the files once now (the thread does this every second). */
static void web_watch_poll(struct web_watch *w)
{
	struct file_sig now[WEB_MAX_WATCHED];
	struct web_config *c, *old;
	char err[512];

	pthread_mutex_lock(&w->lock);
	c = w->cur;
	web_config_ref(c);
	pthread_mutex_unlock(&w->lock);
	sign_all(c, now);
	if (!memcmp(now, w->sigs, sizeof(now))) {
		web_config_unref(c);
		return;
	}
	memcpy(w->sigs, now, sizeof(now));	/* a broken file is reported once */
	old = c;
	c = web_config_load(w->path, err, sizeof(err));
	if (c && c->tls != old->tls) {
		snprintf(err, sizeof(err), "switching TLS on or off needs a restart");
		web_config_unref(c);
		c = NULL;
	}
	web_config_unref(old);
	pthread_mutex_lock(&w->lock);
	if (c) {
		old = w->cur;
		/* The signatures taken before reading: a change made while the
		 * file was read is seen at the next poll. The new file may name
		 * other files, though. */
		if (!same_files(old, c))
			sign_all(c, w->sigs);
		w->cur = c;
		w->last_ok = 1;
		w->last_ok_time = unix_now();
	} else {
		old = NULL;
		w->last_ok = 0;
		w->reloads_failed++;
	}
	pthread_mutex_unlock(&w->lock);
	if (c)
		pr_info("reloaded --web.config.file \"%s\"\n", w->path);
	else
		pr_err("reloading --web.config.file \"%s\" failed, keeping the last good one: %s\n",
		       w->path, err);
	web_config_unref(old);
}

static void *watch_thread(void *arg)
{
	struct web_watch *w = arg;
	struct timespec ts;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&w->wake, &w->lock, &ts);
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->lock);
		web_watch_poll(w);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int web_watch_start(struct web_watch *w, const char *path, struct web_config *cfg)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	w->path = path;
	w->cur = cfg;
	w->last_ok = 1;
	w->last_ok_time = unix_now();
	sign_all(cfg, w->sigs);
	if (pthread_create(&w->thread, NULL, watch_thread, w)) {
		pr_err("starting the --web.config.file watcher failed\n");
		return -1;
	}
	w->running = 1;
	return 0;
}

void web_watch_stop(struct web_watch *w)
{
	if (!w->path)
		return;
	if (w->running) {
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_cond_broadcast(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		w->running = 0;
	}
	web_config_unref(w->cur);
	w->cur = NULL;
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	w->path = NULL;
}

struct web_config *web_watch_get(struct web_watch *w)
{
	struct web_config *c;

	pthread_mutex_lock(&w->lock);
	c = w->cur;
	web_config_ref(c);
	pthread_mutex_unlock(&w->lock);
	return c;
}

void web_watch_render(struct web_watch *w, struct expo *e)
{
	int ok;
	double when;

	pthread_mutex_lock(&w->lock);
	ok = w->last_ok;
	when = w->last_ok_time;
	pthread_mutex_unlock(&w->lock);
	expo_family(e, "tcflow_web_config_last_reload_successful", EXPO_GAUGE,
		    "Whether the last reading of --web.config.file succeeded (0: the last good one is still in force).");
	expo_gauge(e, NULL, 0, ok);
	expo_family(e, "tcflow_web_config_last_reload_success_timestamp_seconds", EXPO_GAUGE,
		    "When --web.config.file was last read successfully, in Unix seconds.");
	expo_gauge(e, NULL, 0, when);
}
