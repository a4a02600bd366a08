/* SPDX-License-Identifier: BSD-2-Clause */
/* test_seq.c - unit.seq: 32-to-64-bit DSN/DATA_ACK expansion (seq.h).
 *
 * RFC 8684 §3.3.1 (32-bit DSN and DATA_ACK); semantics of the Linux
 * kernel's __mptcp_expand_seq(). */
#include <criterion/criterion.h>

#include "mpana/seq.h"

#define E32 (UINT64_C(1) << 32)
#define H31 UINT32_C(0x80000000)

Test(seq, equal)
{
	cr_assert_eq(mp_seq_expand32(0, 0), 0);
	cr_assert_eq(mp_seq_expand32(UINT64_C(0x0000000512345678), 0x12345678),
		     UINT64_C(0x0000000512345678));
	cr_assert_eq(mp_seq_expand32(UINT64_MAX, UINT32_MAX), UINT64_MAX);
}

Test(seq, same_epoch_forward_and_backward)
{
	const uint64_t ref = UINT64_C(0x0000000710000000);

	cr_assert_eq(mp_seq_expand32(ref, 0x10000001), ref + 1);
	cr_assert_eq(mp_seq_expand32(ref, 0x1fffffff), ref + 0x0fffffff);
	cr_assert_eq(mp_seq_expand32(ref, 0x0fffffff), ref - 1);
	cr_assert_eq(mp_seq_expand32(ref, 0x00000000), ref - 0x10000000);
}

Test(seq, wrap_forward)
{
	/* ref just below an epoch boundary, wire just past it */
	const uint64_t ref = UINT64_C(0x00000003fffffff0);

	cr_assert_eq(mp_seq_expand32(ref, 0x00000010),
		     UINT64_C(0x0000000400000010));
	cr_assert_eq(mp_seq_expand32(ref, 0x00000000),
		     UINT64_C(0x0000000400000000));
	cr_assert_eq(mp_seq_expand32(ref, 0xffffffff),
		     UINT64_C(0x00000003ffffffff));
}

Test(seq, wrap_backward)
{
	/* ref just past an epoch boundary, wire (old data) just before it */
	const uint64_t ref = UINT64_C(0x0000000400000010);

	cr_assert_eq(mp_seq_expand32(ref, 0xfffffff0),
		     UINT64_C(0x00000003fffffff0));
	cr_assert_eq(mp_seq_expand32(ref, 0xffffffff),
		     UINT64_C(0x00000003ffffffff));
	cr_assert_eq(mp_seq_expand32(ref, 0x00000000),
		     UINT64_C(0x0000000400000000));
}

Test(seq, wrap_modulo_2_64)
{
	/* 64-bit DSNs wrap too: forward past UINT64_MAX, backward past 0 */
	cr_assert_eq(mp_seq_expand32(UINT64_C(0xfffffffffffffff0), 0x10),
		     UINT64_C(0x10));
	cr_assert_eq(mp_seq_expand32(UINT64_C(5), 0xfffffff0),
		     UINT64_C(0xfffffffffffffff0));
}

Test(seq, far_values)
{
	const uint64_t ref = UINT64_C(0x1234567800000000);

	/* up to 2^31 - 1 either way stays on the near side */
	cr_assert_eq(mp_seq_expand32(ref, 0x7fffffff), ref + 0x7fffffff);
	cr_assert_eq(mp_seq_expand32(ref + 0x7fffffff, 0), ref);
	cr_assert_eq(mp_seq_expand32(ref | 0x80000002, 0x00000001),
		     ref + E32 + 1);
	cr_assert_eq(mp_seq_expand32(ref | 0x00000001, 0x80000002),
		     ref - E32 + 0x80000002);
	cr_assert_eq(mp_seq_expand32(ref, 0x80000001), ref - 0x7fffffff);
}

Test(seq, tie_at_2_31_follows_kernel)
{
	const uint64_t hi = UINT64_C(0x0000000900000000);

	/* low word >= 2^31: the wire value 2^31 below is taken as next epoch */
	cr_assert_eq(mp_seq_expand32(hi | H31, 0), hi + E32);
	cr_assert_eq(mp_seq_expand32(hi | 0xffffffff, 0x7fffffff),
		     (hi | 0xffffffff) + H31);
	/* low word < 2^31: the wire value 2^31 above is the previous epoch */
	cr_assert_eq(mp_seq_expand32(hi, H31), hi - H31);
	cr_assert_eq(mp_seq_expand32(hi | 0x7fffffff, 0xffffffff),
		     (hi | 0x7fffffff) - H31);
}

/* The result always carries the wire's low 32 bits and lies within 2^31 of
 * ref (modulo 2^64). A fixed-seed LCG keeps the test deterministic. */
Test(seq, property_closest)
{
	uint64_t s = UINT64_C(0x9e3779b97f4a7c15);

	for (int i = 0; i < 100000; i++) {
		s = s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
		uint64_t ref = s;
		s = s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
		uint32_t wire = (uint32_t)(s >> 32);
		/* bias half of the cases near an epoch boundary */
		if (i & 1)
			ref = (ref & UINT64_C(0xffffffff00000000)) |
			      (uint32_t)(0u - (uint32_t)(s & 0xff));
		uint64_t v = mp_seq_expand32(ref, wire);
		uint64_t d = v - ref; /* signed distance modulo 2^64 */

		cr_assert_eq((uint32_t)v, wire);
		cr_assert(d <= H31 || d >= (uint64_t)0 - H31,
			  "ref %#llx wire %#x -> %#llx",
			  (unsigned long long)ref, wire, (unsigned long long)v);
	}
}

/* Real capture: tcpdump's mptcp-v0.pcap (../shared/peer/tcpdump/) uses
 * 4-octet DSS fields. Frame 4 (server 10.1.1.2 → client, "dss ack
 * 3576348362 seq 3518592144") is the first data: its DSN is the server's
 * IDSN + 1 and its DATA_ACK the client's IDSN + 1 (the IDSNs are
 * SHA-1-derived from the MP_CAPABLE keys, see test_crypto.c). */
Test(seq, capture_v0_dss32)
{
	const uint64_t idsn_client = UINT64_C(0x9851b565d52abec9);
	const uint64_t idsn_server = UINT64_C(0xe47ef57dd1b9748f);

	cr_assert_eq(mp_seq_expand32(idsn_client, 3576348362u), idsn_client + 1);
	cr_assert_eq(mp_seq_expand32(idsn_server, 3518592144u), idsn_server + 1);
	/* frame 40: server DSN 3518594337 on the first subflow */
	cr_assert_eq(mp_seq_expand32(idsn_server + 1, 3518594337u),
		     idsn_server + 1 + (3518594337u - 3518592144u));
}

Test(seq, dss_wrapper)
{
	const uint64_t ref = UINT64_C(0x00000003fffffff0);

	cr_assert_eq(mp_seq_expand(ref, UINT64_C(0xabcdef0000000010), true),
		     UINT64_C(0xabcdef0000000010));
	cr_assert_eq(mp_seq_expand(ref, 0x10, false),
		     UINT64_C(0x0000000400000010));
}
