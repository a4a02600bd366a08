/* SPDX-License-Identifier: BSD-2-Clause */
/* crypto.c - MPTCP token, IDSN and HMAC computations on nettle (STYLE R13).
 *
 * RFC 8684 §3.1, §3.2, §3.4.1; RFC 6824 §3.1, §3.2 (version 0, SHA-1).
 * The only file that includes nettle. Every context is on the stack: nettle
 * needs no initialisation and never allocates. Byte orders: see crypto.h. */
#include <endian.h>
#include <string.h>

#include <nettle/hmac.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "mpana/crypto.h"

/* Big-endian loads and stores of keys, tokens and nonces (RFC 8684 §3.1:
 * network order), through <endian.h>. */
static void put_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint32_t get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

const char *mp_hmac_side_name(enum mp_hmac_side side)
{
	switch (side) {
	case MP_HMAC_LEFT:
		return "leftmost";
	case MP_HMAC_RIGHT:
		return "rightmost";
	case MP_HMAC_NO_MATCH:
		break;
	}
	return "none";
}

size_t mp_hmac_len(int version)
{
	return version == 0 ? SHA1_DIGEST_SIZE : SHA256_DIGEST_SIZE;
}

void mp_key_derive(int version, uint64_t key, uint32_t *token, uint64_t *idsn)
{
	uint8_t in[8];                 /* the key, big-endian */
	uint8_t h[SHA256_DIGEST_SIZE]; /* digest; SHA-1 uses the first 20 */
	size_t h_len;

	put_be64(in, key);
	if (version == 0) {
		struct sha1_ctx c;
		sha1_init(&c);
		sha1_update(&c, sizeof in, in);
		sha1_digest(&c, SHA1_DIGEST_SIZE, h);
		h_len = SHA1_DIGEST_SIZE;
	} else {
		struct sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, sizeof in, in);
		sha256_digest(&c, SHA256_DIGEST_SIZE, h);
		h_len = SHA256_DIGEST_SIZE;
	}
	/* RFC 8684 §3.1: "the most significant 32 bits" of the hash, and
	 * "the least significant 64 bits" for the IDSN, the hash read as a
	 * big-endian number: its first 4 and its last 8 bytes. */
	if (token)
		*token = get_be32(h);
	if (idsn)
		*idsn = get_be64(h + h_len - 8);
}

void mp_hmac(int version, uint64_t key1, uint64_t key2, const uint8_t *msg,
	     size_t msg_len, uint8_t out[MP_HMAC_MAX_LEN])
{
	static const uint8_t empty[1];
	uint8_t key[16]; /* key1 || key2, each big-endian */

	put_be64(key, key1);
	put_be64(key + 8, key2);
	if (!msg) {
		msg = empty;
		msg_len = 0;
	}
	if (version == 0) {
		struct hmac_sha1_ctx c;
		hmac_sha1_set_key(&c, sizeof key, key);
		hmac_sha1_update(&c, msg_len, msg);
		hmac_sha1_digest(&c, SHA1_DIGEST_SIZE, out);
		memset(out + SHA1_DIGEST_SIZE, 0,
		       MP_HMAC_MAX_LEN - SHA1_DIGEST_SIZE);
	} else {
		struct hmac_sha256_ctx c;
		hmac_sha256_set_key(&c, sizeof key, key);
		hmac_sha256_update(&c, msg_len, msg);
		hmac_sha256_digest(&c, SHA256_DIGEST_SIZE, out);
	}
}

/* HMAC(Key = k1 || k2, Msg = n1 || n2), the nonces as 4 big-endian bytes. */
static void join_hmac(int version, uint64_t k1, uint64_t k2, uint32_t n1,
		      uint32_t n2, uint8_t out[MP_HMAC_MAX_LEN])
{
	uint8_t msg[8];

	put_be32(msg, n1);
	put_be32(msg + 4, n2);
	mp_hmac(version, k1, k2, msg, sizeof msg, out);
}

void mp_join_synack_hmac(int version, uint64_t key_a, uint64_t key_b,
			 uint32_t nonce_a, uint32_t nonce_b,
			 uint8_t out[MP_JOIN_SYNACK_HMAC_LEN])
{
	uint8_t h[MP_HMAC_MAX_LEN];

	/* RFC 8684 §3.2: B's MAC = HMAC(Key=(Key-B + Key-A), Msg=(R-B + R-A)),
	 * truncated to the leftmost 64 bits. */
	join_hmac(version, key_b, key_a, nonce_b, nonce_a, h);
	memcpy(out, h, MP_JOIN_SYNACK_HMAC_LEN);
}

bool mp_join_synack_hmac_ok(int version, uint64_t key_a, uint64_t key_b,
			    uint32_t nonce_a, uint32_t nonce_b,
			    const uint8_t wire[MP_JOIN_SYNACK_HMAC_LEN])
{
	uint8_t h[MP_JOIN_SYNACK_HMAC_LEN];

	mp_join_synack_hmac(version, key_a, key_b, nonce_a, nonce_b, h);
	return memcmp(h, wire, sizeof h) == 0;
}

void mp_join_ack_hmac(int version, uint64_t key_a, uint64_t key_b,
		      uint32_t nonce_a, uint32_t nonce_b,
		      uint8_t out[MP_JOIN_ACK_HMAC_LEN])
{
	uint8_t h[MP_HMAC_MAX_LEN];

	/* RFC 8684 §3.2: A's MAC = HMAC(Key=(Key-A + Key-B), Msg=(R-A + R-B)),
	 * the leftmost 160 bits (all of an HMAC-SHA1). */
	join_hmac(version, key_a, key_b, nonce_a, nonce_b, h);
	memcpy(out, h, MP_JOIN_ACK_HMAC_LEN);
}

bool mp_join_ack_hmac_ok(int version, uint64_t key_a, uint64_t key_b,
			 uint32_t nonce_a, uint32_t nonce_b,
			 const uint8_t wire[MP_JOIN_ACK_HMAC_LEN])
{
	uint8_t h[MP_JOIN_ACK_HMAC_LEN];

	mp_join_ack_hmac(version, key_a, key_b, nonce_a, nonce_b, h);
	return memcmp(h, wire, sizeof h) == 0;
}

bool mp_add_addr_hmac(uint64_t key_sender, uint64_t key_receiver,
		      uint8_t addr_id, const uint8_t *addr, size_t addr_len,
		      uint16_t port, uint8_t out[MP_HMAC_MAX_LEN])
{
	uint8_t msg[1 + 16 + 2]; /* id || address || port, network order */
	size_t n = 0;

	if (!addr || (addr_len != 4 && addr_len != 16)) {
		memset(out, 0, MP_HMAC_MAX_LEN);
		return false;
	}
	msg[n++] = addr_id;
	memcpy(msg + n, addr, addr_len);
	n += addr_len;
	/* Linux always hashes 2 port bytes, zero when the option has no port
	 * (hashing port 0 for a present port was a kernel bug, since fixed). */
	msg[n++] = (uint8_t)(port >> 8);
	msg[n++] = (uint8_t)port;
	mp_hmac(1, key_sender, key_receiver, msg, n, out);
	return true;
}

enum mp_hmac_side mp_add_addr_hmac_check(uint64_t key_sender,
					 uint64_t key_receiver, uint8_t addr_id,
					 const uint8_t *addr, size_t addr_len,
					 uint16_t port,
					 const uint8_t wire[MP_ADD_ADDR_HMAC_LEN])
{
	uint8_t h[MP_HMAC_MAX_LEN];

	if (!mp_add_addr_hmac(key_sender, key_receiver, addr_id, addr,
			      addr_len, port, h))
		return MP_HMAC_NO_MATCH;
	if (memcmp(h + MP_HMAC_MAX_LEN - MP_ADD_ADDR_HMAC_LEN, wire,
		   MP_ADD_ADDR_HMAC_LEN) == 0)
		return MP_HMAC_RIGHT;
	if (memcmp(h, wire, MP_ADD_ADDR_HMAC_LEN) == 0)
		return MP_HMAC_LEFT;
	return MP_HMAC_NO_MATCH;
}
