/* SPDX-License-Identifier: BSD-2-Clause */
/* test_crypto.c - unit.crypto: tokens, IDSNs and HMACs (crypto.h).
 *
 * RFC 8684 §3.1, §3.2, §3.4.1; RFC 6824 §3.1, §3.2. Expected values come
 * from three independent places: the Linux KUnit vectors
 * (net/mptcp/crypto_test.c), Python's hashlib/hmac, and real captures in
 * tcpdump's test suite (the .pcap files in ../shared/peer/tcpdump/, read in
 * place with `tcpdump -nn -# -v -r`; frame numbers are tcpdump's -#
 * numbers). Every value taken from a capture was also recomputed with
 * Python; the captures themselves are not copied. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mpana/crypto.h"

/* Parses `n` bytes of lowercase hex into out. */
static void unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		cr_assert_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* Big-endian 64-bit value of 8 bytes (the kernel test's be64_to_cpu()). */
static uint64_t be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void assert_bytes(const uint8_t *got, const char *want_hex, size_t n)
{
	uint8_t want[MP_HMAC_MAX_LEN];

	cr_assert(n <= sizeof want);
	unhex(want_hex, want, n);
	cr_assert(memcmp(got, want, n) == 0, "bytes differ from %s", want_hex);
}

/* ---- HMAC: Linux KUnit vectors -------------------------------------- */

/* net/mptcp/crypto_test.c feeds the ASCII bytes of its strings: the
 * 16-character key is read as two big-endian u64 (key1 = chars 0..7, key2 =
 * chars 8..15) and the 8-character message as two big-endian u32 nonces.
 * Results rechecked with Python: hmac.new(b"0b0b0b0b0b0b0b0b",
 * b"48692054", hashlib.sha256).hexdigest(), etc. */
struct kunit_vec {
	const char *key;    /* 16 ASCII characters */
	const char *msg;    /* 8 ASCII characters */
	const char *result; /* HMAC-SHA256, hex */
};

static const struct kunit_vec kunit[] = {
	{ "0b0b0b0b0b0b0b0b", "48692054",
	  "8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa" },
	{ "aaaaaaaaaaaaaaaa", "dddddddd",
	  "2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9" },
	{ "0102030405060708", "cdcdcdcd",
	  "e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d" },
};

Test(crypto, kunit_hmac_sha256)
{
	for (size_t i = 0; i < sizeof kunit / sizeof kunit[0]; i++) {
		uint8_t out[MP_HMAC_MAX_LEN];
		mp_hmac(1, be64(kunit[i].key), be64(kunit[i].key + 8),
			(const uint8_t *)kunit[i].msg, 8, out);
		assert_bytes(out, kunit[i].result, 32);
	}
}

/* The first vector with its keys spelled out: "0b0b0b0b" is
 * 0x30 0x62 0x30 0x62 ..., so both keys are 0x3062306230623062. */
Test(crypto, kunit_hmac_ascii_keys_explicit)
{
	uint8_t out[MP_HMAC_MAX_LEN];

	mp_hmac(1, UINT64_C(0x3062306230623062), UINT64_C(0x3062306230623062),
		(const uint8_t *)"48692054", 8, out);
	assert_bytes(out, "8385e24fb4235ac3", 8);
	/* the join helper builds the same Msg from two nonces: "4869"
	 * "2054" as big-endian u32 is 0x34383639, 0x32303534 */
	uint8_t ack[MP_JOIN_ACK_HMAC_LEN];
	mp_join_ack_hmac(1, UINT64_C(0x3062306230623062),
			 UINT64_C(0x3062306230623062), 0x34383639, 0x32303534,
			 ack);
	assert_bytes(ack, "8385e24fb4235ac37556b6b886db106284a1da67", 20);
}

/* v0: Python hmac.new(b"0b0b0b0b0b0b0b0b", b"48692054", hashlib.sha1) */
Test(crypto, hmac_sha1_v0)
{
	uint8_t out[MP_HMAC_MAX_LEN];

	memset(out, 0xaa, sizeof out);
	mp_hmac(0, be64("0b0b0b0b"), be64("0b0b0b0b"),
		(const uint8_t *)"48692054", 8, out);
	assert_bytes(out, "450c72fd6a1ec0b3d37f1184abe6c673c4612776", 20);
	for (size_t i = 20; i < sizeof out; i++)
		cr_assert_eq(out[i], 0, "byte %zu not zeroed", i);
	cr_assert_eq(mp_hmac_len(0), 20);
	cr_assert_eq(mp_hmac_len(1), 32);
}

/* ---- token / IDSN: Python hashlib ----------------------------------- */

/* h = hashlib.sha256(struct.pack('>Q', key)).digest() (sha1 for v0);
 * token = h[:4], IDSN = h[-8:], both big-endian. */
struct key_vec {
	int version;    /* 0: SHA-1, 1: SHA-256 */
	uint64_t key;   /* MP_CAPABLE key */
	uint32_t token; /* expected token */
	uint64_t idsn;  /* expected IDSN */
};

static const struct key_vec keys[] = {
	{ 1, UINT64_C(0x0000000000000000), 0xaf5570f5, UINT64_C(0xe5b2328de0e83dfc) },
	{ 1, UINT64_C(0x0000000000000001), 0xcd266215, UINT64_C(0x19ec509083d00a50) },
	{ 1, UINT64_C(0x0123456789abcdef), 0x55c53f5d, UINT64_C(0x570762cd38be9818) },
	{ 1, UINT64_C(0xffffffffffffffff), 0x12a3ae44, UINT64_C(0x57fb595bbbacf0ca) },
	{ 0, UINT64_C(0x0000000000000000), 0x05fe4057, UINT64_C(0xac558654f107c7e9) },
	{ 0, UINT64_C(0x0000000000000001), 0xcb473678, UINT64_C(0x38f11011007ad27d) },
	{ 0, UINT64_C(0x0123456789abcdef), 0x0ca2eadb, UINT64_C(0xe3df8ee121f10547) },
	{ 0, UINT64_C(0xffffffffffffffff), 0xbe673e8a, UINT64_C(0x866701c11ef8e089) },
};

Test(crypto, key_derive_python_vectors)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		uint32_t token = 0;
		uint64_t idsn = 0;
		mp_key_derive(keys[i].version, keys[i].key, &token, &idsn);
		cr_assert_eq(token, keys[i].token, "v%d key %#llx: token %#x",
			     keys[i].version, (unsigned long long)keys[i].key,
			     token);
		cr_assert_eq(idsn, keys[i].idsn, "v%d key %#llx: idsn %#llx",
			     keys[i].version, (unsigned long long)keys[i].key,
			     (unsigned long long)idsn);
	}
}

Test(crypto, key_derive_null_outputs)
{
	uint32_t token = 0;
	uint64_t idsn = 0;

	mp_key_derive(1, 1, &token, NULL);
	cr_assert_eq(token, 0xcd266215);
	mp_key_derive(1, 1, NULL, &idsn);
	cr_assert_eq(idsn, UINT64_C(0x19ec509083d00a50));
	mp_key_derive(0, 1, NULL, NULL);
}

/* ---- real captures --------------------------------------------------- */

/* mptcp-v1.pcap (v1, LINUX_SLL, no MP_JOIN in it): frame 3, the MP_CAPABLE
 * third ACK 10.0.1.1.33306 > 10.0.2.1.10004, carries client key
 * 0x1fdb5df328bc3def and server key 0x29a6c86981ad933c. The first data
 * confirms the SHA-256 IDSNs: frame 5 (server) "dss ack
 * 14413541604287230030" = client IDSN + 1; frame 7 (server) "seq
 * 11713449205243392242" = server IDSN + 1. Tokens cross-checked with
 * tshark's mptcp.expected_token (597671344, 2740809090). */
Test(crypto, capture_v1_keys)
{
	uint32_t token;
	uint64_t idsn;

	mp_key_derive(1, UINT64_C(0x1fdb5df328bc3def), &token, &idsn);
	cr_assert_eq(token, 0x239fbdb0);
	cr_assert_eq(idsn + 1, UINT64_C(14413541604287230030));
	mp_key_derive(1, UINT64_C(0x29a6c86981ad933c), &token, &idsn);
	cr_assert_eq(token, 0xa35d6d82);
	cr_assert_eq(idsn + 1, UINT64_C(11713449205243392242));
}

/* mptcp-aa-v1.pcap (v1): frame 5, MP_CAPABLE third ACK from client
 * 192.168.125.212.52278, keys {0x8f0c7c64a6a32ac1 (client),
 * 0x73bb150358a0aecb (server)}. Frame 7 (server) "dss ack
 * 17186763219675866565" = client IDSN + 1; frame 8 (server) "seq
 * 12148165319181844526" = server IDSN + 1. */
#define AA_KEY_CLIENT UINT64_C(0x8f0c7c64a6a32ac1)
#define AA_KEY_SERVER UINT64_C(0x73bb150358a0aecb)

Test(crypto, capture_aa_v1_keys)
{
	uint32_t token;
	uint64_t idsn;

	mp_key_derive(1, AA_KEY_CLIENT, &token, &idsn);
	cr_assert_eq(token, 0x2e1abded);
	cr_assert_eq(idsn + 1, UINT64_C(17186763219675866565));
	mp_key_derive(1, AA_KEY_SERVER, &token, &idsn);
	cr_assert_eq(token, 0x5f3f5591);
	cr_assert_eq(idsn + 1, UINT64_C(12148165319181844526));
}

/* mptcp-aa-v1.pcap frame 13: server 192.168.125.165 sends "add-addr v1 id 1
 * 192.168.136.225 hmac 0x669928744366716c" (no port) to the client. It is
 * the LEFTMOST 64 bits of HMAC-SHA256(Key-server || Key-client,
 * 0x01 || c0 a8 88 e1 || 00 00) = 669928744366716c...444e4c25 (Python):
 * this older kernel predates the rightmost-64 behaviour. */
Test(crypto, capture_aa_v1_add_addr_left)
{
	static const uint8_t addr[4] = { 192, 168, 136, 225 };
	static const uint8_t wire[8] = { 0x66, 0x99, 0x28, 0x74,
					 0x43, 0x66, 0x71, 0x6c };
	uint8_t full[MP_HMAC_MAX_LEN];

	cr_assert(mp_add_addr_hmac(AA_KEY_SERVER, AA_KEY_CLIENT, 1, addr, 4, 0,
				   full));
	assert_bytes(full,
		     "669928744366716c5c66cafedd592e3f"
		     "1ed423afc590401de0e054c3444e4c25", 32);
	cr_assert_eq(mp_add_addr_hmac_check(AA_KEY_SERVER, AA_KEY_CLIENT, 1,
					    addr, 4, 0, wire),
		     MP_HMAC_LEFT);
	cr_assert_str_eq(mp_hmac_side_name(MP_HMAC_LEFT), "leftmost");
	/* keys in the wrong order, another id, a port: no match */
	cr_assert_eq(mp_add_addr_hmac_check(AA_KEY_CLIENT, AA_KEY_SERVER, 1,
					    addr, 4, 0, wire),
		     MP_HMAC_NO_MATCH);
	cr_assert_eq(mp_add_addr_hmac_check(AA_KEY_SERVER, AA_KEY_CLIENT, 2,
					    addr, 4, 0, wire),
		     MP_HMAC_NO_MATCH);
	cr_assert_eq(mp_add_addr_hmac_check(AA_KEY_SERVER, AA_KEY_CLIENT, 1,
					    addr, 4, 80, wire),
		     MP_HMAC_NO_MATCH);
	/* the RFC 8684 form of the same option: the rightmost 64 bits */
	static const uint8_t wire_right[8] = { 0xe0, 0xe0, 0x54, 0xc3,
					       0x44, 0x4e, 0x4c, 0x25 };
	cr_assert_eq(mp_add_addr_hmac_check(AA_KEY_SERVER, AA_KEY_CLIENT, 1,
					    addr, 4, 0, wire_right),
		     MP_HMAC_RIGHT);
}

/* Message layout with IPv6 and a port, from Python:
 * hmac.new(struct.pack('>QQ', ks, kr), bytes([7]) +
 *          inet_pton(AF_INET6, '2001:db8::1') + struct.pack('>H', 8080),
 *          hashlib.sha256) */
Test(crypto, add_addr_ipv6_port)
{
	static const uint8_t addr6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					   0, 0, 0, 0, 0, 0, 0, 1 };
	const uint64_t ks = UINT64_C(0x1122334455667788);
	const uint64_t kr = UINT64_C(0x99aabbccddeeff00);
	uint8_t full[MP_HMAC_MAX_LEN], wire[8];

	cr_assert(mp_add_addr_hmac(ks, kr, 7, addr6, 16, 8080, full));
	assert_bytes(full,
		     "631d76389c9cd1b1d1dcde14a188455a"
		     "e433cfda2fce8107973c6575d9e6518e", 32);
	unhex("973c6575d9e6518e", wire, 8);
	cr_assert_eq(mp_add_addr_hmac_check(ks, kr, 7, addr6, 16, 8080, wire),
		     MP_HMAC_RIGHT);
	cr_assert_eq(mp_add_addr_hmac_check(ks, kr, 7, addr6, 16, 0, wire),
		     MP_HMAC_NO_MATCH);
	/* without a port, 2 zero bytes are hashed (Python: ...12747c1d69b49b83) */
	unhex("12747c1d69b49b83", wire, 8);
	cr_assert_eq(mp_add_addr_hmac_check(ks, kr, 7, addr6, 16, 0, wire),
		     MP_HMAC_RIGHT);
}

Test(crypto, add_addr_bad_addr_len)
{
	static const uint8_t addr[16];
	uint8_t full[MP_HMAC_MAX_LEN], wire[8] = { 0 };

	memset(full, 0xaa, sizeof full);
	cr_assert_not(mp_add_addr_hmac(1, 2, 1, addr, 5, 0, full));
	for (size_t i = 0; i < sizeof full; i++)
		cr_assert_eq(full[i], 0);
	cr_assert_not(mp_add_addr_hmac(1, 2, 1, NULL, 4, 0, full));
	cr_assert_eq(mp_add_addr_hmac_check(1, 2, 1, addr, 0, 0, wire),
		     MP_HMAC_NO_MATCH);
	cr_assert_str_eq(mp_hmac_side_name(MP_HMAC_NO_MATCH), "none");
	cr_assert_str_eq(mp_hmac_side_name(MP_HMAC_RIGHT), "rightmost");
}

/* mptcp-v0.pcap (v0, SHA-1), the only MP_JOIN in the tcpdump captures.
 * Frames 1-3: client 10.2.1.2.35961 key 0x9c9eabd1e46a33b2, server
 * 10.1.1.2.22 key 0x967d2770b6960552. Frame 4: the server adds 10.1.2.2.
 * Frame 8: join SYN 10.2.1.2.41221 > 10.1.2.2.22 "token 0xe47f0142 nonce
 * 0x1b665a18" (A = client, B = server). Frame 9: SYN/ACK "hmac
 * 0x5ab680c7884af03d nonce 0x33abe9d5". Frame 10: third ACK "hmac
 * 0xcb7b87f5e5f0502f43b535fb70ef6607df2e6c7a". */
#define V0_KEY_A UINT64_C(0x9c9eabd1e46a33b2)
#define V0_KEY_B UINT64_C(0x967d2770b6960552)
#define V0_R_A 0x1b665a18u
#define V0_R_B 0x33abe9d5u

Test(crypto, capture_v0_join_token)
{
	uint32_t token_a, token_b;
	uint64_t idsn_a, idsn_b;

	mp_key_derive(0, V0_KEY_A, &token_a, &idsn_a);
	mp_key_derive(0, V0_KEY_B, &token_b, &idsn_b);
	/* the join SYN carries the token of the host it is sent to (B) */
	cr_assert_eq(token_b, 0xe47f0142);
	cr_assert_eq(token_a, 0xaf9706eb);
	/* frame 4 "dss ack 3576348362 seq 3518592144": low 32 bits of
	 * client IDSN + 1 and server IDSN + 1 */
	cr_assert_eq((uint32_t)(idsn_a + 1), 3576348362u);
	cr_assert_eq((uint32_t)(idsn_b + 1), 3518592144u);
	cr_assert_eq(idsn_a, UINT64_C(0x9851b565d52abec9));
	cr_assert_eq(idsn_b, UINT64_C(0xe47ef57dd1b9748f));
}

Test(crypto, capture_v0_join_synack_hmac)
{
	static const uint8_t wire[8] = { 0x5a, 0xb6, 0x80, 0xc7,
					 0x88, 0x4a, 0xf0, 0x3d };
	uint8_t out[MP_JOIN_SYNACK_HMAC_LEN];

	mp_join_synack_hmac(0, V0_KEY_A, V0_KEY_B, V0_R_A, V0_R_B, out);
	cr_assert(memcmp(out, wire, sizeof wire) == 0);
	cr_assert(mp_join_synack_hmac_ok(0, V0_KEY_A, V0_KEY_B, V0_R_A, V0_R_B,
					 wire));
	/* swapped roles, swapped nonces, or the wrong hash do not verify */
	cr_assert_not(mp_join_synack_hmac_ok(0, V0_KEY_B, V0_KEY_A, V0_R_A,
					     V0_R_B, wire));
	cr_assert_not(mp_join_synack_hmac_ok(0, V0_KEY_A, V0_KEY_B, V0_R_B,
					     V0_R_A, wire));
	cr_assert_not(mp_join_synack_hmac_ok(1, V0_KEY_A, V0_KEY_B, V0_R_A,
					     V0_R_B, wire));
}

Test(crypto, capture_v0_join_ack_hmac)
{
	static const uint8_t wire[20] = { 0xcb, 0x7b, 0x87, 0xf5, 0xe5,
					  0xf0, 0x50, 0x2f, 0x43, 0xb5,
					  0x35, 0xfb, 0x70, 0xef, 0x66,
					  0x07, 0xdf, 0x2e, 0x6c, 0x7a };
	uint8_t out[MP_JOIN_ACK_HMAC_LEN];

	mp_join_ack_hmac(0, V0_KEY_A, V0_KEY_B, V0_R_A, V0_R_B, out);
	cr_assert(memcmp(out, wire, sizeof wire) == 0);
	cr_assert(mp_join_ack_hmac_ok(0, V0_KEY_A, V0_KEY_B, V0_R_A, V0_R_B,
				      wire));
	cr_assert_not(mp_join_ack_hmac_ok(0, V0_KEY_B, V0_KEY_A, V0_R_B,
					  V0_R_A, wire));
}

/* v1 join: no MP_JOIN in the v1 captures, so Python over the mptcp-v1.pcap
 * keys with made-up nonces R-A = 0x01020304, R-B = 0xa0b0c0d0:
 * hmac.new(pack('>QQ', KB, KA), pack('>II', RB, RA), sha256)[:8] and
 * hmac.new(pack('>QQ', KA, KB), pack('>II', RA, RB), sha256)[:20]. */
Test(crypto, join_v1_python)
{
	const uint64_t ka = UINT64_C(0x1fdb5df328bc3def);
	const uint64_t kb = UINT64_C(0x29a6c86981ad933c);
	uint8_t synack[MP_JOIN_SYNACK_HMAC_LEN], ack[MP_JOIN_ACK_HMAC_LEN];

	mp_join_synack_hmac(1, ka, kb, 0x01020304, 0xa0b0c0d0, synack);
	assert_bytes(synack, "c9c3f83fe022176a", 8);
	cr_assert(mp_join_synack_hmac_ok(1, ka, kb, 0x01020304, 0xa0b0c0d0,
					 synack));
	mp_join_ack_hmac(1, ka, kb, 0x01020304, 0xa0b0c0d0, ack);
	assert_bytes(ack, "6aa6beeb783cc56f5a70ae17530620a54921d981", 20);
	cr_assert(mp_join_ack_hmac_ok(1, ka, kb, 0x01020304, 0xa0b0c0d0, ack));
	cr_assert_not(mp_join_ack_hmac_ok(0, ka, kb, 0x01020304, 0xa0b0c0d0,
					  ack));
}
