/* SPDX-License-Identifier: BSD-2-Clause */
/* mp_ctl.c - MP_PRIO, MP_FAIL, MP_FASTCLOSE and MP_TCPRST option parsers.
 *
 * RFC 8684 §3.3.8 (MP_PRIO), §3.7 (MP_FAIL), §3.5 (MP_FASTCLOSE), §3.6
 * (MP_TCPRST); RFC 6824 §3.3.8 for the 4-byte MP_PRIO with an address id.
 *
 * Common contract: `r` is positioned at the subtype byte and covers the
 * option's captured body; `len` is the option's length byte. Each parser
 * zeroes and fills its struct, returns its *_BAD_LEN error without reading
 * when `len` is not the legal one, and otherwise returns MP_E_NONE, leaving
 * r->err set when the capture was short (mp_opt_parse() reports that as
 * truncation). None depends on the TCP flags. */
#include "mpana/opt.h"

#define PRIO_B 0x01 /* backup flag, low bit of the subtype byte */

/* MP_PRIO: length 3 (RFC 8684) or 4 with the address id that RFC 6824 had
 * and RFC 8684 removed. */
enum mp_err mp_prio_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			  struct mp_prio *o)
{
	(void)tcp_flags;
	memset(o, 0, sizeof *o);
	if (len != 3 && len != 4)
		return MP_E_PRIO_BAD_LEN;

	o->backup = (mp_rd_u8(r) & PRIO_B) != 0;
	o->has_addr_id = len == 4;
	if (o->has_addr_id)
		o->addr_id = mp_rd_u8(r);
	return MP_E_NONE;
}

/* MP_FAIL: length 12, 12 reserved bits, then the 64-bit DSN. */
enum mp_err mp_fail_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			  struct mp_fail *o)
{
	(void)tcp_flags;
	memset(o, 0, sizeof *o);
	if (len != 12)
		return MP_E_FAIL_BAD_LEN;

	mp_rd_skip(r, 2); /* subtype | reserved, reserved */
	o->dsn = mp_rd_be64(r);
	return MP_E_NONE;
}

/* MP_FASTCLOSE: length 12, 12 reserved bits, then the receiver's key. */
enum mp_err mp_fastclose_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			       struct mp_fastclose *o)
{
	(void)tcp_flags;
	memset(o, 0, sizeof *o);
	if (len != 12)
		return MP_E_FASTCLOSE_BAD_LEN;

	mp_rd_skip(r, 2); /* subtype | reserved, reserved */
	o->receiver_key = mp_rd_be64(r);
	return MP_E_NONE;
}

/* MP_TCPRST: length 4, the U V W T flags in the subtype byte's low nibble,
 * then the reason code (RFC 8684 §3.6). */
enum mp_err mp_tcprst_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			    struct mp_tcprst *o)
{
	(void)tcp_flags;
	memset(o, 0, sizeof *o);
	if (len != 4)
		return MP_E_TCPRST_BAD_LEN;

	o->flags = mp_rd_u8(r) & 0x0f;
	o->reason = mp_rd_u8(r);
	return MP_E_NONE;
}
