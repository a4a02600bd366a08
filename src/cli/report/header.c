/* SPDX-License-Identifier: BSD-2-Clause */
/* header.c - the report's verdict table of one connection: endpoints,
 * version, data, duration, subflows, HMAC verdicts, handshake order,
 * fallback and failovers (report_int.h).
 *
 * RFC 8684 §3.1 (MP_CAPABLE, version), §3.2 (MP_JOIN HMACs), §3.4.1
 * (ADD_ADDR HMAC), §3.7 (fallback). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "report_int.h"

static void sf_label(char *buf, size_t n, const struct rpt_sf *s)
{
	snprintf(buf, n, "sf %d", s->sf_no);
}

void rpt_write_header(FILE *f, const struct rpt_data *d)
{
	const struct rpt_conn *c = &d->c;
	char b1[32], b2[32];
	int hm_ok = 0, hm_bad = 0, hm_na = 0;

	fprintf(f, "<table class=\"kv\">\n<tr><th>endpoints</th><td>");
	rpt_esc(f, c->client);
	fprintf(f, ":%d &#8594; ", c->cport);
	rpt_esc(f, c->server);
	fprintf(f, ":%d (client &#8594; server: the MP_CAPABLE SYN sender first)</td></tr>\n", c->sport);
	if (c->version >= 0)
		fprintf(f, "<tr><th>version</th><td>MPTCP v%d (%s)</td></tr>\n", c->version,
			c->version == 0 ? "RFC 6824" : "RFC 8684");
	else
		fprintf(f, "<tr><th>version</th><td>unknown</td></tr>\n");
	fprintf(f, "<tr><th>app protocol</th><td>");
	rpt_esc(f, c->app[0] ? c->app : "unknown");
	rpt_fmt_bytes(b1, sizeof b1, (double)c->bytes_c2s);
	rpt_fmt_bytes(b2, sizeof b2, (double)c->bytes_s2c);
	fprintf(f, "</td></tr>\n<tr><th>data</th><td>%s client &#8594; server, %s server &#8594; client;"
		" %" PRId64 " reinjected segment%s (%" PRId64 " bytes)</td></tr>\n",
		b1, b2, c->reinj_frames, c->reinj_frames == 1 ? "" : "s", c->reinj_bytes);
	fprintf(f, "<tr><th>duration</th><td>%.3f s", d->dur);
	if (c->close_reason[0]) {
		fprintf(f, ", closed (");
		rpt_esc(f, c->close_reason);
		fprintf(f, ")");
	} else {
		fprintf(f, ", still open at the end of the capture");
	}
	fprintf(f, "; capture vantage: ");
	rpt_esc(f, c->vantage[0] ? c->vantage : "unknown");
	fprintf(f, "</td></tr>\n<tr><th>subflows</th><td>%d", d->nsf_total);
	for (int i = 0; i < d->nsf; i++) {
		char l[16];
		sf_label(l, sizeof l, &d->sf[i]);
		fprintf(f, "%s<span class=\"sw\" style=\"background:%s\"></span>%s %s%s%s",
			i ? ", " : ": ", rpt_sf_color(i), l, d->sf[i].kind, d->sf[i].backup ? " backup" : "",
			d->sf[i].failed ? " (failed)" : "");
		if (d->sf[i].hmac_ok == 1)
			hm_ok++;
		else if (d->sf[i].hmac_ok == 0)
			hm_bad++;
		else if (!d->sf[i].initial)
			hm_na++;
	}
	if (d->nsf < d->nsf_total)
		fprintf(f, " (the first %d are drawn)", d->nsf);
	fprintf(f, "</td></tr>\n");

	fprintf(f, "<tr><th>HMACs</th><td class=\"%s\">MP_JOIN: %d verified, %d failed, %d not verifiable;"
		" ADD_ADDR: %d announced, %d verified, %d failed</td></tr>\n",
		hm_bad || d->addr_bad ? "bad" : "good", hm_ok, hm_bad, hm_na, d->addr_n, d->addr_ok,
		d->addr_bad);

	if (d->have_verdict) {
		if (d->hs_valid)
			fprintf(f, "<tr><th>handshake order</th><td class=\"good\">valid (%d join%s)</td></tr>\n",
				d->hs_joins, d->hs_joins == 1 ? "" : "s");
		else {
			fprintf(f, "<tr><th>handshake order</th><td class=\"bad\">invalid: ");
			rpt_esc(f, d->hs_reason);
			fprintf(f, "</td></tr>\n");
		}
	}
	fprintf(f, "<tr><th>fallback</th><td class=\"%s\">", c->fallback[0] ? "bad" : "good");
	if (c->fallback[0])
		rpt_esc(f, c->fallback);
	else
		fputs("none", f);
	if (c->partial)
		fputs("; partial: built from a join whose token matched no connection", f);
	fprintf(f, "</td></tr>\n<tr><th>failovers</th><td>");
	if (!d->nfo)
		fputs("none found", f);
	for (int i = 0; i < d->nfo; i++) {
		const struct rpt_fo *o = &d->fo[i];
		int a = rpt_sf_index(d, o->from), b = rpt_sf_index(d, o->to);
		fprintf(f, "%s<b>%s%.1f ms</b> (", i ? "<br/>" : "", o->lower_bound ? "&#8805; " : "",
			o->latency_ms);
		rpt_esc(f, o->kind);
		fprintf(f, " %s, sf %d &#8594; sf %d, cause ", o->dir, a >= 0 ? d->sf[a].sf_no : 0,
			b >= 0 ? d->sf[b].sf_no : 0);
		rpt_esc(f, o->cause[0] ? o->cause : "none");
		fprintf(f, ", fail at %.3f s", o->t_fail - d->t0);
		if (!isnan(o->t_recovered))
			fprintf(f, ", recovered at %.3f s", o->t_recovered - d->t0);
		fprintf(f, ", DATA_ACK stall %.1f ms)", o->stall_ms);
	}
	fprintf(f, "</td></tr>\n</table>\n");
}

