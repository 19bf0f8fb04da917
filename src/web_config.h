/* SPDX-License-Identifier: BSD-2-Clause */
/* --web.config.file: the Prometheus exporter-toolkit web configuration
 * (TLS, client certificates, basic auth, extra headers), read with libyaml
 * into an immutable, refcounted struct web_config, and a watcher that
 * reads the file again when it or a file it names changes. */
#ifndef TCFLOW_WEB_CONFIG_H
#define TCFLOW_WEB_CONFIG_H

#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "expo.h"
#include "strbuf.h"

enum client_auth {
	CLIENT_AUTH_NONE,		/* NoClientCert */
	CLIENT_AUTH_REQUEST,		/* RequestClientCert */
	CLIENT_AUTH_REQUIRE_ANY,	/* RequireAnyClientCert */
	CLIENT_AUTH_VERIFY_IF_GIVEN,	/* VerifyClientCertIfGiven */
	CLIENT_AUTH_REQUIRE_VERIFY,	/* RequireAndVerifyClientCert */
};

#define WEB_MAX_HEADERS 5
#define WEB_MAX_WATCHED 4	/* the file itself, cert, key, client CA */
#define WEB_AUTH_CACHE 32

struct web_user {
	char *name;
	char *hash;	/* bcrypt: $2a$, $2b$ or $2y$ */
};

struct web_header {
	const char *name;
	char *value;
};

struct web_config {
	int refs;			/* atomic */
	int tls;			/* tls_server_config is there */
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	enum client_auth client_auth;
	char **allowed_sans;		/* NULL: any */
	int n_allowed_sans;
	struct web_user *users;
	int n_users;			/* 0: no basic auth */
	struct web_header headers[WEB_MAX_HEADERS];
	int n_headers;
	char *watched[WEB_MAX_WATCHED];	/* files whose change means a reload */
	int n_watched;
	/* Passwords already checked: a bcrypt per request would cost ~70 ms. */
	pthread_mutex_t cache_lock;
	unsigned char cache[WEB_AUTH_CACHE][32];
	int cache_next;
};

/* Reads and checks the file. NULL with err holding one line naming the
 * key and what is wrong. */
struct web_config *web_config_load(const char *path, char *err, size_t errlen);
void web_config_unref(struct web_config *c);
/* Whether user and password match a basic_auth_users entry. */
int web_config_check_user(struct web_config *c, const char *user, const char *pass);
/* Applies the TLS settings to a new server session (before its handshake). */
int web_config_setup_session(struct web_config *c, gnutls_session_t s);
/* After the handshake: whether the client's certificate satisfies
 * client_auth_type, client_ca_file and client_allowed_sans. A reason on
 * failure. */
int web_config_check_peer(struct web_config *c, gnutls_session_t s, const char **why);

struct file_sig {
	dev_t dev;
	ino_t ino;
	off_t size;
	long long mtime_ns, ctime_ns;
	int missing;
};

/* The configuration in force and a thread that polls its files every
 * second: a changed file is read again, a broken one keeps the last good
 * configuration (logged, and shown by the metrics below). */
struct web_watch {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct web_config *cur;
	const char *path;
	struct file_sig sigs[WEB_MAX_WATCHED];
	int stop, running;
	pthread_t thread;
	int last_ok;
	double last_ok_time;	/* Unix seconds */
	unsigned long reloads_failed;
};

/* Starts with cfg (its reference moves to w). */
int web_watch_start(struct web_watch *w, const char *path, struct web_config *cfg);
void web_watch_stop(struct web_watch *w);
/* The configuration in force, with a reference for the caller. */
struct web_config *web_watch_get(struct web_watch *w);
/* tcflow_web_config_last_reload_successful and ..._timestamp_seconds. */
void web_watch_render(struct web_watch *w, struct expo *e);

#endif
