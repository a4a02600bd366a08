/* SPDX-License-Identifier: BSD-2-Clause */
/* opt.h - decoded MPTCP options (RFC 8684 §3, RFC 6824 §3) and their parsers.
 *
 * The parsers in dissect/ are pure: no I/O, no allocation, no globals. They
 * fill the plain structs below; only src/ applies them to connection state
 * (STYLE R5). Every length is checked exactly against the subtype, its flags
 * and the TCP flags before any field is read (STYLE R4); a failure is data,
 * reported through `enum mp_err` with a stable name (STYLE R7). */
#ifndef MPANA_OPT_H
#define MPANA_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpana/rd.h"

#define TCPOPT_MPTCP 30 /* IANA TCP option kind for MPTCP */

/* MPTCP option subtypes (RFC 8684 §7.2 registry). */
enum {
	MPTCP_SUB_CAPABLE = 0x0,
	MPTCP_SUB_JOIN = 0x1,
	MPTCP_SUB_DSS = 0x2,
	MPTCP_SUB_ADD_ADDR = 0x3,
	MPTCP_SUB_REMOVE_ADDR = 0x4,
	MPTCP_SUB_PRIO = 0x5,
	MPTCP_SUB_FAIL = 0x6,
	MPTCP_SUB_FASTCLOSE = 0x7,
	MPTCP_SUB_TCPRST = 0x8,
	MPTCP_SUB_UNKNOWN = 0xff, /* set when the subtype byte itself is missing */
};

/* TCP header flags, as in the 13th header byte. */
enum {
	MP_TH_FIN = 0x01,
	MP_TH_SYN = 0x02,
	MP_TH_RST = 0x04,
	MP_TH_PSH = 0x08,
	MP_TH_ACK = 0x10,
	MP_TH_URG = 0x20,
	MP_TH_ECE = 0x40,
	MP_TH_CWR = 0x80,
};

/* Stable error codes for malformed options. Renaming one is a schema change:
 * the names (mp_err_name) are written to JSON, text and SQLite. */
enum mp_err {
	MP_E_NONE = 0,
	MP_E_TCP_OPT_LEN_SHORT,   /* "tcp.opt.len_short": length byte < 2 */
	MP_E_TCP_OPT_LEN_OVERRUN, /* "tcp.opt.len_overrun": runs past the TCP header */
	MP_E_TRUNCATED,           /* "mptcp.truncated": capture ends inside the option */
	MP_E_MPTCP_LEN_SHORT,     /* "mptcp.len_short": no room for the subtype byte */
	MP_E_CAPABLE_BAD_LEN,     /* "mp_capable.bad_len" */
	MP_E_CAPABLE_BAD_VERSION, /* "mp_capable.bad_version": version > 1 */
	MP_E_JOIN_BAD_LEN,        /* "mp_join.bad_len" (incl. length vs SYN/ACK flags) */
	MP_E_DSS_BAD_LEN,         /* "dss.bad_len" */
	MP_E_ADD_ADDR_BAD_LEN,    /* "add_addr.bad_len" */
	MP_E_ADD_ADDR_BAD_IPVER,  /* "add_addr.bad_ipver": v0 IPVer not 4 or 6 */
	MP_E_REMOVE_ADDR_BAD_LEN, /* "remove_addr.bad_len" */
	MP_E_PRIO_BAD_LEN,        /* "mp_prio.bad_len" */
	MP_E_FAIL_BAD_LEN,        /* "mp_fail.bad_len" */
	MP_E_FASTCLOSE_BAD_LEN,   /* "mp_fastclose.bad_len" */
	MP_E_TCPRST_BAD_LEN,      /* "mp_tcprst.bad_len" */
	MP_E__COUNT
};

/* MP_CAPABLE flags (RFC 8684 §3.1). */
enum {
	MPC_A = 0x80, /* checksum required */
	MPC_B = 0x40, /* extensibility */
	MPC_C = 0x20, /* do not establish new subflows to this source address */
	MPC_D = 0x10,
	MPC_E = 0x08,
	MPC_F = 0x04,
	MPC_G = 0x02,
	MPC_H = 0x01, /* HMAC-SHA256 (v1) / HMAC-SHA1 (v0) */
};

struct mp_capable {
	uint8_t version;       /* 0 (RFC 6824) or 1 (RFC 8684) */
	uint8_t flags;         /* MPC_* bits */
	bool has_sender_key;   /* lengths 12, 20, 22, 24 */
	bool has_receiver_key; /* lengths 20, 22, 24 */
	bool has_data_len;     /* lengths 22, 24 (v1 only) */
	bool has_checksum;     /* length 24 (v1 only) */
	uint64_t sender_key;   /* key of the option's sender */
	uint64_t receiver_key; /* key of the option's receiver */
	uint16_t data_len;     /* data-level length */
	uint16_t checksum;     /* DSS checksum of the first data */
};

enum mp_join_phase {
	MP_JOIN_SYN = 0,    /* length 12: token + nonce */
	MP_JOIN_SYNACK = 1, /* length 16: truncated HMAC + nonce */
	MP_JOIN_ACK = 2,    /* length 24: 160-bit HMAC */
};

struct mp_join {
	uint8_t phase;    /* enum mp_join_phase */
	bool backup;      /* B flag (SYN, SYN/ACK) */
	uint8_t addr_id;  /* SYN, SYN/ACK */
	uint32_t token;   /* SYN: receiver's token */
	uint32_t nonce;   /* SYN, SYN/ACK: sender's random number */
	uint8_t hmac_len; /* 8 (SYN/ACK), 20 (ACK), 0 otherwise */
	uint8_t hmac[20]; /* as on the wire */
};

/* DSS flags (RFC 8684 §3.3). */
enum {
	DSS_A = 0x01, /* data ACK present */
	DSS_a = 0x02, /* data ACK is 8 octets */
	DSS_M = 0x04, /* mapping (DSN, SSN, length) present */
	DSS_m = 0x08, /* DSN is 8 octets */
	DSS_F = 0x10, /* DATA_FIN */
};

struct mp_dss {
	uint8_t flags;     /* DSS_* bits, reserved bits kept as sent */
	bool has_checksum; /* mapping followed by a 2-byte checksum */
	uint64_t data_ack; /* raw wire value (4 or 8 octets) when DSS_A */
	uint64_t dsn;      /* raw wire value (4 or 8 octets) when DSS_M */
	uint32_t ssn;      /* subflow sequence number, relative to the ISN */
	uint16_t dll;      /* data-level length; 0 = infinite mapping */
	uint16_t checksum; /* when has_checksum */
};

struct mp_add_addr {
	uint8_t version;  /* 0: RFC 6824 form (IPVer nibble); 1: RFC 8684 */
	uint8_t ipver;    /* 4 or 6 */
	bool echo;        /* v1 E flag: an echo carries no HMAC */
	uint8_t addr_id;  /* address id */
	uint8_t addr[16]; /* first 4 bytes used for IPv4 */
	bool has_port;    /* optional port present */
	uint16_t port;    /* host order */
	bool has_hmac;    /* v1 without echo */
	uint8_t hmac[8];  /* truncated HMAC as on the wire */
};

#define MP_REMOVE_ADDR_MAX 37 /* 40 option bytes - kind, len, subtype */

struct mp_remove_addr {
	uint8_t n_ids;                   /* number of address ids */
	uint8_t ids[MP_REMOVE_ADDR_MAX]; /* in wire order */
};

struct mp_prio {
	bool backup;      /* B flag */
	bool has_addr_id; /* length 4 (RFC 6824 form) */
	uint8_t addr_id;  /* when has_addr_id */
};

struct mp_fail {
	uint64_t dsn; /* 64-bit data sequence number */
};

struct mp_fastclose {
	uint64_t receiver_key; /* key of the option's receiver */
};

/* MP_TCPRST flags (RFC 8684 §3.6). */
enum { TCPRST_U = 0x8, TCPRST_V = 0x4, TCPRST_W = 0x2, TCPRST_T = 0x1 };

struct mp_tcprst {
	uint8_t flags;  /* TCPRST_* bits (low nibble of the subtype byte) */
	uint8_t reason; /* reason code, named by mp_tcprst_reason_name() */
};

/* One MPTCP option occurrence. `raw` borrows the packet buffer: it is valid
 * only while the packet callback runs. */
struct mp_opt {
	uint8_t subtype;      /* MPTCP_SUB_*, or any 4-bit value; 0xff when unreadable */
	uint8_t len;          /* the option's length byte */
	uint8_t off;          /* offset of the kind byte from the start of TCP options */
	uint8_t caplen;       /* option bytes present in the capture (<= len) */
	uint8_t err;          /* enum mp_err; MP_E_NONE when the option parsed */
	const uint8_t *raw;   /* borrowed: the option's first captured byte (kind) */
	union {
		struct mp_capable capable;
		struct mp_join join;
		struct mp_dss dss;
		struct mp_add_addr add_addr;
		struct mp_remove_addr remove_addr;
		struct mp_prio prio;
		struct mp_fail fail;
		struct mp_fastclose fastclose;
		struct mp_tcprst tcprst;
	} u;
};

/* 40 option bytes / 3 bytes per shortest MPTCP option, rounded up. */
#define MP_OPTS_MAX 14

/* All MPTCP options of one TCP header, in wire order. */
struct mp_opts {
	uint8_t n;                      /* entries used in v[] */
	uint8_t tcp_err;                /* enum mp_err: framing error of a non-MPTCP option */
	uint8_t tcp_err_off;            /* its offset */
	bool tcp_md5;                   /* a TCP-MD5 signature option (kind 19,
					 * RFC 2385) was present: MPTCP falls back */
	struct mp_opt v[MP_OPTS_MAX];   /* the options */
};

/* Parses one MPTCP option. `r` covers the option's captured bytes from the
 * subtype byte on (kind and length already consumed), `len` is the option's
 * length byte (already known to be >= 2 and within the TCP header), and
 * `tcp_flags` the header's flags. Fills `o` (o->subtype, o->err, o->u); never
 * reads outside `r`. Returns o->err. */
enum mp_err mp_opt_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			 struct mp_opt *o);

/* Per-subtype parsers with the same contract; `r` is positioned at the
 * subtype byte. Each checks `len` first and reads nothing when it is wrong. */
enum mp_err mp_capable_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			     struct mp_capable *o);
enum mp_err mp_join_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			  struct mp_join *o);
enum mp_err mp_dss_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			 struct mp_dss *o);
enum mp_err mp_add_addr_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			      struct mp_add_addr *o);
enum mp_err mp_remove_addr_parse(struct mp_rd *r, uint8_t len,
				 uint8_t tcp_flags, struct mp_remove_addr *o);
enum mp_err mp_prio_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			  struct mp_prio *o);
enum mp_err mp_fail_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			  struct mp_fail *o);
enum mp_err mp_fastclose_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			       struct mp_fastclose *o);
enum mp_err mp_tcprst_parse(struct mp_rd *r, uint8_t len, uint8_t tcp_flags,
			    struct mp_tcprst *o);

/* Walks a TCP header's options. `p` holds the captured option bytes
 * (`caplen` of them, possibly fewer than `hdr_len` when the snaplen cut the
 * header); `hdr_len` is the options area the TCP data offset declares.
 * Collects every MPTCP option into `out`, malformed ones included with their
 * error; a framing error stops the walk (RFC 9293 §3.1: no way to resync). */
void mp_tcpopt_walk(const uint8_t *p, size_t caplen, size_t hdr_len,
		    uint8_t tcp_flags, struct mp_opts *out);

/* Length of a DSS option for `flags` without its checksum (RFC 8684 §3.3). */
size_t mp_dss_len(uint8_t flags);

/* Names. Each returns a static string, never NULL. */
const char *mp_err_name(enum mp_err e);        /* "dss.bad_len", "" for NONE */
const char *mp_subtype_name(uint8_t subtype);  /* "mp_capable" … "unknown" */
const char *mp_tcprst_reason_name(uint8_t reason); /* RFC 8684 §3.6 */

#endif /* MPANA_OPT_H */
