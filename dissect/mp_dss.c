/* SPDX-License-Identifier: BSD-2-Clause */
/* mp_dss.c - DSS (Data Sequence Signal) option parser.
 *
 * RFC 8684 §3.3 (same wire format as RFC 6824 §3.3). */
#include "mpana/opt.h"

#define DSS_FLAGS_MASK 0x1f /* RFC 8684 §3.3: the exact length of a DSS option (kind and length
 * included) with these flags; +2 with a checksum. */
size_t mp_dss_len(uint8_t flags)
{
	size_t n = 4; /* kind, length, subtype, flags */
	if (flags & DSS_A)
		n += (flags & DSS_a) ? 8u : 4u;
	if (flags & DSS_M)
		n += ((flags & DSS_m) ? 8u : 4u) + 4u + 2u;
	return n;
}

/* F m M a A; the top 3 bits are reserved */

/* True when `len` is the length of a DSS option for some flags byte: lets a
 * hopeless length be rejected before the flags byte is even read. The legal
 * lengths are 4 + {0, 4, 8} (data ACK) + {0, 10, 14, 12, 16} (mapping, with
 * the +2 checksum): 4 8 12 14 16 18 20 22 24 26 28. A constant mask instead
 * of trying all 32 flag values (that loop was 12% of the instructions per
 * packet on a DSS-heavy trace); tests/unit checks it against mp_dss_len(). */
#define DSS_LEGAL_LENS                                                     \
	((1u << 4) | (1u << 8) | (1u << 12) | (1u << 14) | (1u << 16) |   \
	 (1u << 18) | (1u << 20) | (1u << 22) | (1u << 24) | (1u << 26) |  \
	 (1u << 28))

static bool len_legal_any(uint8_t len)
{
	return len < 32 && ((DSS_LEGAL_LENS >> len) & 1u);
}

/* Parses a DSS option. `r` is positioned at the subtype byte and covers the
 * option's captured body; `len` is the option's length byte. Zeroes and
 * fills `o`; the data ACK and DSN keep their raw 4- or 8-octet values (the
 * flow layer expands 32-bit ones, STYLE R10).
 *
 * RFC 8684 §3.3: the length must equal mp_dss_len(flags) exactly, or, only
 * when a mapping is present (M), that plus 2 for the DSS checksum. Returns
 * MP_E_DSS_BAD_LEN otherwise (a length legal for no flags is rejected
 * before reading anything). A short capture leaves r->err set and returns
 * MP_E_NONE. tcp_flags is unused: a DSS is legal in any segment. */
enum mp_err mp_dss_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			 struct mp_dss *o)
{
	(void)tcp_flags;
	memset(o, 0, sizeof *o);
	if (!len_legal_any(len))
		return MP_E_DSS_BAD_LEN;

	mp_rd_skip(r, 1); /* subtype | reserved */
	o->flags = mp_rd_u8(r);
	if (r->err)
		return MP_E_NONE;

	size_t want = mp_dss_len(o->flags);
	if (len == want + 2 && (o->flags & DSS_M))
		o->has_checksum = true;
	else if (len != want)
		return MP_E_DSS_BAD_LEN;

	if (o->flags & DSS_A)
		o->data_ack = (o->flags & DSS_a) ? mp_rd_be64(r) : mp_rd_be32(r);
	if (o->flags & DSS_M) {
		o->dsn = (o->flags & DSS_m) ? mp_rd_be64(r) : mp_rd_be32(r);
		o->ssn = mp_rd_be32(r);
		o->dll = mp_rd_be16(r);
		if (o->has_checksum)
			o->checksum = mp_rd_be16(r);
	}
	return MP_E_NONE;
}
