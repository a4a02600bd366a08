/* SPDX-License-Identifier: BSD-2-Clause */
/* crypto.h - MPTCP keys, tokens, IDSNs and HMACs, all on nettle (STYLE R13).
 *
 * RFC 8684 §3.1 (token, IDSN), §3.2 (MP_JOIN HMACs), §3.4.1 (ADD_ADDR HMAC);
 * RFC 6824 §3.1/§3.2 for version 0.
 *
 * Conventions for every function here:
 *  - `version` is the MP_CAPABLE version: 0 selects SHA-1 / HMAC-SHA1
 *    (RFC 6824), any other value SHA-256 / HMAC-SHA256 (RFC 8684). The
 *    MP_CAPABLE parser rejects versions above 1, so callers pass 0 or 1.
 *  - Keys (uint64_t) and nonces (uint32_t) are host-order integers, exactly
 *    as the parser reads them from the wire; they are serialised big-endian
 *    (network order) before hashing, as on the wire.
 *  - HMAC outputs and wire HMACs are byte arrays in wire order (the parser's
 *    `struct mp_join.hmac` and `struct mp_add_addr.hmac`). "Leftmost n bits"
 *    means the first n/8 bytes of the digest, "rightmost" the last ones.
 *  - Nothing allocates; all state lives on the stack. All functions are
 *    pure and thread-safe. Pointer arguments are borrowed, never kept. */
#ifndef MPANA_CRYPTO_H
#define MPANA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_HMAC_MAX_LEN 32        /* HMAC-SHA256 digest */
#define MP_HMAC_SHA1_LEN 20       /* HMAC-SHA1 digest (version 0) */
#define MP_JOIN_SYNACK_HMAC_LEN 8 /* truncated HMAC in the MP_JOIN SYN/ACK */
#define MP_JOIN_ACK_HMAC_LEN 20   /* HMAC in the MP_JOIN third ACK */
#define MP_ADD_ADDR_HMAC_LEN 8    /* truncated HMAC in a v1 ADD_ADDR */

/* Which part of the full HMAC a truncated wire HMAC equals. */
enum mp_hmac_side {
	MP_HMAC_NO_MATCH = 0, /* neither: a bad HMAC, or wrong keys */
	MP_HMAC_LEFT,         /* leftmost 64 bits (older Linux, ADD_ADDR) */
	MP_HMAC_RIGHT,        /* rightmost 64 bits (RFC 8684 ADD_ADDR) */
};

/* Returns "none", "leftmost" or "rightmost"; a static string, never NULL. */
const char *mp_hmac_side_name(enum mp_hmac_side side);

/* Digest length of mp_hmac() for `version`: 20 for 0, 32 otherwise. */
size_t mp_hmac_len(int version);

/* Token and IDSN of a key (RFC 8684 §3.1): H = SHA-256 (v1) or SHA-1 (v0)
 * over the key's 8 big-endian bytes; token = the most significant 32 bits
 * of H (its first 4 bytes), IDSN = the least significant 64 bits of H (its
 * last 8 bytes: bytes 24..31 of SHA-256, 12..19 of SHA-1), both read
 * big-endian. Either output pointer may be NULL. */
void mp_key_derive(int version, uint64_t key, uint32_t *token, uint64_t *idsn);

/* HMAC with Key = key1 || key2 (16 bytes, each key big-endian) over
 * msg[0..msg_len) (msg may be NULL when msg_len is 0). Writes
 * mp_hmac_len(version) bytes to out; for version 0 the remaining 12 bytes
 * of out are set to zero. */
void mp_hmac(int version, uint64_t key1, uint64_t key2, const uint8_t *msg,
	     size_t msg_len, uint8_t out[MP_HMAC_MAX_LEN]);

/* MP_JOIN (RFC 8684 §3.2). A is the host that sends the join SYN, B the
 * host it joins; key_a/key_b are each host's own key from the MP_CAPABLE
 * exchange (whatever its role there), nonce_a/nonce_b the R-A/R-B random
 * numbers of the join SYN and SYN/ACK. Both functions take the same
 * (key_a, key_b, nonce_a, nonce_b) and build the concatenations themselves. */

/* SYN/ACK (sent by B): the leftmost 64 bits of
 * HMAC(Key = Key-B || Key-A, Msg = R-B || R-A), R-x as 4 big-endian bytes. */
void mp_join_synack_hmac(int version, uint64_t key_a, uint64_t key_b,
			 uint32_t nonce_a, uint32_t nonce_b,
			 uint8_t out[MP_JOIN_SYNACK_HMAC_LEN]);

/* True when `wire` (8 bytes as sent) equals mp_join_synack_hmac(). */
bool mp_join_synack_hmac_ok(int version, uint64_t key_a, uint64_t key_b,
			    uint32_t nonce_a, uint32_t nonce_b,
			    const uint8_t wire[MP_JOIN_SYNACK_HMAC_LEN]);

/* Third ACK (sent by A): the leftmost 160 bits of
 * HMAC(Key = Key-A || Key-B, Msg = R-A || R-B); for v0 that is the whole
 * HMAC-SHA1. */
void mp_join_ack_hmac(int version, uint64_t key_a, uint64_t key_b,
		      uint32_t nonce_a, uint32_t nonce_b,
		      uint8_t out[MP_JOIN_ACK_HMAC_LEN]);

/* True when `wire` (20 bytes as sent) equals mp_join_ack_hmac(). */
bool mp_join_ack_hmac_ok(int version, uint64_t key_a, uint64_t key_b,
			 uint32_t nonce_a, uint32_t nonce_b,
			 const uint8_t wire[MP_JOIN_ACK_HMAC_LEN]);

/* ADD_ADDR (RFC 8684 §3.4.1, version 1 only; v0 ADD_ADDR has no HMAC):
 * full HMAC-SHA256(Key = Key-sender || Key-receiver,
 *                  Msg = Address ID (1) || address (4 or 16) || port (2)),
 * where key_sender is the key of the host sending the ADD_ADDR, `addr` the
 * address in network order (`struct mp_add_addr.addr`), `port` the port in
 * host order, serialised big-endian, and 0 when the option carries none.
 * Returns false and zeroes out when addr_len is neither 4 nor 16. */
bool mp_add_addr_hmac(uint64_t key_sender, uint64_t key_receiver,
		      uint8_t addr_id, const uint8_t *addr, size_t addr_len,
		      uint16_t port, uint8_t out[MP_HMAC_MAX_LEN]);

/* Compares the 8-byte wire HMAC of an ADD_ADDR with both ends of the full
 * HMAC above. RFC 8684 and current Linux send the rightmost 64 bits; older
 * Linux kernels sent the leftmost 64 (see MPTCP-NOTES.md). Returns
 * MP_HMAC_RIGHT or MP_HMAC_LEFT for the side that matched (right is tried
 * first), MP_HMAC_NO_MATCH otherwise or when addr_len is not 4 or 16. */
enum mp_hmac_side mp_add_addr_hmac_check(uint64_t key_sender,
					 uint64_t key_receiver, uint8_t addr_id,
					 const uint8_t *addr, size_t addr_len,
					 uint16_t port,
					 const uint8_t wire[MP_ADD_ADDR_HMAC_LEN]);

#endif /* MPANA_CRYPTO_H */
