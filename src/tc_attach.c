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

#include "bpf_loader.h"
#include "ifnames.h"
#include "log.h"
#include "tcflow.h"
#include "tcflow.skel.h"

static const char *const dir_names[2] = { "ingress", "egress" };
static const enum bpf_tc_attach_point points[2] = { BPF_TC_INGRESS, BPF_TC_EGRESS };

static int link_type(const char *name)
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

/* Our programs parse Ethernet frames; an L3 device (wg0, tun0) would be
 * silently miscounted, so it is refused up front. */
static int check_interface(struct tc_hook_state *h, const char *name)
{
	int type;

	snprintf(h->name, sizeof(h->name), "%s", name);
	h->ifindex = (int)if_nametoindex(name);
	if (!h->ifindex) {
		pr_err("unknown interface \"%s\" (--interface): %s\n", name, strerror(errno));
		return -1;
	}
	type = link_type(name);
	if (type >= 0 && type != ARPHRD_ETHER && type != ARPHRD_LOOPBACK) {
		pr_err("interface \"%s\" (--interface) is not an Ethernet device (link type %d); tcflow_exporter parses Ethernet frames only\n",
		       name, type);
		return -1;
	}
	return 0;
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

/* 0 when the slot is free, 1 when a filter of ours (an earlier run killed
 * before it could detach) sits there, -1 when another tool's does. */
static int probe_slot(const struct tc_set *set, const struct tc_hook_state *h,
		      const struct bpf_tc_hook *hook, int dir)
{
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = set->handle, .priority = set->priority);
	char name[BPF_OBJ_NAME_LEN];

	if (bpf_tc_query(hook, &q))
		return 0;
	prog_name(q.prog_id, name, sizeof(name));
	if (dir == 0 ? !strcmp(name, "tcflow_ingress") || !strcmp(name, "tcflow_in_owner")
		     : !strcmp(name, "tcflow_egress"))
		return 1;
	pr_err("tc filter at priority %u handle 0x%x on %s %s belongs to another program (\"%s\", id %u); choose another --tc.priority or --tc.handle\n",
	       set->priority, set->handle, h->name, dir_names[dir], name, q.prog_id);
	return -1;
}

static int attach_one(struct tc_set *set, struct tc_hook_state *h, int dir, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = points[dir]);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = set->handle,
		    .priority = set->priority);
	int err, slot;

	/* -EEXIST: a clsact qdisc is already there (ours or a CNI's); use it. */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_err("creating the clsact qdisc on %s: %s\n", h->name, strerror(-err));
		return -1;
	}
	slot = probe_slot(set, h, &hook, dir);
	if (slot < 0)
		return -1;
	if (slot == 1) {
		pr_info("replacing the %s filter an earlier run left on %s\n", dir_names[dir], h->name);
		opts.flags = BPF_TC_F_REPLACE;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		pr_err("attaching to %s %s: %s\n", h->name, dir_names[dir], strerror(-err));
		return -1;
	}
	h->prog_id[dir] = opts.prog_id;
	return 0;
}

int tc_attach_all(struct tc_set *set, struct tcflow *skel, const struct config *cfg)
{
	int fds[2] = { bpf_program__fd(bpf_loader_ingress(skel)),
		       bpf_program__fd(skel->progs.tcflow_egress) };

	memset(set, 0, sizeof(*set));
	set->priority = cfg->tc_priority;
	set->handle = cfg->tc_handle;
	for (int i = 0; i < cfg->n_interfaces; i++) {
		struct tc_hook_state *h = &set->hooks[set->n];

		if (check_interface(h, cfg->interfaces[i]))
			goto fail;
		set->n++;
		if (bpf_loader_add_iface(skel, (uint32_t)h->ifindex, 0) ||
		    ifnames_register((uint32_t)h->ifindex, h->name)) {
			pr_err("preparing the counters of %s failed\n", h->name);
			goto fail;
		}
		for (int dir = 0; dir < 2; dir++)
			if (attach_one(set, h, dir, fds[dir]))
				goto fail;
		pr_info("attached to %s (ifindex %d) ingress and egress, priority %u handle 0x%x\n",
			h->name, h->ifindex, set->priority, set->handle);
	}
	return 0;
fail:
	tc_detach_all(set);
	return -1;
}

static void detach_one(const struct tc_set *set, struct tc_hook_state *h, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = points[dir]);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = set->handle, .priority = set->priority);
	int err;

	if (!h->prog_id[dir])
		return;
	/* Someone may have replaced our filter since: leave theirs alone. A
	 * failed netlink query proves nothing, so it is asked again. */
	for (int tries = 0; tries < 3; tries++) {
		err = bpf_tc_query(&hook, &q);
		if (!err || err == -ENOENT)
			break;
	}
	if (err || q.prog_id != h->prog_id[dir]) {
		pr_warn("the %s filter on %s is no longer ours; leaving it\n", dir_names[dir], h->name);
		h->prog_id[dir] = 0;
		return;
	}
	q.prog_id = 0;
	q.prog_fd = 0;
	q.flags = 0;
	err = bpf_tc_detach(&hook, &q);
	if (err)
		pr_warn("detaching from %s %s: %s\n", h->name, dir_names[dir], strerror(-err));
	h->prog_id[dir] = 0;
}

void tc_detach_all(struct tc_set *set)
{
	for (int i = 0; i < set->n; i++)
		for (int dir = 0; dir < 2; dir++)
			detach_one(set, &set->hooks[i], dir);
	/* The clsact qdisc stays: deleting it would remove other tools' filters. */
}
