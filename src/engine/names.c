/* SPDX-License-Identifier: BSD-2-Clause */
/* names.c - stable names of events, states, endings and fallback forms (flow.h, event.h).
 *
 * RFC 8684 §3. Internals: engine_int.h. */
#include "engine_int.h"

static const char *const ev_names[MP_EV__COUNT] = {
	[MP_EV_NONE] = "none",
	[MP_EV_MPC_SYN] = "mpc_syn",
	[MP_EV_MPC_SYNACK] = "mpc_synack",
	[MP_EV_MPC_ACK] = "mpc_ack",
	[MP_EV_MPC_DATA] = "mpc_data",
	[MP_EV_JOIN_SYN] = "join_syn",
	[MP_EV_JOIN_SYNACK] = "join_synack",
	[MP_EV_JOIN_ACK] = "join_ack",
	[MP_EV_JOIN_ACK_RESPONDER] = "join_ack_responder",
	[MP_EV_ADD_ADDR] = "add_addr",
	[MP_EV_ADD_ADDR_ECHO] = "add_addr_echo",
	[MP_EV_REMOVE_ADDR] = "remove_addr",
	[MP_EV_MP_PRIO] = "mp_prio",
	[MP_EV_MP_FAIL] = "mp_fail",
	[MP_EV_MP_FASTCLOSE] = "mp_fastclose",
	[MP_EV_MP_TCPRST] = "mp_tcprst",
	[MP_EV_DATA_FIN] = "data_fin",
	[MP_EV_FIN] = "fin",
	[MP_EV_RST] = "rst",
	[MP_EV_FALLBACK] = "fallback",
	[MP_EV_REINJECTION] = "reinjection",
	[MP_EV_MALFORMED] = "malformed",
	[MP_EV_HMAC_FAILURE] = "hmac_failure",
	[MP_EV_ORPHAN_JOIN] = "orphan_join",
	[MP_EV_KEY_MISMATCH] = "key_mismatch",
	[MP_EV_TABLE_FULL] = "table_full",
	[MP_EV_UNATTRIBUTED_SUBFLOW] = "unattributed_subflow",
	[MP_EV_SUBFLOW_ATTACHED] = "subflow_attached",
	[MP_EV_CONN_CLOSED] = "conn_closed",
	[MP_EV_SUBFLOW_CLOSED] = "subflow_closed",
	[MP_EV_CONN_EXPIRED] = "conn_expired",
	[MP_EV_TOKEN_COLLISION] = "token_collision",
};

const char *mp_ev_name(unsigned type)
{
	return type < MP_EV__COUNT && ev_names[type] ? ev_names[type] : "unknown";
}

const char *mp_sf_state_name(unsigned state)
{
	static const char *const n[] = { "syn_sent", "syn_rcvd", "established",
					 "closing", "closed" };
	return state < 5 ? n[state] : "unknown";
}

const char *mp_close_reason_name(unsigned r)
{
	static const char *const n[] = { "", "fin", "rst", "mp_tcprst",
					 "mp_fastclose", "data_fin", "subflows_closed",
					 "idle", "evicted", "replaced" };
	return r < sizeof n / sizeof n[0] ? n[r] : "unknown";
}

const char *mp_fallback_name(unsigned fb)
{
	static const char *const n[] = { "", "no_mpc_synack", "no_mpc_ack",
					 "no_dss", "infinite_mapping",
					 "mp_fail", "join_refused",
					 "simultaneous_connect", "md5sig",
					 "mpc_syn_dropped" };
	return fb < sizeof n / sizeof n[0] ? n[fb] : "unknown";
}

const char *mp_fallback_side_name(unsigned side)
{
	static const char *const n[] = { "", "client", "server", "both" };
	return side < 4 ? n[side] : "unknown";
}

const char *mp_resend_name(unsigned r)
{
	static const char *const names[] = { "", "retransmission", "reinjection" };
	return r < 3 ? names[r] : "";
}

const char *mp_sf_kind_name(unsigned kind)
{
	static const char *const n[] = { "initial", "join", "partial" };
	return kind < 3 ? n[kind] : "unknown";
}
