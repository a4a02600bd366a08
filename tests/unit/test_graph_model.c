/* SPDX-License-Identifier: BSD-2-Clause */
/* test_graph_model.c - the subflow graph model shared by `mpana graph` and
 * `mpana report` (include/mpana/graph_model.h): node order, one node per
 * address and host, address ids, announcements and the layout.
 * RFC 8684 §3.2 (MP_JOIN subflows), §3.4 (address ids, ADD_ADDR). */
#include <criterion/criterion.h>

#include "mpana/graph_model.h"

Test(graph_model, nodes_in_order_edges_by_index)
{
	struct mp_gmodel m;

	mp_gmodel_init(&m);
	/* initial subflow: ids 0 */
	cr_assert_not_null(mp_gmodel_subflow(&m, "10.0.1.1", 0, "10.0.1.2", 0, 0));
	/* a join from a second client address to the same server address */
	cr_assert_not_null(mp_gmodel_subflow(&m, "10.0.2.1", 2, "10.0.1.2", -1, 0));
	/* a join the server opened towards the client's first address */
	cr_assert_not_null(mp_gmodel_subflow(&m, "10.0.3.2", 3, "10.0.1.1", 0, 1));
	cr_assert_not_null(mp_gmodel_announce(&m, "10.0.3.2", 1, 3, false));
	cr_assert_not_null(mp_gmodel_announce(&m, "10.0.4.2", 1, 4, true));
	mp_gmodel_layout(&m);

	cr_assert_eq(m.n_node, 5);
	cr_assert_str_eq(m.node[0].addr, "10.0.1.1");
	cr_assert_str_eq(m.node[2].addr, "10.0.2.1");
	cr_assert_str_eq(m.node[3].addr, "10.0.3.2");
	cr_assert_eq(m.node[3].side, 1);
	cr_assert_eq(m.node[3].announced_by, 1);
	cr_assert_eq(m.node[3].n_ids, 1, "the announced id is the one already seen");
	cr_assert_eq(m.node[1].n_ids, 1, "unknown ids (-1) are not listed");
	cr_assert(m.node[4].removed);
	cr_assert_eq(m.node[0].announced_by, -1);

	cr_assert_eq(m.n_edge, 3);
	cr_assert_eq(m.edge[1].from, 2);
	cr_assert_eq(m.edge[1].to, 1);
	cr_assert_eq(m.edge[2].from, 3);
	cr_assert_eq(m.edge[2].to, 0);
	cr_assert_eq(m.edge[2].src_side, 1);

	/* layout: client column 10.0.1.1, 10.0.2.1; server column
	 * 10.0.1.2, 10.0.3.2, 10.0.4.2 */
	cr_assert_eq(m.rows, 3);
	cr_assert_eq(m.node[0].row, 0);
	cr_assert_eq(m.node[2].row, 1);
	cr_assert_eq(m.node[1].row, 0);
	cr_assert_eq(m.node[4].row, 2);
	mp_gmodel_free(&m);
	mp_gmodel_free(NULL);
}

Test(graph_model, same_address_on_both_hosts_is_two_nodes)
{
	struct mp_gmodel m;

	mp_gmodel_init(&m);
	mp_gmodel_subflow(&m, "127.0.0.1", 0, "127.0.0.1", 0, 0);
	mp_gmodel_layout(&m);
	cr_assert_eq(m.n_node, 2);
	cr_assert_eq(m.node[0].side, 0);
	cr_assert_eq(m.node[1].side, 1);
	cr_assert_neq(m.edge[0].from, m.edge[0].to);
	mp_gmodel_free(&m);
}

Test(graph_model, parallel_edges_counted_whoever_opened_them)
{
	struct mp_gmodel m;

	mp_gmodel_init(&m);
	mp_gmodel_subflow(&m, "a", 0, "b", 0, 0);
	mp_gmodel_subflow(&m, "a", 1, "b", 1, 0);
	mp_gmodel_subflow(&m, "b", 2, "a", 2, 1);
	mp_gmodel_subflow(&m, "c", 3, "b", 3, 0);
	mp_gmodel_layout(&m);
	cr_assert_eq(m.edge[0].dup, 0);
	cr_assert_eq(m.edge[1].dup, 1);
	cr_assert_eq(m.edge[2].dup, 2);
	cr_assert_eq(m.edge[3].dup, 0);
	cr_assert_eq(m.node[0].n_ids, 3);
	mp_gmodel_free(&m);
}

Test(graph_model, ids_capped)
{
	struct mp_gmodel m;
	struct mp_gnode *n;

	mp_gmodel_init(&m);
	n = mp_gmodel_node(&m, "10.0.0.1", 0);
	for (int i = 0; i < 2 * MP_GNODE_IDS; i++)
		mp_gnode_add_id(n, i);
	cr_assert_eq(n->n_ids, MP_GNODE_IDS);
	cr_assert_eq(n->ids[MP_GNODE_IDS - 1], MP_GNODE_IDS - 1);
	mp_gnode_add_id(NULL, 1);
	mp_gmodel_free(&m);
}
