/* SPDX-License-Identifier: BSD-2-Clause */
/* failover_records.c - outage episodes as JSON Lines and text (report.h).
 *
 * The records of the analysis stage (failover.h; MPTCP-NOTES.md, "Failover
 * latency"), written the same way for every output: JSON keys in a fixed
 * order, times in epoch seconds, durations in ms with 3 decimals, null for
 * what is not known (docs/mpana.1, FAILOVER RECORDS). */
#include "mpana/failover.h"
#include "mpana/merge.h"
#include "mpana/report.h"

#include "record_keys.h"

static void kms(struct mp_out *o, const char *k, bool present, uint64_t ns)
{
	key(o, k);
	if (present)
		ms(o, ns);
	else
		mp_out_str(o, "null");
}

/* The fields both records share: which episode, of what. */
static void head(struct mp_out *o, const char *record, const struct mp_failover *f)
{
	mp_out_reserve(o);
	mp_out_str(o, "{\"record\":\"");
	mp_out_str(o, record);
	mp_out_str(o, "\",\"episode\":");
	mp_out_u64(o, f->id);
	key(o, "conn");
	mp_out_u64(o, f->conn);
	kstr(o, "direction", mp_fo_dir_name(f->dir));
	kstr(o, "vantage", mp_fo_vantage_name(f->vantage));
	kstr(o, "kind", mp_fo_kind_name(f->kind));
	kid(o, "from_subflow", f->from_sf);
	kid(o, "to_subflow", f->to_sf);
	kts(o, "t_fail", f->t_fail_ns);
	kid(o, "fail_frame", f->fail_frame);
}

static void failback_fields(struct mp_out *o, const struct mp_failover *f)
{
	kts(o, "t_failback", f->t_failback_ns);
	kid(o, "failback_frame", f->failback_frame);
	kid(o, "failback_subflow", f->failback_sf);
	kms(o, "failback_ms", f->t_failback_ns != 0, f->t_failback_ns - f->t_fail_ns);
}

void mp_out_failover_json(struct mp_out *o, const struct mp_failover *f)
{
	head(o, "failover", f);
	kts(o, "t_sent", f->t_sent_ns);
	kid(o, "sent_frame", f->sent_frame);
	kms(o, "latency_from_sent_ms", f->t_sent_ns && f->t_recovered_ns,
	    f->t_recovered_ns - f->t_sent_ns);
	kts(o, "t_first_reinject", f->t_first_reinject_ns);
	kid(o, "first_reinject_frame", f->first_reinject_frame);
	kts(o, "t_recovered", f->t_recovered_ns);
	kid(o, "recovered_frame", f->recovered_frame);
	kms(o, "latency_ms", true, f->latency_ns);
	key(o, "lower_bound");
	mp_out_str(o, f->lower_bound ? "true" : "false");
	key(o, "lost_bytes");
	mp_out_u64(o, f->lost_bytes);
	key(o, "lost_dsn_end");
	if (f->lost_dsn_end)
		mp_out_u64(o, f->lost_dsn_end);
	else
		mp_out_str(o, "null");
	kms(o, "stall_ms", true, f->stall_ns);
	kstr(o, "cause", f->cause ? mp_fo_cause_name(f->cause) : NULL);
	kid(o, "join_subflow", f->join_sf);
	kms(o, "join_setup_ms", f->join_sf != 0, f->join_setup_ns);
	failback_fields(o, f);
	mp_out_ch(o, '}');
	mp_out_eol(o);
}

void mp_out_failback_json(struct mp_out *o, const struct mp_failover *f)
{
	head(o, "failback", f);
	failback_fields(o, f);
	mp_out_ch(o, '}');
	mp_out_eol(o);
}

/* "  failover c2s sf 1 > 2 (sender view): 458.712 ms, from frame 206 to
 *  frame 384, lost 12345 bytes, first reinjection +230.100 ms, longest
 *  DATA_ACK stall 400.000 ms, cause none" */
void mp_out_failover_text(struct mp_out *o, const struct mp_failover *f)
{
	mp_out_reserve(o);
	mp_out_str(o, "  ");
	mp_out_str(o, mp_fo_kind_name(f->kind));
	mp_out_ch(o, ' ');
	mp_out_str(o, mp_fo_dir_name(f->dir));
	mp_out_str(o, " sf ");
	mp_out_u64(o, f->from_sf);
	if (f->to_sf) {
		mp_out_str(o, " > ");
		mp_out_u64(o, f->to_sf);
	}
	mp_out_str(o, " (");
	mp_out_str(o, mp_fo_vantage_name(f->vantage));
	mp_out_str(o, " view): ");
	if (f->lower_bound)
		mp_out_str(o, ">= ");
	ms(o, f->latency_ns);
	mp_out_str(o, " ms from frame ");
	mp_out_frame_text(o, f->fail_frame);
	if (f->recovered_frame) {
		mp_out_str(o, " to frame ");
		mp_out_frame_text(o, f->recovered_frame);
	} else {
		mp_out_str(o, ", not recovered in the capture");
	}
	if (f->vantage == MP_FO_VANTAGE_SENDER) {
		mp_out_str(o, ", lost ");
		mp_out_u64(o, f->lost_bytes);
		mp_out_str(o, " bytes");
	}
	if (f->t_sent_ns && f->t_recovered_ns) {
		mp_out_str(o, " (idle before: ");
		ms(o, f->t_recovered_ns - f->t_sent_ns);
		mp_out_str(o, " ms from frame ");
		mp_out_frame_text(o, f->sent_frame);
		mp_out_ch(o, ')');
	}
	if (f->t_first_reinject_ns) {
		mp_out_str(o, ", first reinjection +");
		ms(o, f->t_first_reinject_ns - f->t_fail_ns);
		mp_out_str(o, " ms");
	}
	mp_out_str(o, ", DATA_ACK stall ");
	ms(o, f->stall_ns);
	mp_out_str(o, " ms, cause ");
	mp_out_str(o, f->cause ? mp_fo_cause_name(f->cause) : "none");
	if (f->join_sf) {
		mp_out_str(o, ", join sf ");
		mp_out_u64(o, f->join_sf);
		mp_out_str(o, " set up in ");
		ms(o, f->join_setup_ns);
		mp_out_str(o, " ms");
	}
	if (f->t_failback_ns) {
		mp_out_str(o, ", failback on sf ");
		mp_out_u64(o, f->failback_sf);
		mp_out_str(o, " after ");
		ms(o, f->t_failback_ns - f->t_fail_ns);
		mp_out_str(o, " ms");
	}
	mp_out_eol(o);
}
