// SPDX-License-Identifier: BSD-2-Clause
#include "tc_attach.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "owner.h"

const char *const tc_dir_names[2] = { "ingress", "egress" };
static const enum bpf_tc_attach_point points[2] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
static const char *const prog_names[2] = { "tcflow_ingress", "tcflow_egress" };

/* The name of the program whose id is given, or "" when it cannot be read. */
static void prog_name(uint32_t id, char *out, size_t len)
{
	struct bpf_prog_info info = { 0 };
	uint32_t info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	out[0] = '\0';
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0)
		snprintf(out, len, "%s", info.name);
	close(fd);
}

/* A failed netlink query proves nothing, so it is asked again. */
static int query(const struct tc_slot *slot, int ifindex, int dir, uint32_t *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = points[dir]);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = slot->handle, .priority = slot->priority);
	int err = 0;

	for (int tries = 0; tries < 3; tries++) {
		err = bpf_tc_query(&hook, &q);
		if (!err || err == -ENOENT || err == -ENODEV || err == -EINVAL)
			break;
	}
	*prog_id = err ? 0 : q.prog_id;
	/* No clsact qdisc (EINVAL) or no filter (ENOENT): the slot is free. */
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int tc_probe(const struct tc_slot *slot, int ifindex, int dir, uint32_t my_prog_id,
	     struct tc_probe *out)
{
	int err = query(slot, ifindex, dir, &out->prog_id);

	memset(out->prog_name, 0, sizeof(out->prog_name));
	out->owner_pid = 0;
	out->holder = TC_FREE;
	if (err || !out->prog_id)
		return err;
	if (out->prog_id == my_prog_id) {
		out->holder = TC_MINE;
		return 0;
	}
	prog_name(out->prog_id, out->prog_name, sizeof(out->prog_name));
	/* A live owner first: asking needs no privilege, where reading a
	 * program's name by id needs CAP_SYS_ADMIN, which the exporter drops
	 * after its start (an unreadable name is never taken for ours). */
	if (owner_lookup(out->prog_id, &out->owner_pid))
		out->holder = TC_LIVE;
	/* Ours by name: the ingress program with owners on is tcflow_in_owner. */
	else if (strcmp(out->prog_name, prog_names[dir]) != 0 &&
		 (dir != 0 || strcmp(out->prog_name, "tcflow_in_owner") != 0))
		out->holder = TC_OTHER;
	else
		out->holder = TC_STALE;
	return 0;
}

int tc_attach_dir(const struct tc_slot *slot, int ifindex, int dir, int prog_fd, int replace)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = points[dir]);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = slot->handle,
		    .priority = slot->priority, .flags = replace ? BPF_TC_F_REPLACE : 0);
	int err;

	/* -EEXIST: a clsact qdisc is already there (ours or a CNI's); use it. */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

int tc_detach_dir(const struct tc_slot *slot, int ifindex, int dir, uint32_t prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = points[dir]);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = slot->handle, .priority = slot->priority);
	uint32_t now = 0;
	int err = query(slot, ifindex, dir, &now);

	/* Someone may have replaced our filter since: leave theirs alone. */
	if (err)
		return err;
	if (now != prog_id)
		return 1;
	err = bpf_tc_detach(&hook, &q);
	return err == -ENOENT ? 1 : err;
}

int tc_attached(const struct tc_slot *slot, int ifindex, int dir, uint32_t prog_id)
{
	uint32_t now = 0;
	int err = query(slot, ifindex, dir, &now);

	return err ? err : now == prog_id;
}

/* ---- many hooks at once ---------------------------------------------------- */

#define BATCH 64	/* requests in flight: replies fit the socket's buffer */

static void put_get_filter(char *buf, const struct tc_slot *slot, uint32_t ifindex, int dir,
			   uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *t;

	nlh->nlmsg_type = RTM_GETTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = (int)ifindex;
	t->tcm_parent = TC_H_MAKE(TC_H_CLSACT, dir ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
	t->tcm_handle = slot->handle;
	t->tcm_info = TC_H_MAKE(slot->priority << 16, htons(ETH_P_ALL));
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
}

/* The TCA_BPF_ID of an RTM_NEWTFILTER reply, or 0. */
static uint32_t reply_prog_id(const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *o;

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg)) {
		if (mnl_attr_get_type(a) != TCA_OPTIONS)
			continue;
		mnl_attr_for_each_nested(o, a)
			if (mnl_attr_get_type(o) == TCA_BPF_ID &&
			    mnl_attr_validate(o, MNL_TYPE_U32) == 0)
				return mnl_attr_get_u32(o);
	}
	return 0;
}

/* Sends hooks [first, first + count) as one datagram of requests, and
 * reads one reply per request. Hook k is ifindexes[k / 2], direction k % 2. */
static int query_batch(struct mnl_socket *nl, const struct tc_slot *slot,
		       const uint32_t prog_ids[2], const uint32_t *ifindexes, size_t first,
		       size_t count, uint8_t (*out)[2], char *buf, size_t buflen)
{
	size_t len = 0, got = 0;

	for (size_t k = 0; k < count; k++) {
		size_t hook = first + k;

		put_get_filter(buf + len, slot, ifindexes[hook / 2], (int)(hook % 2), (uint32_t)hook + 1);
		len += ((struct nlmsghdr *)(buf + len))->nlmsg_len;
	}
	if (mnl_socket_sendto(nl, buf, len) < 0)
		return -1;
	while (got < count) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, buflen);
		int left = (int)n;

		if (n <= 0)
			return -1;
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			size_t hook = nlh->nlmsg_seq - 1;

			if (hook < first || hook >= first + count)
				continue;
			if (nlh->nlmsg_type == RTM_NEWTFILTER)
				out[hook / 2][hook % 2] = reply_prog_id(nlh) == prog_ids[hook % 2];
			got++;
		}
	}
	return 0;
}

int tc_attached_many(const struct tc_slot *slot, const uint32_t prog_ids[2],
		     const uint32_t *ifindexes, size_t n, uint8_t (*out)[2])
{
	/* Each request is under 64 bytes; each reply a few hundred. */
	size_t buflen = BATCH * 1024;
	char *buf = malloc(buflen);
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int rc = -1;

	memset(out, 0, n * sizeof(*out));
	if (!buf || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto done;
	rc = 0;
	for (size_t first = 0; first < 2 * n && !rc; first += BATCH) {
		size_t count = 2 * n - first < BATCH ? 2 * n - first : BATCH;

		rc = query_batch(nl, slot, prog_ids, ifindexes, first, count, out, buf, buflen);
	}
done:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return rc;
}
