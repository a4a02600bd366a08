/* SPDX-License-Identifier: BSD-2-Clause */
/* header.c - the report's verdict table of one connection: endpoints,
 * version, data, duration, subflows, HMAC verdicts, announced addresses
 * and their use, handshake order, fallback (with its proof when known),
 * failovers and connection stalls (report_int.h).
 *
 * RFC 8684 §3.1 (MP_CAPABLE, version), §3.2 (MP_JOIN HMACs), §3.4.1
 * (ADD_ADDR HMAC), §3.7 (fallback). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"

static void sf_label(char *buf, size_t n, const struct rpt_sf *s)
{
	snprintf(buf, n, "sf %d", s->sf_no);
}

/* The announced addresses (address_use) with their verdicts; the ones
 * never used are marked bad, each entry classed with its verdict. */
static void write_announcements(FILE *f, const struct rpt_data *d)
{
	fprintf(f, "<tr><th>addresses</th><td>");
	for (int i = 0; i < d->nann; i++) {
		const struct rpt_ann *a = &d->ann[i];
		bool used = !strcmp(a->verdict, "used");
		fprintf(f, "%s<span class=\"announce ", i ? "<br/>" : "");
		rpt_esc(f, a->verdict);
		fprintf(f, " %s\">", used ? "good" : "bad");
		rpt_esc(f, a->addr);
		if (a->port)
			fprintf(f, " port %d", a->port);
		fprintf(f, " (id %d, ADD_ADDR by the ", a->addr_id);
		rpt_esc(f, a->announcer);
		fprintf(f, "): ");
		if (used)
			fprintf(f, "used, %d of %d join%s established", a->joins_est, a->joins,
				a->joins == 1 ? "" : "s");
		else if (!strcmp(a->verdict, "unused"))
			fprintf(f, "unused: %s, never joined", a->echoed ? "echoed" : "not echoed");
		else if (!strcmp(a->verdict, "failed"))
			fprintf(f, "failed: %d join%s, none established", a->joins, a->joins == 1 ? "" : "s");
		else if (!strcmp(a->verdict, "not_echoed"))
			fprintf(f, "not echoed by the peer");
		else
			rpt_esc(f, a->verdict);
		if (a->hmac_ok == 0)
			fprintf(f, ", HMAC &#10007;");
		fprintf(f, "</span>");
	}
	if (d->nann < d->nann_total)
		fprintf(f, "<br/>(the first %d of %d are listed)", d->nann, d->nann_total);
	fprintf(f, "</td></tr>\n");
}

/* The connection stalls (stalls table): the DATA_ACK stood still. */
static void write_stalls(FILE *f, const struct rpt_data *d)
{
	char fb[32];

	fprintf(f, "<tr><th>stalls</th><td class=\"bad\">");
	for (int i = 0; i < d->nstall; i++) {
		const struct rpt_stall *s = &d->stall[i];
		fprintf(f, "%s<span class=\"stall\">", i ? "<br/>" : "");
		rpt_esc(f, s->dir);
		fprintf(f, " DATA_ACK stalled at %.3f s (frame %s) for %.1f ms, ", s->t_start - d->t0,
			rpt_frame(fb, s->frame), s->duration_ms);
		if (s->ended)
			fprintf(f, "advanced again at %.3f s", s->t_end - d->t0);
		else
			fprintf(f, "to the end of the capture");
		fprintf(f, "</span>");
	}
	if (d->nstall < d->nstall_total)
		fprintf(f, "<br/>(the first %d of %d are listed)", d->nstall, d->nstall_total);
	fprintf(f, "</td></tr>\n");
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
	if (d->nann_total)
		write_announcements(f, d);

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
	if (c->fallback[0]) {
		rpt_esc(f, c->fallback);
		if (c->fallback_frame >= 0 || c->fallback_side[0]) {
			char fb[32];

			fputs("<span class=\"fbcause\">", f);
			if (c->fallback_frame >= 0)
				fprintf(f, "; proven by frame %s", rpt_frame(fb, c->fallback_frame));
			if (c->fallback_side[0]) {
				fputs("; fell back: ", f);
				rpt_esc(f, c->fallback_side);
			}
			fputs("</span>", f);
		}
	} else {
		fputs("none", f);
	}
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
	fprintf(f, "</td></tr>\n");
	if (d->nstall_total)
		write_stalls(f, d);
	fprintf(f, "</table>\n");
}

