/* SPDX-License-Identifier: BSD-2-Clause */
/* dsn.c - the report's data-sequence plot of one connection: the DSN
 * ranges each subflow mapped over time, the DATA_ACK step line,
 * reinjections and the outage episodes (report_int.h).
 *
 * RFC 8684 §3.3 (DSS mappings, DATA_ACK), §3.3.6 (reinjection after a
 * subflow fails). Positions are bytes from the direction's origin, from
 * the engine's 64-bit values (bins.c). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report_int.h"

/* Y axis for the DSN plot. */
static double yd(int64_t v, int64_t ymax, double y0, double y1)
{
	return y1 - (double)v / (double)ymax * (y1 - y0);
}

void rpt_write_dsn(FILE *f, const struct rpt_data *d)
{
	const double y0 = 20, y1 = 330, h = 380;
	const int64_t ymax = d->yplot;
	char lab[32];

	if (!d->have_opts && d->db_opts) {
		fprintf(f, "<p class=\"note\">No data-sequence plot: no DSS option of this connection was seen%s.</p>\n",
			d->c.fallback[0] ? " (it fell back to plain TCP)" : "");
		return;
	}
	if (!d->have_opts) {
		fprintf(f, "<p class=\"note\">No data-sequence plot: the database has no per-option rows for this"
			" connection (it was written without <code>--db-packets</code>). Run <code>mpana report</code>"
			" on the trace itself to get it.</p>\n");
		return;
	}
	if (ymax <= 0) {
		fprintf(f, "<p class=\"note\">No data mapped in either direction.</p>\n");
		return;
	}
	double ystep = rpt_nice_ceil((double)ymax / 6.0);
	fprintf(f, "<svg class=\"dsn\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
		" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"data sequence plot\">\n", W, h, W, h);
	for (int i = 0; i < d->nfo; i++) {
		const struct rpt_fo *o = &d->fo[i];
		double t2 = isnan(o->t_recovered) ? o->t_fail + o->latency_ms / 1e3 : o->t_recovered;
		if (isnan(o->t_fail))
			continue;
		fprintf(f, "<rect class=\"fshade\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
			rpt_xt(d, o->t_fail), y0, rpt_xt(d, t2) - rpt_xt(d, o->t_fail), y1 - y0);
	}
	rpt_time_axis(f, d, y0, y1);
	fprintf(f, "<g class=\"axis\">\n");
	for (double v = 0; v <= (double)ymax * 1.0000001; v += ystep) {
		double y = yd((int64_t)v, ymax, y0, y1);
		rpt_fmt_bytes(lab, sizeof lab, v);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML - 4, y, W - MR, y, ML - 8,
			y + 4, lab);
	}
	fprintf(f, "<line class=\"axisline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ML, y0, ML, y1);
	fprintf(f, "<text class=\"axislabel\" transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">"
		"data sequence, %s (bytes from IDSN)</text>\n</g>\n", ML - 80, (y0 + y1) / 2,
		d->main_dir ? "server &#8594; client" : "client &#8594; server");
	for (int i = 0; i < d->nsf; i++) {
		bool any = false;
		for (int b = 0; b < d->ndb; b++) {
			if (d->dmax[i][b] < 0)
				continue;
			double xa = rpt_xt(d, d->tmin[i][b]), xb = rpt_xt(d, d->tmax[i][b]);
			if (!any)
				fprintf(f, "<path class=\"dsnpts\" data-subflow=\"%d\" stroke=\"%s\" d=\"", d->sf[i].sf_no,
					rpt_sf_color(i));
			any = true;
			fprintf(f, "M%.1f %.1fL%.1f %.1f", xa, yd(d->dmin[i][b], ymax, y0, y1), xb < xa + 1 ? xa + 1 : xb,
				yd(d->dmax[i][b], ymax, y0, y1));
		}
		if (any)
			fprintf(f, "\"/>\n");
	}
	/* DATA_ACK: a step line through the per-bin maxima, carried forward. */
	int64_t cur = -1;
	bool started = false;
	for (int b = 0; b < d->ndb; b++) {
		if (d->ack[b] > cur)
			cur = d->ack[b];
		if (cur < 0)
			continue;
		double x = rpt_xt(d, d->t0 + (b + 1) * d->dbin), y = yd(cur, ymax, y0, y1);
		if (!started)
			fprintf(f, "<path class=\"dataack\" d=\"M%.1f %.1f", rpt_xt(d, d->t0 + b * d->dbin), y);
		else
			fprintf(f, "V%.1f", y);
		fprintf(f, "H%.1f", x);
		started = true;
	}
	if (started)
		fprintf(f, "\"/>\n");
	/* Reinjections: the segments the engine marked, at their own DSN */
	for (int i = 0; i < d->nreinj; i++) {
		const struct rpt_reinj *r = &d->reinj[i];
		char fb[32];

		fprintf(f, "<g class=\"reinjection\"><title>reinjection at %.6f s on sf %d:"
			" frame %s, %lld bytes at DSN +%lld</title><circle cx=\"%.1f\" cy=\"%.1f\""
			" r=\"6\"/></g>\n", r->ts - d->t0, r->k >= 0 ? d->sf[r->k].sf_no : 0,
			rpt_frame(fb, r->frame), r->len,
			(long long)r->rel, rpt_xt(d, r->ts), yd(r->rel, ymax, y0, y1));
	}
	fprintf(f, "</svg>\n");
	fprintf(f, "<p class=\"legend\">Coloured lines: the DSN ranges a subflow mapped, from the first to"
		" the last segment seen carrying them (merged per %.3g ms bin; colour = subflow); <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"30\" height=\"10\"><line x1=\"0\""
		" y1=\"5\" x2=\"30\" y2=\"5\" class=\"dataack\"/></svg> DATA_ACK (highest per bin);"
		" <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"5\""
		" class=\"reinj\"/></svg> reinjection (%d drawn); grey band: failover. Plotted direction: the one"
		" with more data.</p>\n", d->dbin * 1e3, d->nreinj);
}

