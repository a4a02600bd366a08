/* SPDX-License-Identifier: BSD-2-Clause */
/* graph_svg.c - the report's subflow graph of one connection as SVG:
 * client addresses left, server addresses right, subflows as curves
 * between them, from the graph model's layout (mpana/graph_model.h;
 * `mpana graph` renders the same model as DOT). A join attempt that was
 * not established (join_attempts) is a finely dashed edge labelled with
 * its outcome: its subflow's edge, or one of its own.
 *
 * RFC 8684 §3.2 (MP_JOIN subflows, backup), §3.4 (address ids,
 * ADD_ADDR, REMOVE_ADDR). */
#include <math.h>
#include <stdio.h>

#include "mpana/graph_model.h"

#include "report_int.h"

/* Where the edges and their labels go. */
struct gdraw {
	double xl, xr, nw, nh, pitch;  /* columns, node size, row pitch */
	double labx[MAX_SF + MAX_JOINFAIL], laby[MAX_SF + MAX_JOINFAIL]; /* labels placed */
	int nlab;                       /* entries in labx, laby */
};

/* The curve of edge e (`d` attribute of its path) and its label position,
 * the first of a few points on it that does not cover an earlier label. */
static void edge_geom(struct gdraw *g, const struct mp_gmodel *m, const struct mp_gedge *e,
		      double c[6], double *lx, double *ly)
{
	const struct mp_gnode *a = &m->node[e->src_side ? e->to : e->from];
	const struct mp_gnode *b = &m->node[e->src_side ? e->from : e->to];
	int dup = e->dup;
	double x1 = g->xl + g->nw / 2, x2 = g->xr - g->nw / 2;
	double y1 = 60 + g->pitch * a->row + g->nh / 2, y2 = 60 + g->pitch * b->row + g->nh / 2;
	double off = (dup % 2 ? 1 : -1) * 22.0 * ((dup + 1) / 2);
	double mx = (x1 + x2) / 2, my = (y1 + y2) / 2 + 2 * off;
	/* The label sits on the curve (quadratic Bezier, parameter t), at
	 * the first of a few positions that does not cover another label. */
	static const double ts[] = { 0.5, 0.28, 0.72, 0.16, 0.84 };
	double best = -1;

	c[0] = x1, c[1] = y1, c[2] = mx, c[3] = my, c[4] = x2, c[5] = y2;
	*lx = *ly = 0;
	for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
		double t = ts[k], u = 1 - t, score = 1e9;
		double px = u * u * x1 + 2 * u * t * mx + t * t * x2;
		double py = u * u * y1 + 2 * u * t * my + t * t * y2;
		for (int j = 0; j < g->nlab; j++) {
			double sx = fabs(g->labx[j] - px) / 205, sy = fabs(g->laby[j] - py) / 50;
			double sc = sx > sy ? sx : sy;
			if (sc < score)
				score = sc;
		}
		if (score > best) {
			best = score;
			*lx = px;
			*ly = py;
		}
		if (score >= 1)
			break;
	}
	if (g->nlab < MAX_SF + MAX_JOINFAIL) {
		g->labx[g->nlab] = *lx;
		g->laby[g->nlab++] = *ly;
	}
}

/* The failed join attempt of drawn subflow k, NULL none. */
static const struct rpt_joinfail *sf_joinfail(const struct rpt_data *d, int k)
{
	for (int i = 0; i < d->njf; i++)
		if (d->jf[i].k == k)
			return &d->jf[i];
	return NULL;
}

/* A failed join attempt whose subflow is not drawn: a dashed edge of its
 * own, labelled with its outcome. */
static void write_joinfail(FILE *f, struct gdraw *g, const struct mp_gmodel *m, const struct mp_gedge *e,
			   const struct rpt_joinfail *j)
{
	double c[6], lx, ly;

	edge_geom(g, m, e, c, &lx, &ly);
	fprintf(f, "<g class=\"joinfail\" data-outcome=\"");
	rpt_esc(f, j->outcome);
	fprintf(f, "\"><title>join attempt ");
	rpt_esc(f, j->src);
	fprintf(f, ":%d &#8594; ", j->sport);
	rpt_esc(f, j->dst);
	fprintf(f, ":%d: ", j->dport);
	rpt_esc(f, j->label);
	fprintf(f, "</title>\n<path d=\"M%.1f %.1f Q%.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"#b00020\""
		" stroke-width=\"2\" stroke-dasharray=\"3 5\"/>\n", c[0], c[1], c[2], c[3], c[4], c[5]);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"200\" height=\"34\" rx=\"4\" class=\"elabel\"/>"
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">join attempt</text>\n", lx - 100, ly - 12,
		lx, ly + 2);
	fprintf(f, "<text class=\"failmark\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">&#10007; ", lx,
		ly + 17);
	rpt_esc(f, j->label);
	fprintf(f, "</text>\n</g>\n");
}

void rpt_write_graph(FILE *f, const struct rpt_data *d, const struct mp_gmodel *m)
{
	const double gw = 900, xl = 170, xr = 730, nw = 220, nh = 44, pitch = 84;
	const double gh = 60 + pitch * m->rows + 10;
	struct gdraw g = { .xl = xl, .xr = xr, .nw = nw, .nh = nh, .pitch = pitch };
	size_t extra = (size_t)d->nsf;

	fprintf(f, "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
		" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"subflow graph\">\n", gw, gh, gw, gh);
	fprintf(f, "<text class=\"side\" x=\"%.0f\" y=\"22\" text-anchor=\"middle\">client addresses</text>"
		"<text class=\"side\" x=\"%.0f\" y=\"22\" text-anchor=\"middle\">server addresses</text>\n",
		xl, xr);
	/* Edges first, so nodes cover their ends. */
	for (int i = 0; i < d->nsf; i++) {
		const struct rpt_sf *s = &d->sf[i];
		const struct rpt_joinfail *j = sf_joinfail(d, i);
		double c[6], lx, ly;
		char bf[32], br[32];

		edge_geom(&g, m, &m->edge[i], c, &lx, &ly);
		rpt_fmt_bytes(bf, sizeof bf, (double)s->bytes_fwd);
		rpt_fmt_bytes(br, sizeof br, (double)s->bytes_rev);
		fprintf(f, "<g class=\"edge%s%s%s\" data-subflow=\"%d\"", s->backup ? " backup" : "",
			s->failed ? " failed" : "", j ? " joinfail" : "", s->sf_no);
		if (j) {
			fprintf(f, " data-outcome=\"");
			rpt_esc(f, j->outcome);
			fputc('"', f);
		}
		fprintf(f, "><title>sf %d %s: ", s->sf_no, s->kind);
		rpt_esc(f, s->src);
		fprintf(f, ":%d &#8594; ", s->sport);
		rpt_esc(f, s->dst);
		fprintf(f, ":%d, %s sent by the SYN sender, %s back%s", s->dport, bf, br, s->failed ? "; " : "");
		if (s->failed)
			rpt_esc(f, s->why);
		fprintf(f, "</title>\n");
		/* a failed join is dashed finer than a backup subflow */
		fprintf(f, "<path d=\"M%.1f %.1f Q%.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"%s\""
			" stroke-width=\"3\"%s/>\n", c[0], c[1], c[2], c[3], c[4], c[5], rpt_sf_color(i),
			j ? " stroke-dasharray=\"3 5\"" : s->backup ? " stroke-dasharray=\"9 6\"" : "");
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"200\" height=\"%d\" rx=\"4\" class=\"elabel\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\"><tspan font-weight=\"bold\" fill=\"%s\">"
			"sf %d</tspan> %s%s%s</text>\n", lx - 100, ly - 12, s->failed ? 34 : 20, lx, ly + 2,
			rpt_sf_color(i), s->sf_no, s->initial ? "initial" : s->kind, s->backup ? ", backup" : "",
			s->hmac_ok == 0 ? ", HMAC &#10007;" : "");
		if (s->failed) {
			fprintf(f, "<text class=\"failmark\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">&#10007; ",
				lx, ly + 17);
			rpt_esc(f, s->why);
			fprintf(f, "</text>\n");
		}
		fprintf(f, "</g>\n");
	}
	/* the failed joins with no drawn subflow: edges nsf.. in jf order */
	for (int i = 0; i < d->njf && extra < m->n_edge; i++)
		if (d->jf[i].k < 0)
			write_joinfail(f, &g, m, &m->edge[extra++], &d->jf[i]);
	for (size_t i = 0; i < m->n_node; i++) {
		const struct mp_gnode *nd = &m->node[i];
		double x = (nd->side ? xr : xl) - nw / 2, y = 60 + pitch * nd->row;
		fprintf(f, "<g class=\"node\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" rx=\"8\"%s/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"addr\">", x, y, nw, nh,
			nd->removed ? " class=\"removed\"" : "", x + nw / 2, y + 18);
		rpt_esc(f, nd->addr);
		fprintf(f, "</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"ids\">", x + nw / 2,
			y + 35);
		if (nd->n_ids) {
			fprintf(f, "address id%s ", nd->n_ids > 1 ? "s" : "");
			for (unsigned k = 0; k < nd->n_ids; k++)
				fprintf(f, "%s%d", k ? ", " : "", nd->ids[k]);
		} else {
			fprintf(f, "address id unknown");
		}
		fprintf(f, "%s%s</text></g>\n", nd->announced_by >= 0 ? " &#183; ADD_ADDR" : "",
			nd->removed ? " &#183; removed" : "");
	}
	fprintf(f, "</svg>\n");
	fprintf(f, "<p class=\"legend\">Edges are subflows (colour as in the timeline);"
		" <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"10\"><line x1=\"0\" y1=\"5\" x2=\"40\""
		" y2=\"5\" stroke=\"#555\" stroke-width=\"3\" stroke-dasharray=\"9 6\"/></svg> backup;"
		" <span class=\"failmark\">&#10007;</span> failed (reset, failed over, HMAC failure or never"
		" established);");
	if (d->njf_total)
		fprintf(f, " <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"10\"><line x1=\"0\""
			" y1=\"5\" x2=\"40\" y2=\"5\" stroke=\"#b00020\" stroke-width=\"3\" stroke-dasharray=\"3 5\"/>"
			"</svg> failed join attempt, labelled with its outcome (%d);", d->njf_total);
	fprintf(f, " hover an edge for its 4-tuple and bytes.</p>\n");
}

