/* SPDX-License-Identifier: BSD-2-Clause */
/* graph.c - `mpana graph TRACE [--conn ID] [--format dot|json]`: the
 * subflow graph of each MPTCP connection.
 *
 * RFC 8684 §3.2 (subflows), §3.4 (address ids, ADD_ADDR). Nodes are the
 * addresses a connection used or announced, with their address ids and the
 * host that announced them; edges are subflows (initial or join, backup,
 * state, bytes, HMAC verdict). The nodes and edges are the graph model
 * the report draws too (include/mpana/graph_model.h), filled here from the
 * engine's connection. DOT renders with `dot -Tsvg`; JSON is one
 * {"record":"graph"} object per connection. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpana/analyzer.h"
#include "mpana/capture.h"
#include "mpana/cli.h"
#include "mpana/graph_model.h"
#include "mpana/pipeline.h"
#include "mpana/log.h"
#include "mpana/report.h"

struct graph {
	bool json;        /* --format json */
	uint32_t only;    /* --conn ID, 0 for all */
	bool found;       /* the requested connection was seen */
	struct mp_out *out;
};

static const char *host_name(int h)
{
	return h == 0 ? "client" : h == 1 ? "server" : "unknown";
}

static const char *hmac_word(int v)
{
	return v == MP_OK_TRUE ? "ok" : v == MP_OK_FALSE ? "FAIL" : "n/a";
}

/* ---- DOT ------------------------------------------------------------ */

static void dot_node(struct mp_out *o, uint32_t conn, size_t i,
		     const struct mp_gnode *g)
{
	mp_out_reserve(o);
	mp_out_str(o, "    c");
	mp_out_u64(o, conn);
	mp_out_str(o, "_n");
	mp_out_u64(o, i);
	mp_out_str(o, " [label=\"");
	mp_out_str(o, g->addr);
	mp_out_str(o, "\\n");
	mp_out_str(o, host_name(g->side));
	if (g->n_ids) {
		mp_out_str(o, g->n_ids > 1 ? ", ids " : ", id ");
		for (unsigned k = 0; k < g->n_ids; k++) {
			if (k)
				mp_out_ch(o, ',');
			mp_out_u64(o, g->ids[k]);
		}
	}
	if (g->announced_by >= 0) {
		mp_out_str(o, "\\nannounced by ");
		mp_out_str(o, host_name(g->announced_by));
		if (g->removed)
			mp_out_str(o, ", removed");
	}
	mp_out_str(o, "\"");
	if (g->initial)
		mp_out_str(o, ", penwidth=2");
	if (g->announced_by >= 0)
		mp_out_str(o, ", style=rounded");
	mp_out_str(o, "];");
	mp_out_eol(o);
}

static void dot_edge(struct mp_out *o, uint32_t conn, size_t from, size_t to,
		     const struct mp_subflow *s)
{
	struct mp_sf_record r;
	int ok;

	mp_subflow_record(s, &r);
	ok = r.hmac_ok;
	mp_out_reserve(o);
	mp_out_str(o, "    c");
	mp_out_u64(o, conn);
	mp_out_str(o, "_n");
	mp_out_u64(o, from);
	mp_out_str(o, " -> c");
	mp_out_u64(o, conn);
	mp_out_str(o, "_n");
	mp_out_u64(o, to);
	mp_out_str(o, " [label=\"#");
	mp_out_u64(o, r.id);
	mp_out_ch(o, ' ');
	mp_out_str(o, r.kind);
	if (r.backup)
		mp_out_str(o, " backup");
	if (r.orphan)
		mp_out_str(o, " orphan");
	if (r.removed)
		mp_out_str(o, " removed");
	mp_out_str(o, "\\n:");
	mp_out_u64(o, r.sport);
	mp_out_str(o, " -> :");
	mp_out_u64(o, r.dport);
	mp_out_str(o, "\\n");
	mp_out_str(o, r.state);
	if (r.close_reason[0]) {
		mp_out_str(o, " (");
		mp_out_str(o, r.close_reason);
		mp_out_ch(o, ')');
	}
	mp_out_str(o, "\\n");
	mp_out_u64(o, r.bytes[0]);
	mp_out_str(o, " / ");
	mp_out_u64(o, r.bytes[1]);
	mp_out_str(o, " bytes\\nhmac ");
	mp_out_str(o, hmac_word(ok));
	mp_out_ch(o, '"');
	if (r.initial)
		mp_out_str(o, ", penwidth=2");
	if (r.backup)
		mp_out_str(o, ", style=dashed");
	else if (s->kind == MP_SF_PARTIAL)
		mp_out_str(o, ", style=dotted");
	if (ok == MP_OK_FALSE)
		mp_out_str(o, ", color=red, fontcolor=red");
	else if (s->state == MP_SFS_CLOSED)
		mp_out_str(o, ", color=gray40");
	mp_out_str(o, "];");
	mp_out_eol(o);
}

static void dot_conn(struct mp_out *o, const struct mp_conn *c)
{
	struct mp_gmodel m;
	size_t i = 0;

	mp_gmodel_init(&m);
	if (mp_gmodel_from_conn(&m, c) < 0) {
		mp_gmodel_free(&m);
		return;
	}
	mp_out_reserve(o);
	mp_out_str(o, "  subgraph cluster_c");
	mp_out_u64(o, c->id);
	mp_out_str(o, " {");
	mp_out_eol(o);
	mp_out_str(o, "    label=\"connection ");
	mp_out_u64(o, c->id);
	if (c->version <= 1) {
		mp_out_str(o, " v");
		mp_out_u64(o, c->version);
	}
	if (c->partial)
		mp_out_str(o, " partial");
	mp_out_str(o, ", tokens ");
	mp_out_conn_tokens(o, c);
	mp_out_str(o, ", app ");
	mp_out_str(o, c->app_proto); /* nDPI names: letters, digits, '.', '_' */
	if (c->fallback) {
		mp_out_str(o, ", fallback ");
		mp_out_str(o, mp_fallback_name(c->fallback));
	}
	mp_out_str(o, "\";");
	mp_out_eol(o);
	for (size_t k = 0; k < m.n_node; k++)
		dot_node(o, c->id, k, &m.node[k]);
	for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next, i++)
		dot_edge(o, c->id, m.edge[i].from, m.edge[i].to, s);
	mp_out_str(o, "  }");
	mp_out_eol(o);
	mp_gmodel_free(&m);
}

/* ---- JSON ----------------------------------------------------------- */

static void json_conn(struct mp_out *o, const struct mp_conn *c)
{
	struct mp_gmodel m;
	size_t n, ei = 0;

	mp_gmodel_init(&m);
	if (mp_gmodel_from_conn(&m, c) < 0) {
		mp_gmodel_free(&m);
		return;
	}
	n = m.n_node;
	mp_out_reserve(o);
	mp_out_str(o, "{\"record\":\"graph\",\"conn\":");
	mp_out_u64(o, c->id);
	mp_out_str(o, ",\"nodes\":[");
	for (size_t i = 0; i < n; i++) {
		const struct mp_gnode *g = &m.node[i];
		mp_out_reserve(o);
		if (i)
			mp_out_ch(o, ',');
		mp_out_str(o, "{\"node\":");
		mp_out_u64(o, i);
		mp_out_str(o, ",\"addr\":\"");
		mp_out_str(o, g->addr);
		mp_out_str(o, "\",\"host\":");
		mp_out_json_str(o, host_name(g->side));
		mp_out_str(o, ",\"addr_ids\":[");
		for (unsigned k = 0; k < g->n_ids; k++) {
			if (k)
				mp_out_ch(o, ',');
			mp_out_u64(o, g->ids[k]);
		}
		mp_out_str(o, "],\"announced_by\":");
		if (g->announced_by >= 0)
			mp_out_json_str(o, host_name(g->announced_by));
		else
			mp_out_str(o, "null");
		mp_out_str(o, ",\"initial\":");
		mp_out_str(o, g->initial ? "true}" : "false}");
	}
	mp_out_str(o, "],\"edges\":[");
	for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next, ei++) {
		struct mp_sf_record r;
		int ok;
		mp_subflow_record(s, &r);
		ok = r.hmac_ok;
		mp_out_reserve(o);
		if (s != c->sf_head)
			mp_out_ch(o, ',');
		mp_out_str(o, "{\"subflow\":");
		mp_out_u64(o, r.id);
		mp_out_str(o, ",\"from\":");
		mp_out_u64(o, m.edge[ei].from);
		mp_out_str(o, ",\"to\":");
		mp_out_u64(o, m.edge[ei].to);
		mp_out_str(o, ",\"sport\":");
		mp_out_u64(o, r.sport);
		mp_out_str(o, ",\"dport\":");
		mp_out_u64(o, r.dport);
		mp_out_str(o, ",\"kind\":");
		mp_out_json_str(o, r.kind);
		mp_out_str(o, ",\"initial\":");
		mp_out_str(o, r.initial ? "true" : "false");
		mp_out_str(o, ",\"backup\":");
		mp_out_str(o, r.backup ? "true" : "false");
		mp_out_str(o, ",\"state\":");
		mp_out_json_str(o, r.state);
		mp_out_str(o, ",\"close_reason\":");
		if (r.close_reason[0])
			mp_out_json_str(o, r.close_reason);
		else
			mp_out_str(o, "null");
		mp_out_str(o, ",\"bytes\":{\"fwd\":");
		mp_out_u64(o, r.bytes[0]);
		mp_out_str(o, ",\"rev\":");
		mp_out_u64(o, r.bytes[1]);
		mp_out_str(o, "},\"hmac_ok\":");
		mp_out_str(o, ok == MP_OK_TRUE ? "true" : ok == MP_OK_FALSE ? "false" : "null");
		mp_out_ch(o, '}');
	}
	mp_out_str(o, "]}");
	mp_out_eol(o);
	mp_gmodel_free(&m);
}

/* ---- the sink ------------------------------------------------------- */

static void graph_conn(struct mp_sink *s, const struct mp_conn *c)
{
	struct graph *g = s->user;

	if (g->only && c->id != g->only)
		return;
	g->found = true;
	if (g->json)
		json_conn(s->out, c);
	else
		dot_conn(s->out, c);
}

/* A subflow never attributed to a connection: a cluster of its own. */
static void graph_loose(struct mp_sink *s, const struct mp_subflow *sf)
{
	struct graph *g = s->user;
	struct mp_out *o = s->out;
	struct mp_sf_record r;

	if (g->only)
		return;
	mp_subflow_record(sf, &r);
	mp_out_reserve(o);
	if (g->json) {
		mp_out_str(o, "{\"record\":\"graph\",\"conn\":null,\"subflow\":");
		mp_out_u64(o, r.id);
		mp_out_str(o, ",\"nodes\":[{\"node\":0,\"addr\":\"");
		mp_out_addr(o, sf->family, sf->src);
		mp_out_str(o, "\"},{\"node\":1,\"addr\":\"");
		mp_out_addr(o, sf->family, sf->dst);
		mp_out_str(o, "\"}],\"edges\":[{\"subflow\":");
		mp_out_u64(o, r.id);
		mp_out_str(o, ",\"from\":0,\"to\":1,\"sport\":");
		mp_out_u64(o, r.sport);
		mp_out_str(o, ",\"dport\":");
		mp_out_u64(o, r.dport);
		mp_out_str(o, ",\"kind\":");
		mp_out_json_str(o, r.kind);
		mp_out_str(o, ",\"unattributed\":true}]}");
		mp_out_eol(o);
		return;
	}
	mp_out_str(o, "  subgraph cluster_s");
	mp_out_u64(o, r.id);
	mp_out_str(o, " {");
	mp_out_eol(o);
	mp_out_str(o, "    label=\"subflow ");
	mp_out_u64(o, r.id);
	mp_out_str(o, " (unattributed)\"; style=dashed;");
	mp_out_eol(o);
	for (int i = 0; i < 2; i++) {
		mp_out_str(o, "    s");
		mp_out_u64(o, r.id);
		mp_out_str(o, i ? "_b [label=\"" : "_a [label=\"");
		mp_out_addr(o, sf->family, i ? sf->dst : sf->src);
		mp_out_str(o, "\"];");
		mp_out_eol(o);
	}
	mp_out_str(o, "    s");
	mp_out_u64(o, r.id);
	mp_out_str(o, "_a -> s");
	mp_out_u64(o, r.id);
	mp_out_str(o, "_b [label=\"#");
	mp_out_u64(o, r.id);
	mp_out_str(o, " unattributed\\n:");
	mp_out_u64(o, r.sport);
	mp_out_str(o, " -> :");
	mp_out_u64(o, r.dport);
	mp_out_str(o, "\\n");
	mp_out_u64(o, r.bytes[0]);
	mp_out_str(o, " / ");
	mp_out_u64(o, r.bytes[1]);
	mp_out_str(o, " bytes\", style=dotted];");
	mp_out_eol(o);
	mp_out_str(o, "  }");
	mp_out_eol(o);
}

static const struct mp_sink_ops graph_ops = {
	.conn = graph_conn,
	.loose = graph_loose,
};

static const char graph_usage[] =
	"Usage: mpana graph TRACE [--conn ID] [--format dot|json]\n"
	"Writes the subflow graph of each MPTCP connection in TRACE: nodes are\n"
	"addresses (with address ids and who announced them), edges are subflows.\n"
	"  --conn ID        only connection ID (as numbered by mpana --json)\n"
	"  --format FMT     dot (default; render with dot -Tsvg) or json\n";

int mp_cmd_graph(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "conn", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct mp_out out;
	static struct mp_analyzer an;
	struct mp_pipeline_cfg cfg = { .capture = { .promisc = true } };
	struct graph g = { 0 };
	struct mp_sink sink = { .ops = &graph_ops, .out = &out, .quiet = true,
				.user = &g };
	int c, rc;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': {
			unsigned long v;
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v == 0 || v > UINT32_MAX) {
				MP_LOG(MP_LOG_ERR, "invalid connection id \"%s\"", optarg);
				return MP_EXIT_USAGE;
			}
			g.only = (uint32_t)v;
			break;
		}
		case 'f':
			if (!strcmp(optarg, "json")) {
				g.json = true;
			} else if (!strcmp(optarg, "dot")) {
				g.json = false;
			} else {
				MP_LOG(MP_LOG_ERR, "unknown graph format \"%s\" (dot or json)",
				       optarg);
				return MP_EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(graph_usage, stdout);
			return MP_EXIT_OK;
		default:
			fputs(graph_usage, stderr);
			return MP_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		MP_LOG(MP_LOG_ERR, "graph: give exactly one TRACE (see mpana graph --help)");
		return MP_EXIT_USAGE;
	}
	cfg.capture.file = argv[optind];
	g.out = &out;
	mp_out_init(&out, STDOUT_FILENO, false);
	if (!g.json) {
		mp_out_str(&out, "digraph mpana {");
		mp_out_eol(&out);
		mp_out_str(&out, "  rankdir=LR;");
		mp_out_eol(&out);
		mp_out_str(&out, "  node [shape=box, fontname=\"monospace\"];");
		mp_out_eol(&out);
		mp_out_str(&out, "  edge [fontname=\"monospace\", fontsize=10];");
		mp_out_eol(&out);
	}
	/* the one way to run the pipeline (pipeline.h); the graph sink draws
	 * each connection as it ends */
	rc = mp_pipeline_run(&cfg, &sink, &an);
	if (rc == MP_EXIT_USAGE || (rc != MP_EXIT_OK && an.st.packets == 0)) {
		out.n = 0; /* nothing was read: no half graph */
		return rc;
	}
	if (!g.json) {
		mp_out_ch(&out, '}');
		mp_out_eol(&out);
	}
	if (g.only && !g.found)
		MP_LOG(MP_LOG_WARN, "graph: no connection %u in %s", g.only, cfg.capture.file);
	if (mp_out_flush(&out) != 0 && out.err != EPIPE) {
		MP_LOG(MP_LOG_ERR, "writing output: %s", strerror(out.err));
		return MP_EXIT_ERROR;
	}
	return rc;
}
