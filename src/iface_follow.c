// SPDX-License-Identifier: BSD-2-Clause
#include "iface_follow.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "ifnames.h"
#include "log.h"
#include "owner.h"
#include "tc_attach.h"
#include "tcflow.h"
#include "tcflow.skel.h"

enum state {
	ST_ATTACHED,	/* both hooks hold our program (as far as we know) */
	ST_WAITING,	/* selected, not attached yet: retried every second */
	ST_SKIPPED,	/* selected by a pattern but not Ethernet: never counted */
};

struct tracked {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	enum state state;
	int counted;		/* holds entries in the totals table */
	int check;		/* a tc event: are our filters still there? */
	int ever_attached;	/* the next attach is a re-attach */
	int warned;		/* WAITING: the reason was logged */
	unsigned int seen;	/* the resync generation that last saw it */
	int64_t retry_ms;	/* WAITING: the next attempt */
};

/* A link as a dump or an event reports it. */
struct link {
	uint32_t ifindex;
	uint16_t type;		/* ARPHRD_* */
	char name[IF_NAMESIZE];
};

#define RETRY_MS 1000
#define TICK_MS 250
#define SWEEP_PER_TICK 32	/* backstop check of attached interfaces */

struct iface_follow {
	struct iface_follow_opts o;
	struct tc_slot slot;
	int prog_fd[2];
	uint32_t prog_id[2];
	int owner_fd[2];
	struct mnl_socket *nl;
	int stop_pipe[2];
	pthread_t thread;
	int thread_on;
	pthread_mutex_t lock;	/* the list, against health readers */
	struct tracked *list;
	size_t n, cap;
	size_t n_counted;
	unsigned int gen;
	uint32_t seq;
	uint32_t dump_seq;	/* 0: no dump running */
	int resync_again;
	size_t sweep_pos;
	int64_t next_tick_ms;
	uint64_t events[IFACE_EV_MAX];
	/* Start-up: links are collected, not acted on. */
	int collecting;
	struct link *links;
	size_t n_links, cap_links;
	char buf[1 << 16];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_ethernet(uint16_t type)
{
	/* Our programs parse Ethernet frames: an L3 device (wg0, tun0) would
	 * be silently miscounted. */
	return type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK;
}

static void count_event(struct iface_follow *f, enum iface_event ev)
{
	__atomic_add_fetch(&f->events[ev], 1, __ATOMIC_RELAXED);
}

/* ---- the list of selected interfaces ---------------------------------- */

static struct tracked *find(struct iface_follow *f, uint32_t ifindex)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->list[i].ifindex == ifindex)
			return &f->list[i];
	return NULL;
}

static struct tracked *track(struct iface_follow *f, uint32_t ifindex, const char *name)
{
	struct tracked *t;

	pthread_mutex_lock(&f->lock);
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct tracked *l = realloc(f->list, cap * sizeof(*l));

		if (!l) {
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		f->list = l;
		f->cap = cap;
	}
	t = &f->list[f->n++];
	memset(t, 0, sizeof(*t));
	t->ifindex = ifindex;
	t->state = ST_WAITING;
	t->seen = f->gen;
	snprintf(t->name, sizeof(t->name), "%s", name);
	pthread_mutex_unlock(&f->lock);
	return t;
}

static void untrack(struct iface_follow *f, struct tracked *t)
{
	pthread_mutex_lock(&f->lock);
	*t = f->list[--f->n];
	pthread_mutex_unlock(&f->lock);
}

/* ---- attaching ----------------------------------------------------------- */

static int take_totals(struct iface_follow *f, struct tracked *t, int level)
{
	int err;

	if (t->counted)
		return 0;
	if (f->n_counted >= f->o.max_count) {
		log_msg(level, "not counting %s: --interface.max-count=%u interfaces are counted already\n",
			t->name, f->o.max_count);
		return -1;
	}
	err = bpf_loader_add_iface(f->o.skel, t->ifindex, 0);
	if (err) {
		log_msg(level, "preparing the counters of %s failed: %s\n", t->name, strerror(-err));
		return -1;
	}
	t->counted = 1;
	f->n_counted++;
	return 0;
}

static void drop_totals(struct iface_follow *f, struct tracked *t)
{
	int err;

	if (!t->counted)
		return;
	/* A reused ifindex must start from zero, and the table has room for
	 * max-count interfaces only. */
	err = bpf_loader_remove_iface(f->o.skel, t->ifindex);
	if (err)
		pr_warn("freeing the counters of %s: %s\n", t->name, strerror(-err));
	t->counted = 0;
	f->n_counted--;
}

/* Another exporter's filter: one line naming the interface and its owner. */
static void log_owner(int level, const struct tracked *t, const struct tc_probe *p)
{
	if (p->owner_pid)
		log_msg(level, "interface %s is already counted by a live tcflow_exporter (pid %d); it keeps its filters\n",
			t->name, p->owner_pid);
	else
		log_msg(level, "interface %s is already counted by a live tcflow_exporter (its pid is not visible from this PID namespace); it keeps its filters\n",
			t->name);
}

/* Whether p (in our slot of t's dir hook) keeps us out: another live
 * exporter's filter or another program's. Logs why at level. */
static int refused(const struct iface_follow *f, const struct tracked *t, int dir,
		   const struct tc_probe *p, int level)
{
	if (p->holder == TC_LIVE)
		log_owner(level, t, p);
	else if (p->holder == TC_OTHER)
		log_msg(level, "tc filter at priority %u handle 0x%x on %s %s belongs to another program (\"%s\", id %u); choose another --tc.priority or --tc.handle\n",
			f->slot.priority, f->slot.handle, t->name, tc_dir_names[dir],
			p->prog_name, p->prog_id);
	return p->holder == TC_LIVE || p->holder == TC_OTHER;
}

/* Whether both hooks may be ours: 0, or -1 after logging why not. */
static int may_attach(struct iface_follow *f, const struct tracked *t, int level)
{
	for (int dir = 0; dir < 2; dir++) {
		struct tc_probe p;
		int err = tc_probe(&f->slot, (int)t->ifindex, dir, f->prog_id[dir], &p);

		if (err) {
			log_msg(err == -ENODEV ? LOG_DEBUG : level, "querying the filters of %s %s: %s\n",
				t->name, tc_dir_names[dir], strerror(-err));
			return -1;
		}
		if (refused(f, t, dir, &p, level))
			return -1;
	}
	return 0;
}

/* One hook: 0 when our program is there now, -1 after logging why not. */
static int attach_dir(struct iface_follow *f, struct tracked *t, int dir, int level)
{
	struct tc_probe p;
	int err = 0;

	for (int tries = 0; tries < 2; tries++) {
		err = tc_probe(&f->slot, (int)t->ifindex, dir, f->prog_id[dir], &p);
		if (err)
			break;
		if (refused(f, t, dir, &p, level))
			return -1;
		switch (p.holder) {
		case TC_MINE:
			return 0;
		case TC_LIVE:
		case TC_OTHER:
			return -1;	/* refused above */
		case TC_STALE:
			pr_info("replacing the %s filter an earlier run left on %s\n",
				tc_dir_names[dir], t->name);
			/* fall through */
		case TC_FREE:
			err = tc_attach_dir(&f->slot, (int)t->ifindex, dir, f->prog_fd[dir],
					    p.holder == TC_STALE);
			break;
		}
		/* -EEXIST: another exporter took the free slot first: ask again. */
		if (err != -EEXIST)
			break;
	}
	if (err) {
		log_msg(level, "attaching to %s %s: %s\n", t->name, tc_dir_names[dir], strerror(-err));
		return -1;
	}
	return 0;
}

/* Attaches both hooks: 0, or -1 with t left WAITING for a retry. */
static int attach(struct iface_follow *f, struct tracked *t, int strict)
{
	int level = strict ? LOG_ERROR : t->warned ? LOG_DEBUG : LOG_WARN;

	t->state = ST_WAITING;
	t->retry_ms = now_ms() + RETRY_MS;
	/* Totals only for what we may count: no zero series for an interface
	 * another exporter owns. */
	if (may_attach(f, t, level) || take_totals(f, t, level) || ifnames_set(t->ifindex, t->name) ||
	    attach_dir(f, t, 0, level) || attach_dir(f, t, 1, level)) {
		t->warned = 1;
		return -1;
	}
	t->state = ST_ATTACHED;
	t->warned = 0;
	pr_info("attached to %s (ifindex %u) ingress and egress, priority %u handle 0x%x\n",
		t->name, t->ifindex, f->slot.priority, f->slot.handle);
	count_event(f, t->ever_attached ? IFACE_EV_REATTACH : IFACE_EV_ATTACH);
	t->ever_attached = 1;
	return 0;
}

static void detach_hooks(struct iface_follow *f, const struct tracked *t)
{
	for (int dir = 0; dir < 2; dir++) {
		int rc = tc_detach_dir(&f->slot, (int)t->ifindex, dir, f->prog_id[dir]);

		/* Quiet for an interface we never had: another exporter's. */
		if (rc == 1 && (t->ever_attached || t->state == ST_ATTACHED))
			pr_warn("the %s filter on %s is no longer ours; leaving it\n",
				tc_dir_names[dir], t->name);
		else if (rc < 0 && rc != -ENODEV)
			pr_warn("detaching from %s %s: %s\n", t->name, tc_dir_names[dir],
				strerror(-rc));
	}
}

/* Stops counting t: the interface went (its filters went with it) or is
 * no longer selected (live: our filters are taken back). */
static void forget(struct iface_follow *f, struct tracked *t, int live, const char *why)
{
	if (t->state == ST_SKIPPED) {
		untrack(f, t);
		return;
	}
	if (live)
		detach_hooks(f, t);
	drop_totals(f, t);
	ifnames_gone(t->ifindex);
	if (t->state == ST_ATTACHED || t->ever_attached)
		count_event(f, IFACE_EV_DETACH);
	pr_info("detached from %s (ifindex %u): %s\n", t->name, t->ifindex, why);
	untrack(f, t);
}

/* ---- link and tc events ------------------------------------------------ */

static int parse_link(const struct nlmsghdr *nlh, struct link *l)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifm)))
		return -1;
	memset(l, 0, sizeof(*l));
	l->ifindex = (uint32_t)ifm->ifi_index;
	l->type = ifm->ifi_type;
	mnl_attr_for_each(attr, nlh, sizeof(*ifm))
		if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(attr));
	return l->name[0] || nlh->nlmsg_type == RTM_DELLINK ? 0 : -1;
}

/* A link that appeared, or changed: new, renamed, or nothing to do. */
static void link_up(struct iface_follow *f, const struct link *l)
{
	struct tracked *t = find(f, l->ifindex);
	int selected = iface_select_match(f->o.sel, l->name);
	char old[IF_NAMESIZE];

	if (t) {
		t->seen = f->gen;
		if (strcmp(t->name, l->name) == 0)
			return;
		snprintf(old, sizeof(old), "%s", t->name);
		pr_info("interface %s (ifindex %u) was renamed %s\n", old, l->ifindex, l->name);
		if (!selected) {
			char why[96];

			snprintf(why, sizeof(why), "renamed %s, which the selection flags leave out", l->name);
			forget(f, t, 1, why);
			return;
		}
		pthread_mutex_lock(&f->lock);
		snprintf(t->name, sizeof(t->name), "%s", l->name);
		pthread_mutex_unlock(&f->lock);
		if (t->state != ST_SKIPPED)
			ifnames_set(t->ifindex, t->name);
		return;
	}
	if (!selected)
		return;
	t = track(f, l->ifindex, l->name);
	if (!t) {
		pr_warn("out of memory: not following %s\n", l->name);
		return;
	}
	if (!is_ethernet(l->type)) {
		t->state = ST_SKIPPED;
		pr_info("not counting %s: not an Ethernet device (link type %u)\n", l->name, l->type);
		return;
	}
	attach(f, t, 0);
}

static void on_link(struct iface_follow *f, const struct nlmsghdr *nlh)
{
	struct link l;
	struct tracked *t;

	if (parse_link(nlh, &l))
		return;
	if (f->collecting) {
		size_t i = 0;

		while (i < f->n_links && f->links[i].ifindex != l.ifindex)
			i++;
		if (nlh->nlmsg_type == RTM_DELLINK) {
			if (i < f->n_links)
				f->links[i] = f->links[--f->n_links];
			return;
		}
		if (i == f->cap_links) {
			size_t cap = f->cap_links ? f->cap_links * 2 : 256;
			struct link *n = realloc(f->links, cap * sizeof(*n));

			if (!n)
				return;
			f->links = n;
			f->cap_links = cap;
		}
		f->links[i] = l;
		if (i == f->n_links)
			f->n_links++;
		return;
	}
	if (nlh->nlmsg_type == RTM_NEWLINK) {
		link_up(f, &l);
		return;
	}
	t = find(f, l.ifindex);
	if (t)
		forget(f, t, 0, "the interface is gone");
}

/* Someone deleted a filter or a qdisc: ours, on an interface we count? */
static void on_tc(struct iface_follow *f, const struct nlmsghdr *nlh)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct tracked *t;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*tcm)) || tcm->tcm_ifindex <= 0)
		return;
	t = find(f, (uint32_t)tcm->tcm_ifindex);
	if (t && t->state == ST_ATTACHED)
		t->check = 1;
}

/* Our filters still there? If not (and the interface still is), attach
 * again. */
static void check_one(struct iface_follow *f, struct tracked *t)
{
	int missing = -1;

	t->check = 0;
	for (int dir = 0; dir < 2; dir++) {
		int rc = tc_attached(&f->slot, (int)t->ifindex, dir, f->prog_id[dir]);

		if (rc == -ENODEV)
			return;	/* going: its RTM_DELLINK follows */
		if (rc == 0 && missing < 0)
			missing = dir;
	}
	if (missing < 0)
		return;
	pr_warn("our %s filter on %s was removed (its filter or the clsact qdisc was deleted): attaching again\n",
		tc_dir_names[missing], t->name);
	attach(f, t, 0);
}

static int start_dump(struct iface_follow *f)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(f->buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++f->seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	if (mnl_socket_sendto(f->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	f->dump_seq = nlh->nlmsg_seq;
	f->gen++;
	return 0;
}

/* After a full dump: what it did not show is gone; and the tc events
 * that an overrun lost are made up for by checking every hook. */
static void end_dump(struct iface_follow *f)
{
	f->dump_seq = 0;
	if (f->collecting)
		return;
	for (size_t i = 0; i < f->n;) {
		struct tracked *t = &f->list[i];

		if (t->seen != f->gen) {
			forget(f, t, 0, "the interface is gone");
			continue;
		}
		if (t->state == ST_ATTACHED)
			t->check = 1;
		i++;
	}
	if (f->resync_again) {
		f->resync_again = 0;
		start_dump(f);
	}
}

static void resync(struct iface_follow *f)
{
	/* One line per dump, not per lost batch: a storm would flood the log. */
	if (f->dump_seq) {
		f->resync_again = 1;
		return;
	}
	pr_warn("netlink overrun (ENOBUFS): some interface events were lost; resynchronising from a full dump\n");
	if (start_dump(f))
		pr_warn("asking the kernel for its interfaces: %s\n", strerror(errno));
}

static void handle_messages(struct iface_follow *f, ssize_t n)
{
	int len = (int)n;

	for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)f->buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		switch (nlh->nlmsg_type) {
		case RTM_NEWLINK:
		case RTM_DELLINK:
			on_link(f, nlh);
			break;
		case RTM_DELQDISC:
		case RTM_DELTFILTER:
			on_tc(f, nlh);
			break;
		case NLMSG_DONE:
			if (f->dump_seq && nlh->nlmsg_seq == f->dump_seq)
				end_dump(f);
			break;
		case NLMSG_ERROR:
			/* The dump was refused (EBUSY): ask again next tick. */
			if (f->dump_seq && nlh->nlmsg_seq == f->dump_seq) {
				f->dump_seq = 0;
				f->resync_again = 1;
			}
			break;
		}
	}
}

/* Reads every message waiting: 0, or -1 on an error other than none left. */
static int read_messages(struct iface_follow *f)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(f->nl, f->buf, sizeof(f->buf));

		if (n > 0) {
			handle_messages(f, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			resync(f);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		pr_warn("reading interface events: %s\n", n < 0 ? strerror(errno) : "end of file");
		return -1;
	}
}

/* Every tick: retries, and a slice of the backstop check, so that a lost
 * tc event is made up for without asking the kernel about thousands of
 * hooks at once. */
static void tick(struct iface_follow *f)
{
	int64_t now = now_ms();
	size_t checked = 0;

	if (now < f->next_tick_ms)
		return;
	f->next_tick_ms = now + TICK_MS;
	if (f->resync_again && !f->dump_seq) {
		f->resync_again = 0;
		start_dump(f);
	}
	for (size_t i = 0; i < f->n; i++) {
		struct tracked *t = &f->list[i];

		if (t->state == ST_WAITING && now >= t->retry_ms)
			attach(f, t, 0);
	}
	while (f->n && checked < SWEEP_PER_TICK && checked < f->n) {
		struct tracked *t = &f->list[f->sweep_pos++ % f->n];

		if (t->state == ST_ATTACHED)
			t->check = 1;
		checked++;
	}
}

static void run_checks(struct iface_follow *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->list[i].check && f->list[i].state == ST_ATTACHED)
			check_one(f, &f->list[i]);
}

static void *follow_thread(void *arg)
{
	struct iface_follow *f = arg;
	struct pollfd p[4] = {
		{ .fd = mnl_socket_get_fd(f->nl), .events = POLLIN },
		{ .fd = f->stop_pipe[0], .events = POLLIN },
		{ .fd = f->owner_fd[0], .events = POLLIN },
		{ .fd = f->owner_fd[1], .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 4, TICK_MS) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		for (int i = 2; i < 4; i++)
			if (p[i].revents && p[i].fd >= 0)
				owner_drain(p[i].fd);
		/* An error was logged; the next ticks go on checking our hooks. */
		if (p[0].revents)
			read_messages(f);
		run_checks(f);
		tick(f);
	}
	return NULL;
}

/* ---- start and stop -------------------------------------------------------- */

static int open_netlink(struct iface_follow *f)
{
	const char *test_size = getenv("TCFLOW_TEST_NETLINK_RCVBUF");
	int fd, size = 8 << 20;

	f->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!f->nl)
		return -1;
	fd = mnl_socket_get_fd(f->nl);
	/* Room for 200 interfaces appearing at once with their tc events;
	 * beyond, ENOBUFS makes us resynchronise. FORCE needs CAP_NET_ADMIN,
	 * which we have; without it the plain size, capped by rmem_max. The
	 * test suite shrinks it to make overruns happen. */
	if (test_size && *test_size)
		size = atoi(test_size);
	if ((test_size && *test_size) || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return mnl_socket_bind(f->nl, RTMGRP_LINK | RTMGRP_TC, MNL_SOCKET_AUTOPID);
}

/* Collects the links of a full dump, reading events meanwhile. */
static int initial_dump(struct iface_follow *f)
{
	struct pollfd p = { .fd = mnl_socket_get_fd(f->nl), .events = POLLIN };
	int64_t deadline = now_ms() + 10000;

	f->collecting = 1;
	if (start_dump(f))
		return -1;
	while (f->dump_seq && now_ms() < deadline) {
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			return -1;
		if (read_messages(f))
			return -1;
		if (!f->dump_seq && f->resync_again) {
			/* Overrun during the dump: start again from scratch. */
			f->n_links = 0;
			f->resync_again = 0;
			if (start_dump(f))
				return -1;
		}
	}
	f->collecting = 0;
	return f->dump_seq ? -1 : 0;
}

static const struct link *link_named(const struct iface_follow *f, const char *name)
{
	for (size_t i = 0; i < f->n_links; i++)
		if (strcmp(f->links[i].name, name) == 0)
			return &f->links[i];
	return NULL;
}

/* Every --interface must exist and be Ethernet, and no selected
 * interface may belong to a live exporter or another tool: all checked
 * before anything is attached, so that a refused start changes nothing. */
static int check_start(struct iface_follow *f)
{
	const struct iface_select *s = f->o.sel;

	for (int i = 0; i < s->n_names; i++) {
		const struct link *l = link_named(f, s->names[i]);

		if (!l) {
			pr_err("unknown interface \"%s\" (--interface): %s\n", s->names[i], strerror(ENODEV));
			return -1;
		}
		if (!iface_select_match(s, l->name))
			pr_warn("--interface=%s is not counted: --interface.exclude excludes it\n", l->name);
		else if (!is_ethernet(l->type)) {
			pr_err("interface \"%s\" (--interface) is not an Ethernet device (link type %u); tcflow_exporter parses Ethernet frames only\n",
			       l->name, l->type);
			return -1;
		}
	}
	for (size_t i = 0; i < f->n_links; i++) {
		const struct link *l = &f->links[i];
		struct tracked t = { .ifindex = l->ifindex };

		if (!is_ethernet(l->type) || !iface_select_match(s, l->name))
			continue;
		snprintf(t.name, sizeof(t.name), "%s", l->name);
		if (may_attach(f, &t, LOG_ERROR))
			return -1;
	}
	return 0;
}

static int attach_start(struct iface_follow *f)
{
	size_t selected = 0;

	for (size_t i = 0; i < f->n_links; i++) {
		const struct link *l = &f->links[i];
		struct tracked *t;

		if (!iface_select_match(f->o.sel, l->name))
			continue;
		t = track(f, l->ifindex, l->name);
		if (!t)
			return -1;
		if (!is_ethernet(l->type)) {
			t->state = ST_SKIPPED;
			pr_info("not counting %s: not an Ethernet device (link type %u)\n", l->name, l->type);
			continue;
		}
		selected++;
		if (attach(f, t, 1))
			return -1;
	}
	if (!selected)
		pr_info("no interface matches the selection yet; attaching as they appear\n");
	return 0;
}

static int claim_programs(struct iface_follow *f)
{
	struct bpf_program *progs[2] = { bpf_loader_ingress(f->o.skel),
					 f->o.skel->progs.tcflow_egress };

	for (int dir = 0; dir < 2; dir++) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);

		f->prog_fd[dir] = bpf_program__fd(progs[dir]);
		if (bpf_obj_get_info_by_fd(f->prog_fd[dir], &info, &len)) {
			pr_err("reading our program's id: %s\n", strerror(errno));
			return -1;
		}
		f->prog_id[dir] = info.id;
		f->owner_fd[dir] = owner_claim(info.id);
		if (f->owner_fd[dir] < 0) {
			pr_err("claiming our programs (abstract socket tcflow_exporter/prog/%u): %s\n",
			       info.id, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void destroy(struct iface_follow *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->list[i].state != ST_SKIPPED)
			detach_hooks(f, &f->list[i]);
	/* Only now: until our filters are gone, another exporter must see
	 * them as a live one's. */
	for (int dir = 0; dir < 2; dir++)
		if (f->owner_fd[dir] >= 0)
			close(f->owner_fd[dir]);
	if (f->nl)
		mnl_socket_close(f->nl);
	for (int i = 0; i < 2; i++)
		if (f->stop_pipe[i] >= 0)
			close(f->stop_pipe[i]);
	pthread_mutex_destroy(&f->lock);
	free(f->links);
	free(f->list);
	free(f);
}

struct iface_follow *iface_follow_start(const struct iface_follow_opts *o)
{
	struct iface_follow *f = calloc(1, sizeof(*f));

	if (!f) {
		pr_err("out of memory\n");
		return NULL;
	}
	f->o = *o;
	f->slot.priority = o->priority;
	f->slot.handle = o->handle;
	f->owner_fd[0] = f->owner_fd[1] = -1;
	f->stop_pipe[0] = f->stop_pipe[1] = -1;
	pthread_mutex_init(&f->lock, NULL);
	if (claim_programs(f))
		goto fail;
	if (open_netlink(f) || pipe2(f->stop_pipe, O_CLOEXEC)) {
		pr_err("subscribing to interface events (rtnetlink): %s\n", strerror(errno));
		goto fail;
	}
	if (initial_dump(f)) {
		pr_err("listing the interfaces (rtnetlink): %s\n", strerror(errno ? errno : ETIMEDOUT));
		goto fail;
	}
	if (check_start(f) || attach_start(f))
		goto fail;
	free(f->links);
	f->links = NULL;
	f->n_links = f->cap_links = 0;
	return f;
fail:
	destroy(f);
	return NULL;
}

int iface_follow_run(struct iface_follow *f)
{
	if (pthread_create(&f->thread, NULL, follow_thread, f)) {
		pr_err("starting the interface thread failed\n");
		return -1;
	}
	f->thread_on = 1;
	return 0;
}

void iface_follow_stop(struct iface_follow *f)
{
	if (!f)
		return;
	if (f->thread_on) {
		if (write(f->stop_pipe[1], "x", 1) != 1)
			pr_warn("stopping the interface thread: %s\n", strerror(errno));
		pthread_join(f->thread, NULL);
	}
	destroy(f);
}

/* ---- health ------------------------------------------------------------------- */

static int cmp_health(const void *a, const void *b)
{
	const struct iface_health *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

/* All hooks over one netlink socket: 0, or -1 to ask one by one. */
static int ask_kernel(struct iface_follow *f, struct iface_health *h, size_t n)
{
	uint32_t *idx = malloc(n * sizeof(*idx));
	uint8_t (*att)[2] = malloc(n * sizeof(*att));
	int rc = -1;

	if (idx && att) {
		for (size_t i = 0; i < n; i++)
			idx[i] = h[i].ifindex;
		rc = tc_attached_many(&f->slot, f->prog_id, idx, n, att);
		for (size_t i = 0; !rc && i < n; i++)
			memcpy(h[i].attached, att[i], 2);
	}
	free(idx);
	free(att);
	return rc;
}

/* The hooks of every selected interface, checked against the kernel now,
 * in ifindex order; *out is malloc'd (NULL when there are none). */
static size_t iface_follow_health(struct iface_follow *f, struct iface_health **out)
{
	struct iface_health *h;
	size_t n = 0;

	*out = NULL;
	pthread_mutex_lock(&f->lock);
	h = f->n ? calloc(f->n, sizeof(*h)) : NULL;
	for (size_t i = 0; h && i < f->n; i++) {
		if (f->list[i].state == ST_SKIPPED)
			continue;
		h[n].ifindex = f->list[i].ifindex;
		memcpy(h[n].name, f->list[i].name, IF_NAMESIZE);
		n++;
	}
	pthread_mutex_unlock(&f->lock);
	/* Asked of the kernel now, outside the lock: not what we remember. */
	if (n && ask_kernel(f, h, n))
		for (size_t i = 0; i < n; i++)
			for (int dir = 0; dir < 2; dir++)
				h[i].attached[dir] = tc_attached(&f->slot, (int)h[i].ifindex, dir,
								 f->prog_id[dir]) == 1;
	if (n > 1)
		qsort(h, n, sizeof(*h), cmp_health);
	if (!n)
		free(h);
	else
		*out = h;
	return n;
}

static void iface_follow_events(struct iface_follow *f, uint64_t out[IFACE_EV_MAX])
{
	for (int i = 0; i < IFACE_EV_MAX; i++)
		out[i] = __atomic_load_n(&f->events[i], __ATOMIC_RELAXED);
}

int iface_follow_snapshot(struct iface_follow *f, struct iface_health_view *v)
{
	v->n = iface_follow_health(f, &v->hooks);
	iface_follow_events(f, v->events);
	return 0;
}
