/* SPDX-License-Identifier: BSD-2-Clause */
/* graph_model.c - the subflow graph of one connection: nodes (addresses
 * per host), edges (subflows), the layout, and its filling from the
 * engine's live connection (include/mpana/graph_model.h).
 *
 * RFC 8684 §3.2 (MP_JOIN subflows), §3.4 (address ids, ADD_ADDR). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mpana/flow.h"
#include "mpana/graph_model.h"

void mp_gmodel_init(struct mp_gmodel *m)
{
	memset(m, 0, sizeof *m);
}

void mp_gmodel_free(struct mp_gmodel *m)
{
	if (!m)
		return;
	free(m->node);
	free(m->edge);
	memset(m, 0, sizeof *m);
}

/* Makes room for one more element of `size` bytes in *v (used n of *cap).
 * Returns 0, -1 on OOM (then *v is unchanged). */
static int grow(void **v, size_t n, size_t *cap, size_t size)
{
	size_t nc;
	void *p;

	if (n < *cap)
		return 0;
	nc = *cap ? 2 * *cap : 8;
	p = realloc(*v, nc * size);
	if (!p)
		return -1;
	*v = p;
	*cap = nc;
	return 0;
}

struct mp_gnode *mp_gmodel_node(struct mp_gmodel *m, const char *addr, int side)
{
	struct mp_gnode *n;

	for (size_t i = 0; i < m->n_node; i++)
		if (m->node[i].side == side && !strcmp(m->node[i].addr, addr))
			return &m->node[i];
	if (grow((void **)&m->node, m->n_node, &m->cap_node, sizeof *m->node) < 0) {
		m->oom = true;
		return NULL;
	}
	n = &m->node[m->n_node++];
	memset(n, 0, sizeof *n);
	snprintf(n->addr, sizeof n->addr, "%s", addr);
	n->side = side;
	n->announced_by = -1;
	return n;
}

void mp_gnode_add_id(struct mp_gnode *n, int id)
{
	if (!n || id < 0)
		return;
	for (unsigned i = 0; i < n->n_ids; i++)
		if (n->ids[i] == id)
			return;
	if (n->n_ids < MP_GNODE_IDS)
		n->ids[n->n_ids++] = id;
}

struct mp_gedge *mp_gmodel_subflow(struct mp_gmodel *m, const char *src, int src_id,
				   const char *dst, int dst_id, int src_side)
{
	struct mp_gnode *a = mp_gmodel_node(m, src, src_side), *b;
	struct mp_gedge *e;
	size_t ia;

	if (!a)
		return NULL;
	mp_gnode_add_id(a, src_id);
	ia = (size_t)(a - m->node); /* adding b may move the nodes */
	b = mp_gmodel_node(m, dst, 1 - src_side);
	if (!b)
		return NULL;
	mp_gnode_add_id(b, dst_id);
	if (grow((void **)&m->edge, m->n_edge, &m->cap_edge, sizeof *m->edge) < 0) {
		m->oom = true;
		return NULL;
	}
	e = &m->edge[m->n_edge++];
	memset(e, 0, sizeof *e);
	e->from = ia;
	e->to = (size_t)(b - m->node);
	e->src_side = src_side;
	return e;
}

struct mp_gnode *mp_gmodel_announce(struct mp_gmodel *m, const char *addr, int by, int id,
				    bool removed)
{
	struct mp_gnode *n = mp_gmodel_node(m, addr, by);

	if (!n)
		return NULL;
	mp_gnode_add_id(n, id);
	n->announced_by = by;
	n->removed |= removed;
	return n;
}

void mp_gmodel_layout(struct mp_gmodel *m)
{
	int count[2] = { 0, 0 };

	for (size_t i = 0; i < m->n_node; i++)
		m->node[i].row = count[m->node[i].side != 0]++;
	m->rows = count[0] > count[1] ? count[0] : count[1];
	for (size_t i = 0; i < m->n_edge; i++) {
		struct mp_gedge *e = &m->edge[i];
		e->dup = 0;
		for (size_t j = 0; j < i; j++) {
			const struct mp_gedge *f = &m->edge[j];
			/* the same client and server node, whoever opened it */
			size_t ec = e->src_side ? e->to : e->from, es = e->src_side ? e->from : e->to;
			size_t fc = f->src_side ? f->to : f->from, fs = f->src_side ? f->from : f->to;
			e->dup += ec == fc && es == fs;
		}
	}
}

/* The text form of an address in network order (inet_ntop, as stored). */
static void addr_text(char *buf, size_t n, int family, const uint8_t *addr)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)n))
		snprintf(buf, n, "?");
}

int mp_gmodel_from_conn(struct mp_gmodel *m, const struct mp_conn *c)
{
	char a[MP_GNODE_ADDR_LEN], b[MP_GNODE_ADDR_LEN];
	struct mp_gnode *n;

	if (c->family) {
		addr_text(a, sizeof a, c->family, c->addr[0]);
		if ((n = mp_gmodel_node(m, a, 0)))
			n->initial = true;
		addr_text(b, sizeof b, c->family, c->addr[1]);
		if ((n = mp_gmodel_node(m, b, 1)))
			n->initial = true;
	}
	for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next) {
		bool init = s->kind == MP_SF_INITIAL;
		addr_text(a, sizeof a, s->family, s->src);
		addr_text(b, sizeof b, s->family, s->dst);
		mp_gmodel_subflow(m, a, init ? 0 : s->addr_id_known[0] ? s->addr_id[0] : -1,
				  b, init ? 0 : s->addr_id_known[1] ? s->addr_id[1] : -1,
				  s->src_is_client ? 0 : 1);
	}
	for (unsigned i = 0; i < c->n_addrs; i++) {
		const struct mp_addr_ent *e = &c->addrs[i];
		addr_text(a, sizeof a, e->family, e->addr);
		mp_gmodel_announce(m, a, e->host ? 1 : 0, e->id, e->removed);
	}
	mp_gmodel_layout(m);
	return m->oom ? -1 : 0;
}
