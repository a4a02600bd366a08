/* SPDX-License-Identifier: BSD-2-Clause */
/* mp_join.c - MP_JOIN option parser.
 *
 * RFC 8684 §3.2 (identical on the wire to RFC 6824 §3.2). */
#include "mpana/opt.h"

#define MPJ_B 0x01 /* backup flag, low bit of the subtype byte */

/* Parses an MP_JOIN option. `r` is positioned at the subtype byte and
 * covers the option's captured body; `len` is the option's length byte.
 * The TCP flags fix the handshake step and with it the one legal length
 * (RFC 8684 §3.2):
 *   SYN without ACK  12: B flag, address id, receiver's token, nonce;
 *   SYN/ACK          16: B flag, address id, leftmost 64 HMAC bits, nonce;
 *   no SYN (3rd ACK) 24: reserved, the 160-bit HMAC.
 * Zeroes and fills `o`. Returns MP_E_JOIN_BAD_LEN, without reading, when
 * `len` does not match the step (a 16-byte join outside a SYN/ACK is
 * malformed); a short capture leaves r->err set and returns MP_E_NONE. */
enum mp_err mp_join_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			  struct mp_join *o)
{
	uint8_t expect;

	memset(o, 0, sizeof *o);
	if (!(tcp_flags & MP_TH_SYN)) {
		o->phase = MP_JOIN_ACK;
		expect = 24;
	} else if (tcp_flags & MP_TH_ACK) {
		o->phase = MP_JOIN_SYNACK;
		expect = 16;
	} else {
		o->phase = MP_JOIN_SYN;
		expect = 12;
	}
	if (len != expect)
		return MP_E_JOIN_BAD_LEN;

	uint8_t sub = mp_rd_u8(r);
	switch (o->phase) {
	case MP_JOIN_SYN:
		o->backup = (sub & MPJ_B) != 0;
		o->addr_id = mp_rd_u8(r);
		o->token = mp_rd_be32(r);
		o->nonce = mp_rd_be32(r);
		break;
	case MP_JOIN_SYNACK:
		o->backup = (sub & MPJ_B) != 0;
		o->addr_id = mp_rd_u8(r);
		o->hmac_len = 8;
		mp_rd_copy(r, o->hmac, 8);
		o->nonce = mp_rd_be32(r);
		break;
	default: /* MP_JOIN_ACK: 12 reserved bits, then the full HMAC */
		mp_rd_skip(r, 1);
		o->hmac_len = 20;
		mp_rd_copy(r, o->hmac, 20);
		break;
	}
	return MP_E_NONE;
}
