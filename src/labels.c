// SPDX-License-Identifier: BSD-2-Clause
#include "labels.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"

char *label_escape_at(char *p, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': *p++ = '\\'; *p++ = '\\'; break;
		case '"': *p++ = '\\'; *p++ = '"'; break;
		case '\n': *p++ = '\\'; *p++ = 'n'; break;
		default: *p++ = *s;
		}
	}
	return p;
}

void label_escape(struct strbuf *sb, const char *s)
{
	char *end;

	if (strbuf_reserve(sb, 2 * strlen(s)))
		return;
	end = label_escape_at(sb->data + sb->len, s);
	*end = '\0';
	sb->len = (size_t)(end - sb->data);
}

void help_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': strbuf_append(sb, "\\\\", 2); break;
		case '\n': strbuf_append(sb, "\\n", 2); break;
		default: strbuf_putc(sb, *s);
		}
	}
}

/* The protocols labels name; any other shows as its number. */
static const struct {
	unsigned int number;
	const char *name;
} protocols[] = {
	{ 1, "icmp" }, { 6, "tcp" }, { 17, "udp" }, { 33, "dccp" }, { 47, "gre" },
	{ 50, "esp" }, { 51, "ah" }, { 58, "icmpv6" }, { 132, "sctp" }, { 136, "udplite" },
};

const char *proto_name(unsigned int protocol, char out[PROTO_NAME_MAX])
{
	for (size_t i = 0; i < ARRAY_SIZE(protocols); i++)
		if (protocols[i].number == protocol)
			return protocols[i].name;
	snprintf(out, PROTO_NAME_MAX, "%u", protocol & 0xff);
	return out;
}

int proto_number(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(protocols); i++)
		if (strcmp(protocols[i].name, name) == 0)
			return (int)protocols[i].number;
	return -1;
}

const char *direction_name(unsigned int direction)
{
	return direction == TCFLOW_DIR_EGRESS ? "egress" : "ingress";
}

const char *family_name(unsigned int family)
{
	switch (family) {
	case TCFLOW_FAM_IPV4: return "ipv4";
	case TCFLOW_FAM_IPV6: return "ipv6";
	default: return "other";
	}
}

const char *addr_text(unsigned int family, const __u8 addr[16], char *out, size_t len)
{
	int af = family == TCFLOW_FAM_IPV6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, addr, out, (socklen_t)len))
		snprintf(out, len, "invalid");
	return out;
}
