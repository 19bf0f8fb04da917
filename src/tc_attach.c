#include "tc_attach.h"

#include <errno.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "owner.h"

const char *const tc_dir_names[2] = { "ingress", "egress" };
static const enum bpf_tc_attach_point points[2] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
static const char *const prog_names[2] = { "tcflow_ingress", "tcflow_egress" };

int tc_link_type(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int type = -1;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		type = ifr.ifr_hwaddr.sa_family;
	close(fd);
	return type;
}

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
	if (strcmp(out->prog_name, prog_names[dir]) != 0)
		out->holder = TC_OTHER;
	else if (owner_lookup(out->prog_id, &out->owner_pid))
		out->holder = TC_LIVE;
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
