/* SPDX-License-Identifier: BSD-2-Clause */
/* handshake.c - the report's handshake-order table of one connection: the
 * MP_CAPABLE and MP_JOIN steps in order with their verdicts (report_int.h;
 * the verdict itself is in the header).
 *
 * RFC 8684 §3.1 (MP_CAPABLE handshake), §3.2 (MP_JOIN handshake). */
#include <inttypes.h>
#include <stdio.h>

#include "report_int.h"

void rpt_write_handshake(FILE *f, const struct rpt_data *d)
{
	fprintf(f, "<table class=\"hs\">\n<thead><tr><th>#</th><th>time (ms)</th><th>frame</th><th>subflow</th>"
		"<th>step</th><th>verdict</th><th>detail</th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < d->nhs; i++) {
		const struct rpt_hs *h = &d->hs[i];
		int k = h->k, ok = h->ok;
		char fb[32];

		fprintf(f, "<tr><td>%d</td><td class=\"num\">%.3f</td><td class=\"num\">%s</td><td>",
			h->seq, h->rel_ms, rpt_frame(fb, h->frame));
		if (k >= 0)
			fprintf(f, "<span class=\"sw\" style=\"background:%s\"></span>sf %d", rpt_sf_color(k),
				d->sf[k].sf_no);
		fprintf(f, "</td><td>");
		rpt_esc(f, h->step);
		fprintf(f, "</td><td class=\"%s\">%s</td><td>", ok == 1 ? "good" : ok == 0 ? "bad" : "",
			ok == 1 ? "ok" : ok == 0 ? "FAILED" : "");
		rpt_esc(f, h->detail);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</tbody>\n</table>\n");
	if (d->hs_more)
		fprintf(f, "<p class=\"note\">%d more rows: <code>mpana query DB \"SELECT * FROM handshake_order"
			" WHERE conn_id = %" PRId64 "\"</code>.</p>\n", d->hs_more, d->c.id);
}
