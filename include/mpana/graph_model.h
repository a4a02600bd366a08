/* SPDX-License-Identifier: BSD-2-Clause */
/* graph_model.h - the subflow graph of one MPTCP connection: the addresses
 * of each host as nodes, subflows as edges, and one layout. Filled from the
 * engine's live connection (`mpana graph`, src/cli/graph.c) or from
 * database rows (`mpana report`, src/cli/report/); rendered as DOT and JSON
 * (graph.c) and as SVG (src/cli/report/graph_svg.c).
 *
 * RFC 8684 §3.2 (subflows: MP_JOIN), §3.4 (address ids; ADD_ADDR,
 * REMOVE_ADDR). A node is one address of one host: the same address on
 * both hosts (a loopback capture) is two nodes. Nodes and edges keep the
 * order they were first added in, so the output is deterministic. */
#ifndef MPANA_GRAPH_MODEL_H
#define MPANA_GRAPH_MODEL_H

#include <stdbool.h>
#include <stddef.h>

struct mp_conn;

#define MP_GNODE_IDS 8      /* address ids kept per node */
#define MP_GNODE_ADDR_LEN 64 /* text form of an address, NUL included */

struct mp_gnode {
	char addr[MP_GNODE_ADDR_LEN]; /* text form (inet_ntop) */
	int side;                 /* whose address: 0 client, 1 server */
	int announced_by;         /* host that sent ADD_ADDR for it, -1 none */
	bool initial;             /* an endpoint of the initial subflow */
	bool removed;             /* REMOVE_ADDR named its announcement */
	unsigned n_ids;           /* entries in ids */
	int ids[MP_GNODE_IDS];    /* address ids seen for it, first seen first */
	int row;                  /* layout: position in its side's column, from 0 */
};

struct mp_gedge {
	size_t from, to;          /* node indices: the SYN sender's address, the receiver's */
	int src_side;             /* side of `from`: 1 when the server opened the subflow */
	int dup;                  /* layout: earlier edges between the same two nodes */
};

struct mp_gmodel {
	struct mp_gnode *node;    /* owned, n_node used of cap_node */
	size_t n_node, cap_node;
	struct mp_gedge *edge;    /* owned, in the order added: one per subflow */
	size_t n_edge, cap_edge;
	int rows;                 /* layout: nodes in the longer column */
	bool oom;                 /* sticky: an allocation failed, the model is incomplete */
};

/* An empty model; pair with mp_gmodel_free (which takes NULL). */
void mp_gmodel_init(struct mp_gmodel *m);
void mp_gmodel_free(struct mp_gmodel *m);

/* The node of `addr` (borrowed, copied) on `side`, added at the end when
 * new. Returns NULL only when out of memory (m->oom is then set). */
struct mp_gnode *mp_gmodel_node(struct mp_gmodel *m, const char *addr, int side);

/* Adds address id `id` to `n` unless already there, full, or id < 0;
 * `n` may be NULL. */
void mp_gnode_add_id(struct mp_gnode *n, int id);

/* A subflow from `src` (on src_side) to `dst` (on the other side) with the
 * address ids each end used (-1 unknown): adds the nodes src then dst, and
 * the edge. Returns the edge, NULL when out of memory. */
struct mp_gedge *mp_gmodel_subflow(struct mp_gmodel *m, const char *src, int src_id,
				   const char *dst, int dst_id, int src_side);

/* An ADD_ADDR of `addr` with address id `id` sent by host `by` (0 client,
 * 1 server), later named by REMOVE_ADDR when `removed`. Returns the node,
 * NULL when out of memory. */
struct mp_gnode *mp_gmodel_announce(struct mp_gmodel *m, const char *addr, int by, int id,
				    bool removed);

/* The layout: client addresses in the left column and server addresses in
 * the right one, each in the order added (mp_gnode.row, mp_gmodel.rows),
 * and the index of each edge among the parallel edges between its two
 * nodes (mp_gedge.dup). Call after the last node and edge. */
void mp_gmodel_layout(struct mp_gmodel *m);

/* Fills `m` from the engine's connection `c` (borrowed): the initial
 * subflow's endpoints, then each subflow's addresses in subflow order
 * (the initial subflow's ids are 0), then the ADD_ADDR announcements.
 * Edge i is the i-th subflow of c->sf_head. Returns 0, -1 on OOM. */
int mp_gmodel_from_conn(struct mp_gmodel *m, const struct mp_conn *c);

#endif /* MPANA_GRAPH_MODEL_H */
