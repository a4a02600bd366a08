/* SPDX-License-Identifier: BSD-2-Clause */
/* mp_capable.c - MP_CAPABLE option parser.
 *
 * RFC 8684 §3.1 (version 1), RFC 6824 §3.1 (version 0). */
#include "mpana/opt.h"

/* Every length some version/flag context allows. Anything else is rejected
 * before a single byte is read (STYLE R4). */
static bool len_legal_any(uint8_t len)
{
	return len == 4 || len == 12 || len == 20 || len == 22 || len == 24;
}

/* The exact lengths for `version` (0 or 1) in the `tcp_flags` context.
 *   v1 (RFC 8684 §3.1): SYN 4, SYN/ACK 12, third ACK 20, and the first data
 *     packet 22 (data-level length) or 24 (plus checksum).
 *   v0 (RFC 6824 §3.1): SYN and SYN/ACK 12, third ACK 20.
 * Whether the 22/24 forms appear with or without payload is the flow
 * layer's business: a pure option parser does not see the payload. */
static bool len_legal(uint8_t version, uint8_t len, uint8_t tcp_flags)
{
	bool syn = (tcp_flags & MP_TH_SYN) != 0;
	bool ack = (tcp_flags & MP_TH_ACK) != 0;

	if (version == 0)
		return len == (syn ? 12 : 20);
	if (syn)
		return len == (ack ? 12 : 4);
	return len == 20 || len == 22 || len == 24;
}

/* Parses an MP_CAPABLE option. `r` is positioned at the subtype byte and
 * covers the option's captured body; `len` is the option's length byte;
 * `tcp_flags` selects the handshake step. Zeroes and fills `o`.
 *
 * Returns MP_E_CAPABLE_BAD_LEN, without reading, when `len` is legal in no
 * version; otherwise reads the version, and returns
 * MP_E_CAPABLE_BAD_VERSION (with `version` and `flags` filled) for a
 * version above 1 and MP_E_CAPABLE_BAD_LEN when `len` does not fit that
 * version and the TCP flags. A short capture leaves r->err set and returns
 * MP_E_NONE; mp_opt_parse() reports it as truncation. */
enum mp_err mp_capable_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			     struct mp_capable *o)
{
	memset(o, 0, sizeof *o);
	if (!len_legal_any(len))
		return MP_E_CAPABLE_BAD_LEN;

	o->version = mp_rd_u8(r) & 0x0f;
	if (r->err)
		return MP_E_NONE;
	/* RFC 8684 §3.1: an initiator may offer a higher version in its SYN and
	 * the reply settles on one; we only know how to decode 0 and 1. */
	if (o->version > 1) {
		o->flags = mp_rd_u8(r);
		return MP_E_CAPABLE_BAD_VERSION;
	}
	if (!len_legal(o->version, len, tcp_flags))
		return MP_E_CAPABLE_BAD_LEN;

	o->flags = mp_rd_u8(r);
	o->has_sender_key = len >= 12;
	o->has_receiver_key = len >= 20;
	o->has_data_len = len >= 22;
	o->has_checksum = len == 24;
	if (o->has_sender_key)
		o->sender_key = mp_rd_be64(r);
	if (o->has_receiver_key)
		o->receiver_key = mp_rd_be64(r);
	if (o->has_data_len)
		o->data_len = mp_rd_be16(r);
	if (o->has_checksum)
		o->checksum = mp_rd_be16(r);
	return MP_E_NONE;
}
