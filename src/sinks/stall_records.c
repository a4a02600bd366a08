/* SPDX-License-Identifier: BSD-2-Clause */
/* stall_records.c - connection stalls as JSON Lines and text (stall.h).
 *
 * RFC 8684 §3.3.2, §3.7. The records of the connection-stall analysis
 * (src/analysis/stall.c), written the same way for every output: JSON keys
 * in a fixed order, times in epoch seconds, durations in ms with 3
 * decimals, null for what is not known (docs/mpana.1, STALL RECORDS). */
#include "mpana/merge.h"
#include "mpana/out.h"
#include "mpana/stall.h"

#include "record_keys.h"

void mp_out_stall_json(struct mp_out *o, const struct mp_stall *s)
{
	mp_out_reserve(o);
	mp_out_str(o, "{\"record\":\"stall\",\"conn\":");
	mp_out_u64(o, s->conn);
	key(o, "direction");
	mp_out_json_str(o, mp_stall_dir_name(s->dir));
	key(o, "t_start");
	mp_out_ts(o, s->t_start, 9);
	key(o, "frame");
	mp_out_u64(o, s->frame);
	key(o, "t_end");
	mp_out_ts(o, s->t_end, 9);
	key(o, "end_frame");
	if (s->end_frame)
		mp_out_u64(o, s->end_frame);
	else
		mp_out_str(o, "null");
	key(o, "ended");
	mp_out_str(o, s->ended ? "true" : "false");
	key(o, "duration_ms");
	ms(o, s->t_end - s->t_start);
	key(o, "data_ack");
	mp_out_u64(o, s->data_ack);
	key(o, "dsn_end");
	mp_out_u64(o, s->dsn_end);
	key(o, "data_packets");
	mp_out_u64(o, s->data_pkts);
	key(o, "subflow_acks");
	mp_out_u64(o, s->sf_acks);
	mp_out_ch(o, '}');
	mp_out_eol(o);
}

/* "  connection stall c2s: DATA_ACK still for 3692.662 ms from frame 126
 *  to the end of the connection, 204 data packets, 150 subflow ACKs" */
void mp_out_stall_text(struct mp_out *o, const struct mp_stall *s)
{
	mp_out_reserve(o);
	mp_out_str(o, "  connection stall ");
	mp_out_str(o, mp_stall_dir_name(s->dir));
	mp_out_str(o, ": DATA_ACK still for ");
	ms(o, s->t_end - s->t_start);
	mp_out_str(o, " ms from frame ");
	mp_out_frame_text(o, s->frame);
	if (s->ended) {
		mp_out_str(o, " to frame ");
		mp_out_frame_text(o, s->end_frame);
	} else {
		mp_out_str(o, " to the end of the connection");
	}
	mp_out_str(o, ", ");
	mp_out_u64(o, s->data_pkts);
	mp_out_str(o, " data packets, ");
	mp_out_u64(o, s->sf_acks);
	mp_out_str(o, " subflow ACKs");
	mp_out_eol(o);
}
