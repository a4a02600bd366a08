/* SPDX-License-Identifier: BSD-2-Clause */
/* merge_records.c - the inputs of a merged trace and the packets two of
 * them share, in the summary (include/mpana/merge.h, include/mpana/report.h).
 *
 * Text: "  inputs: 1 a.pcap (812 packets), 2 b.pcap (790 packets)" and one
 * line per ordered pair of inputs that saw the same packets:
 * "  seen in 1 then 2: 640 packets, delay min 0.052 mean 0.061 max 0.310 ms".
 * JSON (keys of the summary record): "inputs": [{"input", "file",
 * "packets", "linktype"}], "duplicates", "input_pairs": [{"first",
 * "second", "packets", "delay_ms": {"min", "mean", "max"}}]. */
#include "mpana/merge.h"
#include "mpana/out.h"
#include "mpana/report.h"

/* Milliseconds with microsecond digits ("0.061"); never negative here. */
static void out_ms(struct mp_out *o, double ns)
{
	uint64_t us = ns > 0 ? (uint64_t)(ns / 1e3 + 0.5) : 0;

	mp_out_u64(o, us / 1000);
	mp_out_ch(o, '.');
	mp_out_ch(o, (char)('0' + us % 1000 / 100));
	mp_out_ch(o, (char)('0' + us % 100 / 10));
	mp_out_ch(o, (char)('0' + us % 10));
}

void mp_out_merge_text(struct mp_out *o, const struct mp_merge_stats *ms)
{
	mp_out_str(o, "  inputs:");
	for (unsigned i = 0; i < ms->ninputs; i++) {
		mp_out_str(o, i ? ", " : " ");
		mp_out_u64(o, i + 1);
		mp_out_ch(o, ' ');
		mp_out_str(o, ms->names[i]);
		mp_out_str(o, " (");
		mp_out_u64(o, ms->packets[i]);
		mp_out_str(o, " packets)");
	}
	mp_out_str(o, "; the same packet in two inputs: ");
	mp_out_u64(o, ms->duplicates);
	mp_out_str(o, " analyzed once");
	mp_out_eol(o);
	for (unsigned i = 0; i < ms->npairs; i++) {
		const struct mp_merge_pair *p = &ms->pair[i];

		mp_out_str(o, "  seen in ");
		mp_out_u64(o, p->first);
		mp_out_str(o, " then ");
		mp_out_u64(o, p->second);
		mp_out_str(o, ": ");
		mp_out_u64(o, p->packets);
		mp_out_str(o, " packets, delay min ");
		out_ms(o, (double)p->delay_min_ns);
		mp_out_str(o, " mean ");
		out_ms(o, p->delay_sum_ns / (double)p->packets);
		mp_out_str(o, " max ");
		out_ms(o, (double)p->delay_max_ns);
		mp_out_str(o, " ms");
		mp_out_eol(o);
	}
}

void mp_out_merge_json(struct mp_out *o, const struct mp_merge_stats *ms)
{
	mp_out_str(o, ",\"inputs\":[");
	for (unsigned i = 0; i < ms->ninputs; i++) {
		mp_out_str(o, i ? ",{\"input\":" : "{\"input\":");
		mp_out_u64(o, i + 1);
		mp_out_str(o, ",\"file\":");
		mp_out_json_str(o, ms->names[i]);
		mp_out_str(o, ",\"packets\":");
		mp_out_u64(o, ms->packets[i]);
		mp_out_str(o, ",\"linktype\":");
		mp_out_i64(o, ms->dlt[i]);
		mp_out_ch(o, '}');
	}
	mp_out_str(o, "],\"duplicates\":");
	mp_out_u64(o, ms->duplicates);
	mp_out_str(o, ",\"input_pairs\":[");
	for (unsigned i = 0; i < ms->npairs; i++) {
		const struct mp_merge_pair *p = &ms->pair[i];

		mp_out_str(o, i ? ",{\"first\":" : "{\"first\":");
		mp_out_u64(o, p->first);
		mp_out_str(o, ",\"second\":");
		mp_out_u64(o, p->second);
		mp_out_str(o, ",\"packets\":");
		mp_out_u64(o, p->packets);
		mp_out_str(o, ",\"delay_ms\":{\"min\":");
		out_ms(o, (double)p->delay_min_ns);
		mp_out_str(o, ",\"mean\":");
		out_ms(o, p->delay_sum_ns / (double)p->packets);
		mp_out_str(o, ",\"max\":");
		out_ms(o, (double)p->delay_max_ns);
		mp_out_str(o, "}}");
	}
	mp_out_ch(o, ']');
}
