#include "labels.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void label_escape(struct strbuf *sb, const char *s)
{
	size_t plain = strcspn(s, "\\\"\n");

	/* Nearly every value needs no escaping: copy it in one go. */
	if (!s[plain]) {
		strbuf_append(sb, s, plain);
		return;
	}
	for (; *s; s++) {
		switch (*s) {
		case '\\': strbuf_append(sb, "\\\\", 2); break;
		case '"': strbuf_append(sb, "\\\"", 2); break;
		case '\n': strbuf_append(sb, "\\n", 2); break;
		default: strbuf_putc(sb, *s);
		}
	}
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

const char *proto_name(unsigned int protocol, char out[PROTO_NAME_MAX])
{
	switch (protocol) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 33: return "dccp";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmpv6";
	case 132: return "sctp";
	case 136: return "udplite";
	}
	snprintf(out, PROTO_NAME_MAX, "%u", protocol & 0xff);
	return out;
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
