/* SPDX-License-Identifier: BSD-2-Clause */
/* appid.h - application protocol of a connection, from its first data
 * packets (libndpi 4.2, src/engine/appid_ndpi.c; STYLE R14).
 *
 * No RFC: classification looks at TCP payload only (RFC 8684 §3.3 carries
 * the byte stream unchanged on every subflow). Only src/engine/appid_ndpi.c
 * includes nDPI. Without MPANA_WITH_NDPI the inline stubs below answer
 * "unknown" and allocate nothing. */
#ifndef MPANA_APPID_H
#define MPANA_APPID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MP_APPID_MAX_PKTS 10 /* data packets fed before giving up */

struct mp_appid;      /* a detection module (large: create one per run) */
struct mp_appid_flow; /* per-connection state (~1 KB+) */

#ifdef MPANA_WITH_NDPI
/* Returns an owned module, or NULL when nDPI cannot initialise. */
struct mp_appid *mp_appid_new(void);
/* Frees a module; NULL is fine. */
void mp_appid_free(struct mp_appid *m);
/* Returns an owned, zeroed flow, or NULL on OOM. */
struct mp_appid_flow *mp_appid_flow_new(void);
/* Frees a flow; NULL is fine. */
void mp_appid_flow_free(struct mp_appid_flow *f);
/* Feeds one IP packet (`ip` borrowed, `len` bytes from the IP header on).
 * Returns true when the protocol is known: its name is then in `name`
 * (NUL-terminated, at most `name_len` bytes) and the flow can be freed. */
bool mp_appid_feed(struct mp_appid *m, struct mp_appid_flow *f,
		   const uint8_t *ip, size_t len, uint64_t ts_ms,
		   char *name, size_t name_len);
/* Ends classification (nDPI's giveup, with guessing) and writes the best
 * answer, "unknown" when there is none, to `name`. */
void mp_appid_giveup(struct mp_appid *m, struct mp_appid_flow *f, char *name,
		     size_t name_len);
#else
static inline struct mp_appid *mp_appid_new(void) { return NULL; }
static inline void mp_appid_free(struct mp_appid *m) { (void)m; }
static inline struct mp_appid_flow *mp_appid_flow_new(void) { return NULL; }
static inline void mp_appid_flow_free(struct mp_appid_flow *f) { (void)f; }
static inline bool mp_appid_feed(struct mp_appid *m, struct mp_appid_flow *f,
				 const uint8_t *ip, size_t len, uint64_t ts_ms,
				 char *name, size_t name_len)
{
	(void)m; (void)f; (void)ip; (void)len; (void)ts_ms; (void)name;
	(void)name_len;
	return false;
}
static inline void mp_appid_giveup(struct mp_appid *m, struct mp_appid_flow *f,
				   char *name, size_t name_len)
{
	(void)m; (void)f;
	if (name_len) {
		size_t n = sizeof "unknown" <= name_len ? sizeof "unknown" : name_len;
		memcpy(name, "unknown", n - 1);
		name[n - 1] = '\0';
	}
}
#endif

#endif /* MPANA_APPID_H */
