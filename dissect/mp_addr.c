/* SPDX-License-Identifier: BSD-2-Clause */
/* mp_addr.c - ADD_ADDR and REMOVE_ADDR option parsers.
 *
 * RFC 8684 §3.4.1 and §3.4.2 (version 1), RFC 6824 §3.4.1 and §3.4.2
 * (version 0). */
#include "mpana/opt.h"

#define ADD_ADDR_E 0x01 /* v1 echo flag, low bit of the subtype byte */

/* Every ADD_ADDR length of either version: address 4 or 16, optional port
 * 2, optional (v1, no echo) truncated HMAC 8, after 4 header bytes. */
static bool add_addr_len_legal_any(uint8_t len)
{
	switch (len) {
	case 8: case 10: case 16: case 18: case 20: case 22: case 28: case 30:
		return true;
	default:
		return false;
	}
}

/* Parses an ADD_ADDR option. `r` is positioned at the subtype byte and
 * covers the option's captured body; `len` is the option's length byte.
 * Zeroes and fills `o`.
 *
 * The low nibble of the subtype byte tells the versions apart: RFC 6824
 * puts the IP version there (4 or 6), RFC 8684 three reserved bits and the
 * echo flag E (0 or 1). v0 lengths: 8 (IPv4), 10 (IPv4 + port), 20 (IPv6),
 * 22 (IPv6 + port). v1 takes the address family from the length and adds an
 * 8-byte truncated HMAC unless E is set (RFC 8684 §3.4.1): echo 8/10/20/22,
 * otherwise 16/18/28/30.
 *
 * Returns MP_E_ADD_ADDR_BAD_LEN, without reading, for a length legal in no
 * form; MP_E_ADD_ADDR_BAD_IPVER for any other nibble (a bad IPVer read as
 * v0); MP_E_ADD_ADDR_BAD_LEN when the length does not fit the form, with
 * only what the subtype byte says filled in (version, and ipver or echo). A
 * short capture leaves r->err set and returns MP_E_NONE. tcp_flags is
 * unused. */
enum mp_err mp_add_addr_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			      struct mp_add_addr *o)
{
	(void)tcp_flags;
	memset(o, 0, sizeof *o);
	if (!add_addr_len_legal_any(len))
		return MP_E_ADD_ADDR_BAD_LEN;

	uint8_t nib = mp_rd_u8(r) & 0x0f;
	if (r->err)
		return MP_E_NONE;

	size_t base; /* the length without a port */
	switch (nib) {
	case 4:
	case 6:
		o->version = 0;
		o->ipver = nib;
		base = nib == 4 ? 8 : 20;
		if (len != base && len != base + 2)
			return MP_E_ADD_ADDR_BAD_LEN;
		break;
	case 0:
	case ADD_ADDR_E:
		o->version = 1;
		o->echo = nib == ADD_ADDR_E;
		/* No IPVer any more: the length tells IPv4 from IPv6. */
		base = o->echo ? 8 : 16; /* IPv4, with the HMAC unless echo */
		bool v6 = len == base + 12 || len == base + 14;
		if (v6)
			base += 12;
		else if (len != base && len != base + 2)
			return MP_E_ADD_ADDR_BAD_LEN;
		o->ipver = v6 ? 6 : 4;
		o->has_hmac = !o->echo;
		break;
	default:
		return MP_E_ADD_ADDR_BAD_IPVER;
	}
	o->has_port = len == base + 2;

	o->addr_id = mp_rd_u8(r);
	mp_rd_copy(r, o->addr, o->ipver == 4 ? 4 : 16);
	if (o->has_port)
		o->port = mp_rd_be16(r);
	if (o->has_hmac)
		mp_rd_copy(r, o->hmac, sizeof o->hmac);
	return MP_E_NONE;
}

/* Parses a REMOVE_ADDR option (RFC 8684 §3.4.2): the subtype byte, then
 * len - 3 address ids. `r` is positioned at the subtype byte and covers the
 * option's captured body. Zeroes and fills `o`. Returns
 * MP_E_REMOVE_ADDR_BAD_LEN, without reading, when `len` < 4 (no id) or
 * > 40 (more ids than a TCP header holds); a short capture leaves r->err
 * set and returns MP_E_NONE. tcp_flags is unused. */
enum mp_err mp_remove_addr_parse(struct mp_rd *r, uint8_t len,
				 uint8_t tcp_flags, struct mp_remove_addr *o)
{
	(void)tcp_flags;
	memset(o, 0, sizeof *o);
	if (len < 4 || len > 3 + MP_REMOVE_ADDR_MAX)
		return MP_E_REMOVE_ADDR_BAD_LEN;

	mp_rd_skip(r, 1); /* subtype | reserved */
	o->n_ids = (uint8_t)(len - 3);
	mp_rd_copy(r, o->ids, o->n_ids);
	return MP_E_NONE;
}
