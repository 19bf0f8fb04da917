// SPDX-License-Identifier: BSD-2-Clause
#include "series.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "ifnames.h"

#define ACCT_ID(ifindex, dir) ((uint64_t)(ifindex) << 8 | (uint64_t)(dir))
#define NS_PER_S 1000000000ULL

void series_init(struct series_store *st, const struct label_set *labels)
{
	memset(st, 0, sizeof(*st));
	st->labels = labels;
	st->retention_ns = (uint64_t)labels->retention_s * NS_PER_S;
}

void series_free(struct series_store *st)
{
	free(st->flows);
	free(st->series);
	free(st->order);
	free(st->accts);
	hashidx_free(&st->flow_idx);
	hashidx_free(&st->series_idx);
	hashidx_free(&st->acct_idx);
	memset(st, 0, sizeof(*st));
}

static int reindex(struct hashidx *h, const void *base, size_t stride, size_t klen, size_t n)
{
	if (hashidx_reserve(h, n) < 0)
		return -1;
	hashidx_clear(h);
	for (size_t i = 0; i < n; i++) {
		const void *k = (const char *)base + i * stride;

		hashidx_insert(h, hashidx_hash(k, klen), (uint32_t)i);
	}
	return 0;
}

/* Indexes the entry just appended at idx; a grown index is rebuilt. */
static int index_add(struct hashidx *h, const void *base, size_t stride, size_t klen,
		     size_t idx, uint64_t hash)
{
	int r = hashidx_reserve(h, idx + 1);

	if (r < 0)
		return -1;
	if (r == 1 && reindex(h, base, stride, klen, idx))
		return -1;
	hashidx_insert(h, hash, (uint32_t)idx);
	return 0;
}

/* ---- interfaces ------------------------------------------------------- */

static uint32_t acct_find(struct series_store *st, uint64_t id, uint64_t hash)
{
	return hashidx_find(&st->acct_idx, hash, st->accts, sizeof(*st->accts), &id, sizeof(id));
}

/* A recreated or renamed interface takes over the name of one that left:
 * the one that left goes now, so no two series share their labels. */
static void drop_namesakes(struct series_store *st, const struct iface_acct *a)
{
	for (size_t i = 0; i < st->n_accts; i++) {
		struct iface_acct *o = &st->accts[i];

		if (o != a && !o->present && (o->id & 0xff) == (a->id & 0xff) &&
		    !strcmp(o->ifname, a->ifname))
			o->gone_ns = 1;	/* long past: retired this update */
	}
}

static struct iface_acct *acct_get(struct series_store *st, uint32_t ifindex, uint8_t dir)
{
	uint64_t id = ACCT_ID(ifindex, dir), hash = hashidx_hash(&id, sizeof(id));
	uint32_t i = acct_find(st, id, hash);
	struct iface_acct *a;

	if (i != HASHIDX_NONE)
		return &st->accts[i];
	if (array_grow(&st->accts, &st->cap_accts, st->n_accts + 1, sizeof(*st->accts)))
		return NULL;
	a = &st->accts[st->n_accts];
	memset(a, 0, sizeof(*a));
	a->id = id;
	/* Met in the flow table first: absent from the totals as of now, not
	 * since long ago (retired, and every flow's series looked up again,
	 * at once). */
	a->gone_ns = st->now_ns;
	ifnames_get(ifindex, a->ifname);
	if (index_add(&st->acct_idx, st->accts, sizeof(*a), sizeof(id), st->n_accts, hash))
		return NULL;
	st->n_accts++;
	return a;
}

static uint64_t ip_total(const struct iface_value *v, int bytes)
{
	const __u64 *x = bytes ? v->bytes : v->packets;

	return x[TCFLOW_FAM_IPV4] + x[TCFLOW_FAM_IPV6];
}

/* The kernel's counters of this interface started again from zero (the
 * interface was forgotten and counted anew): so does our account of them. */
static void acct_restart(struct iface_acct *a, double now_unix)
{
	memset(a->attributed, 0, sizeof(a->attributed));
	memset(a->folded, 0, sizeof(a->folded));
	memset(a->unaccounted, 0, sizeof(a->unaccounted));
	memset(a->fold_told, 0, sizeof(a->fold_told));
	a->created = now_unix;
	a->fresh = 1;
}

static void acct_read(struct series_store *st, const struct iface_entry *e, double now_unix)
{
	struct iface_acct *a = acct_get(st, e->key.ifindex, e->key.direction);
	char name[IF_NAMESIZE];

	if (!a)
		return;
	if (!a->created || ip_total(&e->val, 0) < ip_total(&a->last, 0) ||
	    ip_total(&e->val, 1) < ip_total(&a->last, 1))
		acct_restart(a, now_unix);
	ifnames_get(e->key.ifindex, name);
	/* a->present still says whether the last update saw it. */
	if (!a->present || strcmp(name, a->ifname)) {
		if (strcmp(name, a->ifname))
			st->epoch++;	/* renamed: its flows belong to other series now */
		memcpy(a->ifname, name, sizeof(name));
		a->claims = 1;
	}
	a->last = e->val;
	a->seen = st->gen;
	a->gone_ns = 0;
}

static void read_ifaces(struct series_store *st, const struct snapshot *snap, uint64_t now_ns,
			double now_unix)
{
	for (size_t i = 0; i < st->n_accts; i++)
		st->accts[i].fresh = 0;
	for (size_t i = 0; i < snap->n_ifaces; i++)
		acct_read(st, &snap->ifaces[i], now_unix);
	for (size_t i = 0; i < st->n_accts; i++) {
		struct iface_acct *a = &st->accts[i];

		a->present = a->seen == st->gen;
		if (!a->present && !a->gone_ns)
			a->gone_ns = now_ns;
	}
	/* Only now that presence is current: an interface deleted and made
	 * again (or renamed onto a name that left) between two reads still
	 * counted as present when its successor was read. */
	for (size_t i = 0; i < st->n_accts; i++)
		if (st->accts[i].claims) {
			st->accts[i].claims = 0;
			drop_namesakes(st, &st->accts[i]);
		}
}

/* ---- series ----------------------------------------------------------- */

static struct series *series_add(struct series_store *st, const struct series_key *k,
				 uint64_t hash, uint64_t now_ns, double now_unix)
{
	struct series *s;

	if (array_grow(&st->series, &st->cap_series, st->n_series + 1, sizeof(*st->series)))
		return NULL;
	s = &st->series[st->n_series];
	memset(s, 0, sizeof(*s));
	s->key = *k;
	s->changed_ns = now_ns;
	s->created = now_unix;
	s->born_gen = st->gen;
	if (index_add(&st->series_idx, st->series, sizeof(*s), sizeof(*k), st->n_series, hash))
		return NULL;
	st->n_series++;
	st->order_dirty = 1;
	return s;
}

static struct series *series_find(struct series_store *st, const struct series_key *k,
				  uint64_t *hash)
{
	uint32_t i;

	*hash = hashidx_hash(k, sizeof(*k));
	i = hashidx_find(&st->series_idx, *hash, st->series, sizeof(*st->series), k, sizeof(*k));
	return i == HASHIDX_NONE ? NULL : &st->series[i];
}

/* A seat for a new flow series, if the cap has one. */
static struct series *seat(struct series_store *st, const struct series_key *k, uint64_t hash,
			   uint64_t now_ns, double now_unix)
{
	uint32_t cap = st->labels->one_read ? 0 : st->labels->max_series;
	struct series *s;

	/* A replay seats every series and keeps the largest at the end. */
	if (cap && st->n_flow_series >= cap) {
		st->stats.refused++;
		return NULL;
	}
	s = series_add(st, k, hash, now_ns, now_unix);
	if (!s)
		return NULL;
	st->n_flow_series++;
	st->stats.created++;
	return s;
}

static void add_delta(struct series_store *st, struct series *s, struct iface_acct *a,
		      const uint64_t d[2], uint64_t now_ns)
{
	a->attributed[0] += d[0];
	a->attributed[1] += d[1];
	s->changed_ns = now_ns;
	/* Born at zero unless everything here starts now (see series.h). */
	if (s->born_gen == st->gen && !st->labels->one_read && !a->fresh) {
		s->pending[0] += d[0];
		s->pending[1] += d[1];
		st->any_pending = 1;
		return;
	}
	s->packets += d[0];
	s->bytes += d[1];
}

static void fold_delta(struct iface_acct *a, const uint64_t d[2])
{
	a->folded[0] += d[0];
	a->folded[1] += d[1];
}

static void credit(struct series_store *st, struct flow_state *f, const uint64_t d[2],
		   uint64_t now_ns, double now_unix)
{
	struct iface_acct *a;
	struct series_key k;
	struct series *s;
	uint64_t hash;

	if (f->epoch == st->epoch && f->series == HASHIDX_NONE) {
		fold_delta(&st->accts[f->acct], d);	/* still no seat */
		return;
	}
	if (f->epoch == st->epoch && f->series < st->n_series) {
		add_delta(st, &st->series[f->series], &st->accts[f->acct], d, now_ns);
		return;
	}
	/* Without an account the delta is left to the interface's
	 * unaccounted count rather than risk counting it twice. */
	a = acct_get(st, f->key.ifindex, f->key.direction);
	if (!a)
		return;
	aggregate_project(&f->key, a->ifname, st->labels, &k);
	s = series_find(st, &k, &hash);
	if (!s)
		s = seat(st, &k, hash, now_ns, now_unix);
	/* Remembered until series move (a seat may free up then). */
	f->series = s ? (uint32_t)(s - st->series) : HASHIDX_NONE;
	f->acct = (uint32_t)(a - st->accts);
	f->epoch = st->epoch;
	if (s)
		add_delta(st, s, a, d, now_ns);
	else
		fold_delta(a, d);
}

/* ---- flows ------------------------------------------------------------ */

static struct flow_state *flow_state_get(struct series_store *st, const struct flow_key *k)
{
	uint64_t hash;
	uint32_t i;
	struct flow_state *f;

	/* The kernel hands its table over in bucket order, the order the
	 * flows were first read in and kept in: the next flow is nearly
	 * always the one after the last, found without hashing, and the
	 * states are walked in order rather than at random. */
	if (st->next_flow < st->n_flows &&
	    !memcmp(&st->flows[st->next_flow].key, k, sizeof(*k)))
		return &st->flows[st->next_flow++];
	hash = hashidx_hash(k, sizeof(*k));
	i = hashidx_find(&st->flow_idx, hash, st->flows, sizeof(*st->flows), k, sizeof(*k));
	if (i != HASHIDX_NONE) {
		st->next_flow = (size_t)i + 1;
		return &st->flows[i];
	}
	if (array_grow(&st->flows, &st->cap_flows, st->n_flows + 1, sizeof(*st->flows)))
		return NULL;
	f = &st->flows[st->n_flows];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->epoch = st->epoch - 1;	/* no series yet */
	if (index_add(&st->flow_idx, st->flows, sizeof(*f), sizeof(*k), st->n_flows, hash))
		return NULL;
	st->n_flows++;
	return f;
}

void series_flow(struct series_store *st, const struct flow_key *k, const struct flow_value *v)
{
	struct flow_state *f = flow_state_get(st, k);
	uint64_t d[2];

	if (!f)
		return;
	/* Fewer packets than last read: the kernel deleted the flow and it
	 * started again from zero since. */
	if (v->packets < f->packets || v->bytes < f->bytes) {
		d[0] = v->packets;
		d[1] = v->bytes;
	} else {
		d[0] = v->packets - f->packets;
		d[1] = v->bytes - f->bytes;
	}
	f->packets = v->packets;
	f->bytes = v->bytes;
	st->n_seen += f->gen != st->gen;
	f->gen = st->gen;
	if (d[0] || d[1])
		credit(st, f, d, st->now_ns, st->now_unix);
}

void series_flow_gone(struct series_store *st, const struct flow_key *k,
		      const struct flow_value *v)
{
	uint64_t hash = hashidx_hash(k, sizeof(*k));
	uint32_t i = hashidx_find(&st->flow_idx, hash, st->flows, sizeof(*st->flows), k, sizeof(*k));
	struct flow_state *f;
	uint64_t d[2];

	if (i == HASHIDX_NONE)
		return;	/* never read: the totals know it as unaccounted */
	f = &st->flows[i];
	if (v->packets >= f->packets && v->bytes >= f->bytes) {
		d[0] = v->packets - f->packets;
		d[1] = v->bytes - f->bytes;
		if (d[0] || d[1])
			credit(st, f, d, st->now_ns, st->now_unix);
	}
	f->packets = f->bytes = 0;
}

/* Flows the table no longer holds (evicted, expired) are forgotten: if one
 * comes back, it comes back from zero. */
static int forget_flows(struct series_store *st)
{
	size_t kept = 0;

	if (st->n_seen == st->n_flows)
		return 0;	/* every state was read again: none to look for */
	for (size_t i = 0; i < st->n_flows; i++) {
		if (st->flows[i].gen != st->gen)
			continue;
		if (kept != i)
			st->flows[kept] = st->flows[i];
		kept++;
	}
	if (kept == st->n_flows)
		return 0;
	st->n_flows = kept;
	return reindex(&st->flow_idx, st->flows, sizeof(*st->flows), sizeof(struct flow_key), kept);
}

/* ---- folds ------------------------------------------------------------ */

static void fold_account(struct iface_acct *a, uint64_t d[2])
{
	for (int j = 0; j < 2; j++) {
		uint64_t total = ip_total(&a->last, j);
		uint64_t known = a->attributed[j] + a->folded[j] + a->unaccounted[j];

		/* The totals are read before the flows, so a flow may already
		 * hold packets the totals do not: never lower what was told. */
		if (total > known)
			a->unaccounted[j] += total - known;
		d[j] = a->folded[j] + a->unaccounted[j] - a->fold_told[j];
		a->fold_told[j] += d[j];
	}
}

static void update_folds(struct series_store *st, uint64_t now_ns, double now_unix)
{
	for (size_t i = 0; i < st->n_accts; i++) {
		struct iface_acct *a = &st->accts[i];
		struct series_key k;
		struct series *s;
		uint64_t d[2], hash;

		if (!a->present)
			continue;
		fold_account(a, d);
		if (st->labels->one_read)
			continue;
		aggregate_fold_key(a->ifname, (uint8_t)(a->id & 0xff), st->labels, &k);
		s = series_find(st, &k, &hash);
		if (!s)
			s = series_add(st, &k, hash, now_ns, now_unix);
		if (!s)
			continue;
		s->packets += d[0];
		s->bytes += d[1];
		s->changed_ns = now_ns;	/* a live interface keeps its fold */
	}
}

/* ---- retention -------------------------------------------------------- */

static int cap_once(struct series_store *st);

static int retire_series(struct series_store *st, uint64_t now_ns)
{
	size_t kept = 0, flows = 0;

	for (size_t i = 0; i < st->n_series; i++) {
		struct series *s = &st->series[i];

		/* A replay's series never grow again, and stay: only what its
		 * cap folded (changed_ns 0) leaves. */
		int idle = st->labels->one_read ? !s->changed_ns :
			   now_ns > s->changed_ns && now_ns - s->changed_ns >= st->retention_ns;

		if (idle) {
			st->stats.removed += !s->key.fold;
			continue;
		}
		flows += !s->key.fold;
		if (kept != i)
			st->series[kept] = *s;
		kept++;
	}
	st->n_flow_series = flows;
	if (kept == st->n_series)
		return 0;
	st->n_series = kept;
	st->order_dirty = 1;
	st->epoch++;
	return reindex(&st->series_idx, st->series, sizeof(*st->series),
		       sizeof(struct series_key), kept);
}

static int retire_accts(struct series_store *st, uint64_t now_ns)
{
	size_t kept = 0;

	for (size_t i = 0; i < st->n_accts; i++) {
		struct iface_acct *a = &st->accts[i];

		if (!a->present && now_ns - a->gone_ns >= st->retention_ns)
			continue;
		if (kept != i)
			st->accts[kept] = *a;
		kept++;
	}
	if (kept == st->n_accts)
		return 0;
	st->n_accts = kept;
	st->epoch++;
	return reindex(&st->acct_idx, st->accts, sizeof(*st->accts), sizeof(uint64_t), kept);
}

/* Last update's newborns, shown at zero then, now show what they got. */
static void show_pending(struct series_store *st)
{
	/* Steady series have nothing pending: no pass over all of them. */
	if (!st->any_pending)
		return;
	st->any_pending = 0;
	for (size_t i = 0; i < st->n_series; i++) {
		struct series *s = &st->series[i];

		if (!s->pending[0] && !s->pending[1])
			continue;
		s->packets += s->pending[0];
		s->bytes += s->pending[1];
		s->pending[0] = s->pending[1] = 0;
	}
}

void series_begin(struct series_store *st, const struct snapshot *ifaces, uint64_t now_ns,
		  double now_unix)
{
	st->gen++;
	st->next_flow = 0;
	st->n_seen = 0;
	st->now_ns = now_ns;
	st->now_unix = now_unix;
	show_pending(st);
	read_ifaces(st, ifaces, now_ns, now_unix);
}

int series_end(struct series_store *st, int flows_whole)
{
	int err;

	/* After half a read of the flows, the unread ones would look gone
	 * and come back whole, and the totals would call the unread part
	 * unaccounted: forget nothing and fold nothing; the next read
	 * catches up. What was read is counted already, exactly once. */
	if (!flows_whole)
		return 0;
	update_folds(st, st->now_ns, st->now_unix);
	err = st->labels->one_read ? cap_once(st) : 0;
	err |= forget_flows(st);
	err |= retire_series(st, st->now_ns);
	err |= retire_accts(st, st->now_ns);
	return err ? -1 : 0;
}

int series_update(struct series_store *st, const struct snapshot *snap, uint64_t now_ns,
		  double now_unix)
{
	if (!snap->ifaces_ok)
		return 0;
	series_begin(st, snap, now_ns, now_unix);
	if (snap->flows_ok)
		for (size_t i = 0; i < snap->n_flows; i++)
			series_flow(st, &snap->flows[i].key, &snap->flows[i].val);
	return series_end(st, snap->flows_ok);
}

static int cmp_bytes_desc(const void *a, const void *b, void *ctx)
{
	const struct series *s = ctx, *x = &s[*(const uint32_t *)a], *y = &s[*(const uint32_t *)b];

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return series_key_cmp(&x->key, &y->key);	/* ties: the label order */
}

/* A capture replay reads everything at once: the cap keeps the largest
 * series by bytes (ties by labels, so every run agrees) and folds the rest
 * into the fold series of their interface and direction. */
static int cap_once(struct series_store *st)
{
	uint32_t cap = st->labels->max_series, *idx;
	size_t n = 0;

	if (!cap || st->n_flow_series <= cap)
		return 0;
	idx = malloc(st->n_series * sizeof(*idx));
	if (!idx)
		return -1;
	for (size_t i = 0; i < st->n_series; i++)
		if (!st->series[i].key.fold)
			idx[n++] = (uint32_t)i;
	qsort_r(idx, n, sizeof(*idx), cmp_bytes_desc, st->series);
	for (size_t i = cap; i < n; i++) {
		struct series *s = &st->series[idx[i]], *f;
		struct series_key k;
		uint64_t hash;

		aggregate_fold_key(s->key.ifname, s->key.direction, st->labels, &k);
		f = series_find(st, &k, &hash);
		if (!f)
			f = series_add(st, &k, hash, st->now_ns, st->now_unix);
		s = &st->series[idx[i]];	/* series_add may have moved it */
		if (f) {
			f->packets += s->packets;
			f->bytes += s->bytes;
		}
		s->changed_ns = 0;	/* retired below */
		st->stats.refused++;
	}
	free(idx);
	return 0;
}

static int cmp_order(const void *a, const void *b, void *ctx)
{
	const struct series *s = ctx;

	return series_key_cmp(&s[*(const uint32_t *)a].key, &s[*(const uint32_t *)b].key);
}

const uint32_t *series_order(struct series_store *st)
{
	if (!st->order_dirty)
		return st->order;
	free(st->order);
	st->order = malloc((st->n_series ? st->n_series : 1) * sizeof(*st->order));
	if (!st->order)
		return NULL;
	for (size_t i = 0; i < st->n_series; i++)
		st->order[i] = (uint32_t)i;
	qsort_r(st->order, st->n_series, sizeof(*st->order), cmp_order, st->series);
	st->order_dirty = 0;
	return st->order;
}
