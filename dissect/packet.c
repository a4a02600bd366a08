/* SPDX-License-Identifier: BSD-2-Clause */
/* packet.c - decode one captured packet: link → IP → TCP → MPTCP options.
 *
 * Ties dissect/link.c, ip.c and tcp.c together (IEEE 802.1Q, RFC 791,
 * RFC 8200, RFC 9293). Every layer reads through one reader over the
 * `caplen` captured bytes, narrowed by the IP length fields, so nothing past
 * `caplen` is ever read whatever the bytes say. */
#include <stddef.h>
#include <string.h>

#include "mpana/layer.h"

/* Decodes `caplen` bytes at `p` (p may be NULL when caplen is 0) of link
 * type `dlt` into `out`; see pkt.h. Borrows `p`: out->payload and
 * out->opts.v[].raw point into it. On every return every field of `out`
 * before `opts`, and opts.n/tcp_err/tcp_err_off/tcp_md5, are defined (zero unless
 * decoded); opts.v[] is defined up to opts.n. */
enum mp_pkt_status mp_pkt_decode(int dlt, const uint8_t *p, size_t caplen,
				 struct mp_pkt *out)
{
	/* Per-packet hot path: clear the header fields (72 bytes on LP64) and
	 * the option counts, not the 14 option slots (about 790 bytes), which
	 * are defined only up to opts.n. */
	memset(out, 0, offsetof(struct mp_pkt, opts));
	out->opts.n = 0;
	out->opts.tcp_err = MP_E_NONE;
	out->opts.tcp_err_off = 0;
	out->opts.tcp_md5 = false;

	/* An empty capture may come as NULL, and NULL + 0 is undefined. */
	const uint8_t none = 0;
	struct mp_rd r = mp_rd_init(caplen ? p : &none, caplen);
	uint8_t family = 0;
	size_t l4_len = 0;

	enum mp_pkt_status st = mp_link_decode(dlt, &r, &family);
	if (st != MP_PKT_NEXT)
		return st;
	if (family == 4)
		st = mp_ipv4_decode(&r, out, &l4_len);
	else
		st = mp_ipv6_decode(&r, out, &l4_len);
	if (st != MP_PKT_NEXT)
		return st;
	return mp_tcp_decode(&r, l4_len, out);
}

/* mp_link_decode() decides MP_PKT_LINK_UNSUPPORTED before reading a byte,
 * so asking it with an empty capture keeps a single list of link types. */
bool mp_dlt_supported(int dlt)
{
	const uint8_t none = 0;
	struct mp_rd r = mp_rd_init(&none, 0);
	uint8_t family = 0;

	return mp_link_decode(dlt, &r, &family) != MP_PKT_LINK_UNSUPPORTED;
}
