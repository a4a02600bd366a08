/* SPDX-License-Identifier: BSD-2-Clause */
/* graph_svg.c - the report's subflow graph of one connection as SVG:
 * client addresses left, server addresses right, subflows as curves
 * between them, from the graph model's layout (mpana/graph_model.h;
 * `mpana graph` renders the same model as DOT).
 *
 * RFC 8684 §3.2 (MP_JOIN subflows, backup), §3.4 (address ids,
 * ADD_ADDR, REMOVE_ADDR). */
#include <math.h>
#include <stdio.h>

#include "mpana/graph_model.h"

#include "report_int.h"

void rpt_write_graph(FILE *f, const struct rpt_data *d, const struct mp_gmodel *m)
{
	const double gw = 900, xl = 170, xr = 730, nw = 220, nh = 44, pitch = 84;
	const double gh = 60 + pitch * m->rows + 10;
	double labx[MAX_SF], laby[MAX_SF];
	int nlab = 0;

	fprintf(f, "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
		" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"subflow graph\">\n", gw, gh, gw, gh);
	fprintf(f, "<text class=\"side\" x=\"%.0f\" y=\"22\" text-anchor=\"middle\">client addresses</text>"
		"<text class=\"side\" x=\"%.0f\" y=\"22\" text-anchor=\"middle\">server addresses</text>\n",
		xl, xr);
	/* Edges first, so nodes cover their ends. */
	for (int i = 0; i < d->nsf; i++) {
		const struct rpt_sf *s = &d->sf[i];
		const struct mp_gedge *e = &m->edge[i];
		const struct mp_gnode *a = &m->node[e->src_side ? e->to : e->from];
		const struct mp_gnode *b = &m->node[e->src_side ? e->from : e->to];
		int dup = e->dup;
		double x1 = xl + nw / 2, x2 = xr - nw / 2;
		double y1 = 60 + pitch * a->row + nh / 2, y2 = 60 + pitch * b->row + nh / 2;
		double off = (dup % 2 ? 1 : -1) * 22.0 * ((dup + 1) / 2);
		double mx = (x1 + x2) / 2, my = (y1 + y2) / 2 + 2 * off;
		char bf[32], br[32];
		rpt_fmt_bytes(bf, sizeof bf, (double)s->bytes_fwd);
		rpt_fmt_bytes(br, sizeof br, (double)s->bytes_rev);
		fprintf(f, "<g class=\"edge%s%s\" data-subflow=\"%d\"><title>sf %d %s: ", s->backup ? " backup" : "",
			s->failed ? " failed" : "", s->sf_no, s->sf_no, s->kind);
		rpt_esc(f, s->src);
		fprintf(f, ":%d &#8594; ", s->sport);
		rpt_esc(f, s->dst);
		fprintf(f, ":%d, %s sent by the SYN sender, %s back%s%s</title>\n", s->dport, bf, br,
			s->failed ? "; " : "", s->failed ? s->why : "");
		fprintf(f, "<path d=\"M%.1f %.1f Q%.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"%s\""
			" stroke-width=\"3\"%s/>\n", x1, y1, mx, my, x2, y2, rpt_sf_color(i),
			s->backup ? " stroke-dasharray=\"9 6\"" : "");
		/* The label sits on the curve (quadratic Bezier, parameter t), at
		 * the first of a few positions that does not cover another label. */
		static const double ts[] = { 0.5, 0.28, 0.72, 0.16, 0.84 };
		double lx = 0, ly = 0, best = -1;
		for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
			double t = ts[k], u = 1 - t, score = 1e9;
			double px = u * u * x1 + 2 * u * t * mx + t * t * x2;
			double py = u * u * y1 + 2 * u * t * my + t * t * y2;
			for (int j = 0; j < nlab; j++) {
				double sx = fabs(labx[j] - px) / 205, sy = fabs(laby[j] - py) / 50;
				double sc = sx > sy ? sx : sy;
				if (sc < score)
					score = sc;
			}
			if (score > best) {
				best = score;
				lx = px;
				ly = py;
			}
			if (score >= 1)
				break;
		}
		if (nlab < MAX_SF) {
			labx[nlab] = lx;
			laby[nlab++] = ly;
		}
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
		" established); hover an edge for its 4-tuple and bytes.</p>\n");
}

