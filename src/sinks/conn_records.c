/* SPDX-License-Identifier: BSD-2-Clause */
/* out_conn.c - connection and subflow records, JSON and text (report.h).
 *
 * RFC 8684 §3.1-3.7: what a connection is made of (keys and tokens §3.1,
 * subflows §3.2, address ids §3.4.1, endings §3.5-3.6, fallback §3.7).
 * Key contract: as the option records (docs/mpana.1): keys "0x%016x",
 * tokens "0x%08x", unknown values null, one JSON object per line. */
#include <stdio.h>
#include <string.h>

#include "mpana/crypto.h"
#include "mpana/merge.h"
#include "mpana/report.h"

int mp_subflow_hmac_ok(const struct mp_subflow *sf)
{
	if (sf->hmac_synack == MP_OK_FALSE || sf->hmac_ack == MP_OK_FALSE)
		return MP_OK_FALSE;
	if (sf->hmac_synack == MP_OK_TRUE && sf->hmac_ack == MP_OK_TRUE)
		return MP_OK_TRUE;
	return MP_OK_UNKNOWN;
}

void mp_subflow_record(const struct mp_subflow *s, struct mp_sf_record *r)
{
	r->id = s->id;
	r->kind = mp_sf_kind_name(s->kind);
	r->initial = s->kind == MP_SF_INITIAL;
	r->backup = s->backup;
	r->orphan = s->orphan;
	r->removed = s->removed;
	r->state = mp_sf_state_name(s->state);
	r->close_reason = mp_close_reason_name(s->close_reason);
	r->hmac_ok = mp_subflow_hmac_ok(s);
	r->sport = s->sport;
	r->dport = s->dport;
	r->bytes[0] = s->bytes[0];
	r->bytes[1] = s->bytes[1];
}

/* ---- JSON ----------------------------------------------------------- */

static void jkey(struct mp_out *o, const char *name)
{
	mp_out_ch(o, '"');
	mp_out_str(o, name);
	mp_out_str(o, "\":");
}

static void jsep(struct mp_out *o, const char *name)
{
	mp_out_ch(o, ',');
	jkey(o, name);
}

static void jtri(struct mp_out *o, int v)
{
	mp_out_str(o, v == MP_OK_TRUE ? "true" : v == MP_OK_FALSE ? "false" : "null");
}

static void jbool(struct mp_out *o, bool v)
{
	mp_out_str(o, v ? "true" : "false");
}

static void jhex(struct mp_out *o, bool known, uint64_t v, unsigned digits)
{
	if (!known) {
		mp_out_str(o, "null");
		return;
	}
	mp_out_ch(o, '"');
	mp_out_hex(o, v, digits);
	mp_out_ch(o, '"');
}

static void jstr_or_null(struct mp_out *o, const char *s)
{
	if (!s || !*s)
		mp_out_str(o, "null");
	else
		mp_out_json_str(o, s);
}

/* The fallback's proof: "fallback_frame" (the packet that shows it) and
 * "fallback_side" (client, server or both), null without fallback. */
static void jfallback_proof(struct mp_out *o, uint8_t fb, uint64_t frame,
			    uint8_t side)
{
	jsep(o, "fallback_frame");
	if (fb && frame)
		mp_out_u64(o, frame);
	else
		mp_out_str(o, "null");
	jsep(o, "fallback_side");
	jstr_or_null(o, fb ? mp_fallback_side_name(side) : "");
}

/* Text: " (server side, frame 141)" after a fallback form. */
static void text_fallback_proof(struct mp_out *o, uint64_t frame, uint8_t side)
{
	mp_out_str(o, " (");
	mp_out_str(o, side ? mp_fallback_side_name(side) : "unknown");
	mp_out_str(o, side == MP_FB_SIDE_BOTH ? " sides" : " side");
	if (frame) {
		mp_out_str(o, ", frame ");
		mp_out_frame_text(o, frame);
	}
	mp_out_ch(o, ')');
}

static void jaddr(struct mp_out *o, uint8_t family, const uint8_t *a)
{
	mp_out_ch(o, '"');
	mp_out_addr(o, family, a);
	mp_out_ch(o, '"');
}

static void jts(struct mp_out *o, uint64_t ts)
{
	if (!ts)
		mp_out_str(o, "null");
	else
		mp_out_ts(o, ts, 9);
}

/* Milliseconds with 3 decimals from nanoseconds. */
static void jms(struct mp_out *o, uint64_t ns)
{
	uint64_t us = ns / 1000u;

	mp_out_u64(o, us / 1000u);
	mp_out_ch(o, '.');
	mp_out_ch(o, (char)('0' + us / 100u % 10u));
	mp_out_ch(o, (char)('0' + us / 10u % 10u));
	mp_out_ch(o, (char)('0' + us % 10u));
}

/* ,"name":{"fwd":A,"rev":B}: a per-direction pair of counts. */
static void jpair(struct mp_out *o, const char *name, const uint64_t v[2])
{
	jsep(o, name);
	mp_out_str(o, "{\"fwd\":");
	mp_out_u64(o, v[0]);
	mp_out_str(o, ",\"rev\":");
	mp_out_u64(o, v[1]);
	mp_out_ch(o, '}');
}

static void jseqmark(struct mp_out *o, const struct mp_seqmark *m)
{
	if (!m->valid) {
		mp_out_str(o, "null");
		return;
	}
	mp_out_str(o, "{\"value\":");
	mp_out_u64(o, m->val);
	mp_out_str(o, ",\"frame\":");
	mp_out_u64(o, m->frame);
	mp_out_str(o, ",\"ts\":");
	mp_out_ts(o, m->ts_ns, 9);
	mp_out_ch(o, '}');
}

static void jid(struct mp_out *o, bool known, uint8_t id)
{
	if (known)
		mp_out_u64(o, id);
	else
		mp_out_str(o, "null");
}

/* The fields shared by connection subflows and loose ones (after "{"). */
static void json_subflow_fields(struct mp_out *o, const struct mp_subflow *s)
{
	struct mp_sf_record r;
	bool init;

	mp_subflow_record(s, &r);
	init = r.initial;
	jkey(o, "subflow");
	mp_out_u64(o, r.id);
	jsep(o, "kind");
	mp_out_json_str(o, r.kind);
	jsep(o, "src");
	jaddr(o, s->family, s->src);
	jsep(o, "sport");
	mp_out_u64(o, r.sport);
	jsep(o, "dst");
	jaddr(o, s->family, s->dst);
	jsep(o, "dport");
	mp_out_u64(o, r.dport);
	jsep(o, "initial");
	jbool(o, init);
	jsep(o, "orphan");
	jbool(o, r.orphan);
	jsep(o, "backup");
	jbool(o, r.backup);
	jsep(o, "addr_ids");
	mp_out_str(o, "{\"src\":");
	jid(o, init || s->addr_id_known[0], init ? 0 : s->addr_id[0]);
	mp_out_str(o, ",\"dst\":");
	jid(o, init || s->addr_id_known[1], init ? 0 : s->addr_id[1]);
	mp_out_ch(o, '}');
	jsep(o, "state");
	mp_out_json_str(o, r.state);
	jsep(o, "close_reason");
	jstr_or_null(o, r.close_reason);
	if (s->close_reason == MP_CLOSE_TCPRST) {
		jsep(o, "tcprst_reason");
		mp_out_json_str(o, mp_tcprst_reason_name(s->tcprst_reason));
	}
	jsep(o, "removed");
	jbool(o, r.removed);
	jsep(o, "fallback");
	jstr_or_null(o, mp_fallback_name(s->fallback));
	jfallback_proof(o, s->fallback, s->fallback_frame, s->fallback_side);
	jsep(o, "hmac_ok");
	jtri(o, r.hmac_ok);
	if (s->kind == MP_SF_JOIN) {
		jsep(o, "token");
		jhex(o, true, s->token, 8);
		jsep(o, "hmac_synack");
		jtri(o, s->hmac_synack);
		jsep(o, "hmac_ack");
		jtri(o, s->hmac_ack);
	}
	jsep(o, "syn_ts");
	jts(o, s->syn_ts);
	jsep(o, "established_ts");
	jts(o, s->established_ts);
	jsep(o, "closed_ts");
	jts(o, s->closed_ts);
	jpair(o, "packets", s->pkts);
	jpair(o, "bytes", r.bytes);
	jpair(o, "retransmitted_bytes", s->retrans_bytes);
	jpair(o, "reinjected_bytes", s->reinj_bytes);
	jsep(o, "dsn");
	mp_out_str(o, "{\"fwd\":");
	jseqmark(o, &s->dsn[0]);
	mp_out_str(o, ",\"rev\":");
	jseqmark(o, &s->dsn[1]);
	mp_out_ch(o, '}');
	jsep(o, "data_ack");
	mp_out_str(o, "{\"fwd\":");
	jseqmark(o, &s->dack[0]);
	mp_out_str(o, ",\"rev\":");
	jseqmark(o, &s->dack[1]);
	mp_out_ch(o, '}');
}

static void json_host(struct mp_out *o, const struct mp_conn *c, int h)
{
	mp_out_str(o, "{\"addr\":");
	if (c->family)
		jaddr(o, c->family, c->addr[h]);
	else
		mp_out_str(o, "null");
	mp_out_str(o, ",\"port\":");
	mp_out_u64(o, c->port[h]);
	mp_out_str(o, ",\"key\":");
	jhex(o, c->key_known[h], c->key[h], 16);
	mp_out_ch(o, '}');
}

void mp_out_conn_json(struct mp_out *o, const struct mp_conn *c)
{
	mp_out_reserve(o);
	mp_out_str(o, "{\"record\":\"connection\",\"conn\":");
	mp_out_u64(o, c->id);
	jsep(o, "version");
	if (c->version <= 1)
		mp_out_u64(o, c->version);
	else
		mp_out_str(o, "null");
	jsep(o, "partial");
	jbool(o, c->partial);
	jsep(o, "fallback");
	jstr_or_null(o, mp_fallback_name(c->fallback));
	jfallback_proof(o, c->fallback, c->fallback_frame, c->fallback_side);
	jsep(o, "app_proto");
	mp_out_json_str(o, c->app_proto);
	jsep(o, "client");
	json_host(o, c, 0);
	jsep(o, "server");
	json_host(o, c, 1);
	jsep(o, "tokens");
	mp_out_str(o, "{\"client\":");
	jhex(o, c->token_known[0], c->token[0], 8);
	mp_out_str(o, ",\"server\":");
	jhex(o, c->token_known[1], c->token[1], 8);
	mp_out_ch(o, '}');
	jsep(o, "key_mismatch");
	jbool(o, c->key_mismatch);
	jsep(o, "state");
	mp_out_json_str(o, c->closed ? "closed" : "open");
	jsep(o, "close_reason");
	jstr_or_null(o, mp_close_reason_name(c->close_reason));
	jsep(o, "first_ts");
	jts(o, c->first_ts);
	jsep(o, "last_ts");
	jts(o, c->last_ts);
	jsep(o, "closed_ts");
	jts(o, c->closed_ts);
	jsep(o, "data_fin");
	mp_out_str(o, "{\"client\":");
	jbool(o, c->dir[0].data_fin);
	mp_out_str(o, ",\"server\":");
	jbool(o, c->dir[1].data_fin);
	mp_out_ch(o, '}');
	jsep(o, "reinjections");
	mp_out_str(o, "{\"count\":");
	mp_out_u64(o, c->reinj_frames);
	mp_out_str(o, ",\"bytes\":");
	mp_out_u64(o, c->reinj_bytes);
	mp_out_str(o, ",\"max_delay_ms\":");
	if (c->reinj_frames)
		jms(o, c->reinj_max_delay_ns);
	else
		mp_out_str(o, "null");
	mp_out_ch(o, '}');
	jsep(o, "addresses");
	mp_out_ch(o, '[');
	for (unsigned i = 0; i < c->n_addrs; i++) {
		const struct mp_addr_ent *a = &c->addrs[i];
		mp_out_reserve(o);
		if (i)
			mp_out_ch(o, ',');
		mp_out_str(o, "{\"id\":");
		mp_out_u64(o, a->id);
		mp_out_str(o, ",\"addr\":");
		jaddr(o, a->family, a->addr);
		mp_out_str(o, ",\"port\":");
		if (a->has_port)
			mp_out_u64(o, a->port);
		else
			mp_out_str(o, "null");
		mp_out_str(o, ",\"by\":");
		mp_out_json_str(o, a->host ? "server" : "client");
		mp_out_str(o, ",\"frame\":");
		mp_out_u64(o, a->frame);
		mp_out_str(o, ",\"hmac_ok\":");
		jtri(o, a->hmac_ok);
		if (a->hmac_ok == MP_OK_TRUE)
			mp_out_str(o, a->hmac_side == MP_HMAC_LEFT
					      ? ",\"hmac_side\":\"left\""
					      : ",\"hmac_side\":\"right\"");
		mp_out_str(o, ",\"echoed\":");
		jbool(o, a->echoed);
		mp_out_str(o, ",\"removed\":");
		jbool(o, a->removed);
		mp_out_ch(o, '}');
	}
	mp_out_ch(o, ']');
	jsep(o, "data");
	for (int d = 0; d < 2; d++) {
		mp_out_str(o, d ? ",\"server_to_client\":{\"dsn\":"
				: "{\"client_to_server\":{\"dsn\":");
		jseqmark(o, &c->dir[d].dsn);
		mp_out_str(o, ",\"data_ack\":");
		jseqmark(o, &c->dir[1 - d].dack);
		mp_out_ch(o, '}');
	}
	mp_out_ch(o, '}');
	jsep(o, "subflows");
	mp_out_ch(o, '[');
	for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next) {
		mp_out_reserve(o);
		if (s != c->sf_head)
			mp_out_ch(o, ',');
		mp_out_ch(o, '{');
		json_subflow_fields(o, s);
		mp_out_ch(o, '}');
	}
	mp_out_str(o, "]}");
	mp_out_eol(o);
}

void mp_out_loose_json(struct mp_out *o, const struct mp_subflow *sf)
{
	mp_out_reserve(o);
	mp_out_str(o, "{\"record\":\"subflow\",\"conn\":null,\"unattributed\":true,");
	json_subflow_fields(o, sf);
	mp_out_ch(o, '}');
	mp_out_eol(o);
}

/* ---- text ----------------------------------------------------------- */

/* Pads with spaces from column `from` to `to` (at least one space). */
static void pad(struct mp_out *o, size_t from, size_t to)
{
	do
		mp_out_ch(o, ' ');
	while (++from < to);
}

/* Writes s and pads to width w. */
static void col(struct mp_out *o, const char *s, size_t w)
{
	size_t n = strlen(s);

	mp_out_mem(o, s, n);
	pad(o, n, w);
}

static void text_endpoint(struct mp_out *o, uint8_t family, const uint8_t *a,
			  uint16_t port)
{
	mp_out_addr(o, family, a);
	mp_out_ch(o, '.');
	mp_out_u64(o, port);
}

static const char *tri_word(int v)
{
	return v == MP_OK_TRUE ? "ok" : v == MP_OK_FALSE ? "FAIL" : "-";
}

static void text_subflow_row(struct mp_out *o, const struct mp_subflow *s)
{
	size_t start = o->n;
	char num[24];
	struct mp_sf_record r;
	bool init;

	mp_subflow_record(s, &r);
	init = r.initial;
	mp_out_str(o, "  ");
	snprintf(num, sizeof num, "%u", r.id);
	col(o, num, 6);
	col(o, r.kind, 8);
	text_endpoint(o, s->family, s->src, r.sport);
	mp_out_str(o, " > ");
	text_endpoint(o, s->family, s->dst, r.dport);
	pad(o, o->n - start, 60);
	if (init)
		snprintf(num, sizeof num, "0/0");
	else
		snprintf(num, sizeof num, "%s%u/%s%u",
			 s->addr_id_known[0] ? "" : "?", s->addr_id[0],
			 s->addr_id_known[1] ? "" : "?", s->addr_id[1]);
	col(o, num, 8);
	col(o, r.backup ? "backup" : "-", 7);
	col(o, r.state, 12);
	col(o, r.close_reason[0] ? r.close_reason : "-", 13);
	col(o, tri_word(r.hmac_ok), 5);
	mp_out_u64(o, r.bytes[0]);
	mp_out_ch(o, '/');
	mp_out_u64(o, r.bytes[1]);
	if (r.orphan)
		mp_out_str(o, " orphan");
	if (r.removed)
		mp_out_str(o, " removed");
	if (s->fallback) {
		mp_out_str(o, " fallback ");
		mp_out_str(o, mp_fallback_name(s->fallback));
		text_fallback_proof(o, s->fallback_frame, s->fallback_side);
	}
	if (s->reinj_bytes[0] || s->reinj_bytes[1]) {
		/* the part of its traffic that other subflows had sent first */
		mp_out_str(o, " reinjected ");
		mp_out_u64(o, s->reinj_bytes[0]);
		mp_out_ch(o, '/');
		mp_out_u64(o, s->reinj_bytes[1]);
	}
	mp_out_eol(o);
}

void mp_out_conn_tokens(struct mp_out *o, const struct mp_conn *c)
{
	for (int h = 0; h < 2; h++) {
		if (h)
			mp_out_ch(o, '/');
		if (c->token_known[h])
			mp_out_hex(o, c->token[h], 8);
		else
			mp_out_ch(o, '?');
	}
}

void mp_out_conn_text(struct mp_out *o, const struct mp_conn *c)
{
	mp_out_reserve(o);
	mp_out_str(o, "connection ");
	mp_out_u64(o, c->id);
	mp_out_str(o, ": ");
	if (c->version <= 1) {
		mp_out_ch(o, 'v');
		mp_out_u64(o, c->version);
	} else {
		mp_out_str(o, "v?");
	}
	if (c->partial)
		mp_out_str(o, " partial");
	mp_out_ch(o, ' ');
	if (c->family) {
		text_endpoint(o, c->family, c->addr[0], c->port[0]);
		mp_out_str(o, " > ");
		text_endpoint(o, c->family, c->addr[1], c->port[1]);
	}
	mp_out_str(o, ", tokens ");
	mp_out_conn_tokens(o, c);
	mp_out_str(o, ", app ");
	mp_out_str(o, c->app_proto);
	mp_out_eol(o);

	mp_out_str(o, "  ");
	mp_out_str(o, c->closed ? "closed" : "open");
	if (c->close_reason) {
		mp_out_str(o, " (");
		mp_out_str(o, mp_close_reason_name(c->close_reason));
		mp_out_ch(o, ')');
	}
	mp_out_str(o, ", fallback ");
	mp_out_str(o, c->fallback ? mp_fallback_name(c->fallback) : "none");
	if (c->fallback)
		text_fallback_proof(o, c->fallback_frame, c->fallback_side);
	mp_out_str(o, ", reinjections ");
	mp_out_u64(o, c->reinj_frames);
	mp_out_str(o, " (");
	mp_out_u64(o, c->reinj_bytes);
	mp_out_str(o, " bytes");
	if (c->reinj_frames) {
		mp_out_str(o, ", max delay ");
		jms(o, c->reinj_max_delay_ns);
		mp_out_str(o, " ms");
	}
	mp_out_ch(o, ')');
	if (c->key_mismatch)
		mp_out_str(o, ", KEY MISMATCH");
	mp_out_eol(o);
	for (unsigned i = 0; i < c->n_addrs; i++) {
		const struct mp_addr_ent *a = &c->addrs[i];
		mp_out_reserve(o);
		mp_out_str(o, "  address id ");
		mp_out_u64(o, a->id);
		mp_out_ch(o, ' ');
		mp_out_addr(o, a->family, a->addr);
		if (a->has_port) {
			mp_out_str(o, " port ");
			mp_out_u64(o, a->port);
		}
		mp_out_str(o, a->host ? " announced by server" : " announced by client");
		mp_out_str(o, ", hmac ");
		mp_out_str(o, a->hmac_ok == MP_OK_TRUE
				      ? (a->hmac_side == MP_HMAC_LEFT ? "ok (left)" : "ok (right)")
				      : tri_word(a->hmac_ok));
		if (a->echoed)
			mp_out_str(o, ", echoed");
		if (a->removed)
			mp_out_str(o, ", removed");
		mp_out_eol(o);
	}
	{
		size_t start = o->n;
		mp_out_str(o, "  ");
		col(o, "sf", 6);
		col(o, "kind", 8);
		mp_out_str(o, "endpoints (src > dst)");
		pad(o, o->n - start, 60);
		col(o, "ids", 8);
		col(o, "backup", 7);
		col(o, "state", 12);
		col(o, "reason", 13);
		col(o, "hmac", 5);
		mp_out_str(o, "bytes fwd/rev");
		mp_out_eol(o);
	}
	for (const struct mp_subflow *s = c->sf_head; s; s = s->conn_next) {
		mp_out_reserve(o);
		text_subflow_row(o, s);
	}
}

void mp_out_loose_text(struct mp_out *o, const struct mp_subflow *sf)
{
	mp_out_reserve(o);
	mp_out_str(o, "unattributed subflow (no handshake, no matching connection):");
	mp_out_eol(o);
	text_subflow_row(o, sf);
}
