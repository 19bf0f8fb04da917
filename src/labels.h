/* SPDX-License-Identifier: BSD-2-Clause */
/* How flow keys become label values: the "In the labels" rules of doc/flow-key.md. */
#ifndef TCFLOW_LABELS_H
#define TCFLOW_LABELS_H

#include <stddef.h>
#include "strbuf.h"
#include "tcflow.h"

#define PROTO_NAME_MAX 8	/* "udplite" or up to 3 digits, plus NUL */

/* Appends s as a label value: backslash, double quote and newline escaped. */
void label_escape(struct strbuf *sb, const char *s);
/* Writes s escaped as label_escape() does at p, which has room for twice
 * its length; returns the end. For callers that reserve a whole line. */
char *label_escape_at(char *p, const char *s);
/* Appends s as HELP text: backslash and newline escaped. */
void help_escape(struct strbuf *sb, const char *s);

/* "tcp", "udp", ... or the number in decimal. Returns out. */
const char *proto_name(unsigned int protocol, char out[PROTO_NAME_MAX]);
/* The number of a protocol proto_name names, or -1. */
int proto_number(const char *name);
const char *direction_name(unsigned int direction);
const char *family_name(unsigned int family);
/* Dotted quad or RFC 5952 text of a key address; out needs 46 bytes. */
const char *addr_text(unsigned int family, const __u8 addr[16], char *out, size_t len);

#endif
