/* SPDX-License-Identifier: BSD-2-Clause */
/* seq.h - expanding 32-bit data sequence numbers and DATA_ACKs to 64 bits.
 *
 * RFC 8684 §3.3.1 (RFC 6824 §3.3.1): a DSS option may carry the DSN or the
 * DATA_ACK in 4 octets, "the least significant 4 octets of the 64-bit
 * number"; the receiver recovers the full value from the 64-bit state it
 * already has. This is the one helper for that (STYLE R10), with the Linux
 * kernel's __mptcp_expand_seq() semantics (net/mptcp/options.c). */
#ifndef MPANA_SEQ_H
#define MPANA_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Returns the 64-bit value whose low 32 bits are `wire` and which lies
 * closest to `ref` (a known 64-bit DSN or DATA_ACK of the same direction,
 * e.g. the last expanded value or IDSN + 1), so that the result may lie in
 * ref's 2^32 epoch, the next one (wire wrapped forward) or the previous one
 * (wire is behind ref across a wrap: old data, retransmissions).
 *
 * Exactly like the kernel: when wire is exactly 2^31 away from ref's low 32
 * bits, the candidate in the neighbouring epoch wins (ref + 2^31 when ref's
 * low word is >= 2^31, else ref - 2^31). Arithmetic is modulo 2^64, so
 * values near 0 and UINT64_MAX wrap into each other, as 64-bit DSNs do. */
static inline uint64_t mp_seq_expand32(uint64_t ref, uint32_t wire)
{
	/* ref plus the distance from ref's low word to wire read as a signed
	 * 32-bit number: the candidate closest to ref, in ref's epoch or a
	 * neighbouring one. A distance of exactly 2^31 reads as -2^31, the
	 * kernel's answer when wire > ref32 (then ref32 < 2^31); when
	 * wire < ref32 (then ref32 >= 2^31) the kernel takes +2^31. */
	const uint32_t ahead = wire - (uint32_t)ref;
	int64_t delta = (int32_t)ahead; /* modulo 2^32, as gcc and clang convert */

	if (ahead == UINT32_C(0x80000000) && (uint32_t)ref >= UINT32_C(0x80000000))
		delta = INT64_C(0x80000000);
	return ref + (uint64_t)delta;
}

/* Sequence comparisons modulo 2^32 (TCP, RFC 9293 §3.4) and 2^64 (data
 * sequence numbers, RFC 8684 §3.3.1): a comes after b when the distance
 * from b to a, read as a signed number, is positive. The one place for
 * them (no inline casts elsewhere). */
static inline bool mp_seq32_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool mp_seq64_after(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) > 0;
}

/* The DSS wrapper (the kernel's mptcp_expand_seq()): `wire` as the parser
 * stores it (`struct mp_dss.dsn` or `.data_ack`), `is_64bit` from the
 * DSS_m / DSS_a flag. A 64-bit wire value is returned unchanged; otherwise
 * its low 32 bits go through mp_seq_expand32(). */
static inline uint64_t mp_seq_expand(uint64_t ref, uint64_t wire, bool is_64bit)
{
	return is_64bit ? wire : mp_seq_expand32(ref, (uint32_t)wire);
}

#endif /* MPANA_SEQ_H */
