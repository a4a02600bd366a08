/* SPDX-License-Identifier: BSD-2-Clause */
/* timeline.c - the report's timeline of one connection: a lane per
 * subflow with its data rate and lifetime, control-event markers and the
 * outage episodes shaded (report_int.h).
 *
 * RFC 8684 §3.2 (MP_JOIN), §3.3 (DSS mappings), §3.4 (ADD_ADDR,
 * REMOVE_ADDR), §3.3.4 (MP_PRIO), §3.5 (MP_FASTCLOSE), §3.6 (MP_TCPRST),
 * §3.7 (MP_FAIL). */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"

/* The control events drawn as markers (model.c selects these types). */
struct marker_kind {
	const char *type;         /* events.type */
	const char *abbr;         /* the label on the marker (XHTML) */
	const char *name;         /* the option or flag, in its tooltip */
};

static const struct marker_kind marker_kinds[] = {
	{ "join_syn", "J", "MP_JOIN SYN" },
	{ "add_addr", "A+", "ADD_ADDR" },
	{ "remove_addr", "A&#8722;", "REMOVE_ADDR" },
	{ "mp_prio", "P", "MP_PRIO" },
	{ "mp_fail", "MF", "MP_FAIL" },
	{ "mp_fastclose", "FC", "MP_FASTCLOSE" },
	{ "mp_tcprst", "TR", "MP_TCPRST" },
	{ "fin", "F", "FIN" },
	{ "rst", "R", "RST" },
};

static const struct marker_kind *marker_find(const char *type)
{
	for (size_t i = 0; i < sizeof marker_kinds / sizeof marker_kinds[0]; i++)
		if (!strcmp(marker_kinds[i].type, type))
			return &marker_kinds[i];
	return NULL;
}

void rpt_write_timeline(FILE *f, const struct rpt_data *d)
{
	const double top = 44, lane0 = top + LANE_H * 0.6 + LANE_GAP; /* connection row, then lanes */
	double bottom = lane0 + d->nsf * (LANE_H + LANE_GAP);
	double h = bottom + 44, pw = (W - ML - MR) / d->dur;
	double peak = 0;
	double last_lab[MAX_SF + 1];

	for (int i = 0; i < d->nsf; i++)
		for (int b = 0; b < d->nrb; b++) {
			double v = (d->rate[i][0][b] + d->rate[i][1][b]) * 8 / d->rbin / 1e6;
			if (v > peak)
				peak = v;
		}
	fprintf(f, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
		" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"timeline\">\n", W, h, W, h);
	/* Failover shading under everything. */
	for (int i = 0; i < d->nfo; i++) {
		const struct rpt_fo *o = &d->fo[i];
		if (isnan(o->t_fail))
			continue;
		/* one band per episode, t_fail to t_recovered (or the end of
		 * the capture when it never recovered) */
		double x1 = rpt_xt(d, o->t_fail);
		double x2 = rpt_xt(d, isnan(o->t_recovered) ? o->t_fail + o->latency_ms / 1e3 : o->t_recovered);
		int a = rpt_sf_index(d, o->from), b = rpt_sf_index(d, o->to);
		const char *kind = strcmp(o->kind, "stall") ? "failover" : "stall";
		fprintf(f, "<g class=\"failover %s\" data-from=\"%d\" data-to=\"%d\"><title>%s %s sf %d &#8594; sf %d:"
			" %s%.1f ms (cause %s)</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\">%s sf %d &#8594; sf %d: %s%.1f ms</text></g>\n",
			kind, a >= 0 ? d->sf[a].sf_no : 0, b >= 0 ? d->sf[b].sf_no : 0, kind, o->dir,
			a >= 0 ? d->sf[a].sf_no : 0, b >= 0 ? d->sf[b].sf_no : 0,
			o->lower_bound ? "&#8805; " : "", o->latency_ms, o->cause[0] ? o->cause : "none",
			x1, top - 30 + 12.0 * i, x2 - x1 < 1 ? 1 : x2 - x1, bottom - top + 30 - 12.0 * i,
			x1 + 3, top - 20 + 12.0 * i, kind, a >= 0 ? d->sf[a].sf_no : 0,
			b >= 0 ? d->sf[b].sf_no : 0, o->lower_bound ? "&#8805; " : "", o->latency_ms);
	}
	rpt_time_axis(f, d, top, bottom);
	fprintf(f, "<text class=\"lanelab\" x=\"8\" y=\"%.1f\">connection events</text>\n", top + LANE_H * 0.35);
	fprintf(f, "<line class=\"laneline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ML,
		top + LANE_H * 0.6, W - MR, top + LANE_H * 0.6);
	for (int i = 0; i < d->nsf; i++) {
		const struct rpt_sf *s = &d->sf[i];
		double y = lane0 + i * (LANE_H + LANE_GAP), base = y + LANE_H;
		double lane_peak = 0;
		fprintf(f, "<g class=\"lane\" data-subflow=\"%d\" data-conn=\"%" PRId64 "\">\n", s->sf_no, d->c.id);
		fprintf(f, "<rect class=\"lanebg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", ML, y,
			W - ML - MR, LANE_H);
		/* lifetime: SYN to close (or the end) */
		double ls = isnan(s->syn_ts) ? d->t0 : s->syn_ts;
		double le = isnan(s->closed_ts) ? d->t0 + d->dur : s->closed_ts;
		fprintf(f, "<rect class=\"life\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"3\" fill=\"%s\"/>\n",
			rpt_xt(d, ls), base - 3, rpt_xt(d, le) - rpt_xt(d, ls) < 1 ? 1 : rpt_xt(d, le) - rpt_xt(d, ls), rpt_sf_color(i));
		fprintf(f, "<text class=\"lanelab\" x=\"8\" y=\"%.1f\"><tspan font-weight=\"bold\" fill=\"%s\">sf %d</tspan>"
			" %s%s%s</text>\n", y + 16, rpt_sf_color(i), s->sf_no, s->kind, s->backup ? ", backup" : "",
			s->failed ? ", failed" : "");
		fprintf(f, "<text class=\"lanesub\" x=\"8\" y=\"%.1f\">", y + 32);
		rpt_esc(f, s->src);
		fprintf(f, ":%d &#8594; ", s->sport);
		rpt_esc(f, s->dst);
		fprintf(f, ":%d</text>\n", s->dport);
		if (d->have_opts && peak > 0) {
			/* c2s solid, s2c stacked on top, lighter */
			for (int dir = 0; dir < 2; dir++) {
				bool any = false;
				for (int b = 0; b < d->nrb; b++) {
					double v0 = d->rate[i][0][b] * 8 / d->rbin / 1e6;
					double v = d->rate[i][dir][b] * 8 / d->rbin / 1e6;
					if (v <= 0)
						continue;
					if (v0 + d->rate[i][1][b] * 8 / d->rbin / 1e6 > lane_peak)
						lane_peak = v0 + d->rate[i][1][b] * 8 / d->rbin / 1e6;
					double hh = v / peak * (LANE_H - 6);
					double yb = base - 3 - (dir ? v0 / peak * (LANE_H - 6) : 0);
					double bw = d->rbin * pw;
					if (!any)
						fprintf(f, "<path class=\"rate %s\" fill=\"%s\"%s d=\"", dir ? "s2c" : "c2s",
							rpt_sf_color(i), dir ? " fill-opacity=\"0.4\"" : "");
					any = true;
					fprintf(f, "M%.1f %.1fh%.2fv%.1fh%.2fz", rpt_xt(d, d->t0 + b * d->rbin), yb,
						bw > 1.2 ? bw - 0.4 : bw, -hh, -(bw > 1.2 ? bw - 0.4 : bw));
				}
				if (any)
					fprintf(f, "\"/>\n");
			}
			fprintf(f, "<text class=\"peak\" x=\"8\" y=\"%.1f\">peak %.2f Mbit/s</text>\n", y + 47, lane_peak);
		} else {
			char b1[32], b2[32];
			rpt_fmt_bytes(b1, sizeof b1, (double)s->bytes_fwd);
			rpt_fmt_bytes(b2, sizeof b2, (double)s->bytes_rev);
			fprintf(f, "<text class=\"peak\" x=\"8\" y=\"%.1f\">%s &#8594;, %s &#8592; (lifetime only)</text>\n",
				y + 47, b1, b2);
		}
		fprintf(f, "</g>\n");
	}
	/* Event markers. */
	for (int i = 0; i <= MAX_SF; i++)
		last_lab[i] = -100;
	for (int i = 0; i < d->nmark; i++) {
		const struct rpt_marker *m = &d->mark[i];
		const struct marker_kind *mk = marker_find(m->type);
		int k = m->k;
		double x = rpt_xt(d, m->ts), y0, y1;
		if (!mk)
			continue;
		if (k < 0 || !strcmp(m->type, "add_addr") || !strcmp(m->type, "remove_addr")) {
			y0 = top;
			y1 = top + LANE_H * 0.6;
		} else {
			y0 = lane0 + k * (LANE_H + LANE_GAP);
			y1 = y0 + LANE_H;
		}
		char fb[32];

		fprintf(f, "<g class=\"marker\" data-type=\"%s\"><title>%s at %.6f s, frame %s%s", m->type, mk->name,
			m->ts - d->t0, rpt_frame(fb, m->frame), m->detail[0] ? ": " : "");
		rpt_esc(f, m->detail);
		fprintf(f, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, y0, x, y1);
		int li = k < 0 || y0 == top ? MAX_SF : k;
		if (x - last_lab[li] > 18) {
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>", x + 2, y0 + 11, mk->abbr);
			last_lab[li] = x;
		}
		fprintf(f, "</g>\n");
	}
	fprintf(f, "</svg>\n");
	fprintf(f, "<p class=\"legend\">Bars: data mapped per subflow (new DSS mappings, bytes) per %.3g ms bin,"
		" as Mbit/s on one scale for all lanes (peak %.2f Mbit/s); solid client &#8594; server,"
		" light server &#8594; client. Thin bar at the bottom of a lane: subflow lifetime (SYN to close)."
		" Markers:", d->rbin * 1e3, peak);
	for (size_t i = 0; i < sizeof marker_kinds / sizeof marker_kinds[0]; i++)
		fprintf(f, " <b>%s</b> %s%s", marker_kinds[i].abbr, marker_kinds[i].name,
			i + 1 < sizeof marker_kinds / sizeof marker_kinds[0] ? "," : ".");
	fprintf(f, " ADD_ADDR / REMOVE_ADDR and events of no subflow are on the connection row."
		" Grey band: an outage episode (failover or stall), from the failed subflow's last sign of life"
		" (t_fail) to the first DATA_ACK covering all the data it lost (t_recovered), labelled with its"
		" latency.");
	if (d->mark_skipped)
		fprintf(f, " %d more markers not drawn.", d->mark_skipped);
	fprintf(f, "</p>\n");
}

