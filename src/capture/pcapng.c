/* SPDX-License-Identifier: BSD-2-Clause */
/* pcapng.c - zero-copy pcapng reader (see pcapng.h).
 *
 * draft-ietf-opsawg-pcapng: §3.1 general block structure (type, total
 * length, body, total length again; lengths multiples of 4), §3.5 options
 * (code, length, value padded to 32 bits; opt_endofopt ends them, opt_comment
 * is code 1), §4.1 Section Header Block (byte-order magic 0x1A2B3C4D,
 * version 1.0), §4.2 Interface Description Block (link type, snaplen,
 * if_tsresol = 9, if_tsoffset = 14), §4.3 Enhanced Packet Block, §4.4
 * Simple Packet Block (interface 0; captured length = min(original
 * length, snaplen)), Appendix: the obsolete Packet Block (type 2).
 *
 * The checks, their order and the messages follow libpcap 1.10 sf-pcapng.c,
 * so that a file libpcap reads gives the same records and the same errors
 * (tests/fuzz/fuzz_pcapfile.c compares the two on every input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mpana/pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_PB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define BOM 0x1A2B3C4Du
#define SHB_MIN 28u           /* header, fixed part, trailer */
#define SHB_MAX (1u << 20)    /* libpcap's BT_SHB_INSANE_MAX */
#define MAX_BLOCK (16u << 20) /* libpcap's INITIAL_MAX_BLOCKSIZE */
#define MAX_SNAPLEN 262144u   /* libpcap's maximum for the types we decode */
#define PRELUDE_MAX (64u << 20) /* bytes before the first IDB we look at */
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define IF_TSRESOL 9
#define IF_TSOFFSET 14
#define PREFETCH_AHEAD 2048

/* How a time stamp's units become nanoseconds (libpcap's scale types for a
 * requested resolution of 1e9, plus the two common ones made constant). */
enum { TS_US, TS_NS, TS_UP_DEC, TS_DOWN_DEC, TS_BIN };

struct blk {
	const uint8_t *b; /* the block, from its type field */
	uint32_t type;    /* block type */
	uint32_t len;     /* block total length */
	bool swap;        /* byte order of the block */
};

static uint16_t r16(const uint8_t *p, bool swap)
{
	uint16_t v;

	memcpy(&v, p, sizeof v);
	return swap ? __builtin_bswap16(v) : v;
}

static uint32_t r32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return swap ? __builtin_bswap32(v) : v;
}

static uint64_t r64(const uint8_t *p, bool swap)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return swap ? __builtin_bswap64(v) : v;
}

/* LINKTYPE_* (IDB) to DLT_*, for the link types mpana decodes; -1 for
 * anything else. */
static int linktype_dlt(uint32_t lt)
{
	switch (lt) {
	case 0:   return DLT_NULL;
	case 1:   return DLT_EN10MB;
	case 9:   return DLT_PPP;
	case 50:  return DLT_PPP_SERIAL;
	case 101: return DLT_RAW;          /* LINKTYPE_RAW */
	case 108: return DLT_LOOP;         /* LINKTYPE_LOOP */
	case 113: return DLT_LINUX_SLL;
	case 228: return DLT_IPV4;
	case 229: return DLT_IPV6;
	case 276: return DLT_LINUX_SLL2;
	default:  return -1;
	}
}

/* libpcap 1.10's pcap_adjust_snapshot(): 0 or above INT_MAX becomes the
 * maximum of the link type (262144 for all but a few mpana does not
 * decode), any other value stays. */
static uint32_t adjust_snapshot(uint32_t snaplen)
{
	return snaplen == 0 || snaplen > INT32_MAX ? MAX_SNAPLEN : snaplen;
}

static int fail_src(struct mp_pcapng *g)
{
	snprintf(g->err, sizeof g->err, "%s", g->src->err);
	return -1;
}

static int too_short(struct mp_pcapng *g, uint32_t type)
{
	snprintf(g->err, sizeof g->err,
		 "block of type %u in pcapng dump file is too short", type);
	return -1;
}

/* The block `ahead` bytes past the cursor, whole (libpcap's read_block):
 * 1 with `k` set, 0 at a clean end of the data (or a requested stop), -1
 * with g->err set. With `may_switch`, a Section Header Block written in the
 * other byte order is read in that order (libpcap reads it in the current
 * one, and fails). */
static int read_block(struct mp_pcapng *g, size_t ahead, bool may_switch,
		      struct blk *k)
{
	struct mp_bsrc *s = g->src;
	size_t got = mp_bsrc_need(s, ahead + 8);
	const uint8_t *h;
	uint32_t raw;

	got = got > ahead ? got - ahead : 0;
	if (got < 8) {
		if (s->err)
			return fail_src(g);
		if (got == 0 || s->stopped)
			return 0; /* the end, or a stop on a pipe */
		snprintf(g->err, sizeof g->err,
			 "truncated pcapng dump file; tried to read %zu bytes, only got %zu",
			 (size_t)8, got);
		return -1;
	}
	h = s->p + ahead;
	k->type = r32(h, g->swap);
	k->swap = g->swap;
	if (k->type == BT_SHB && may_switch &&
	    mp_bsrc_need(s, ahead + 12) == ahead + 12) {
		h = s->p + ahead;
		memcpy(&raw, h + 8, sizeof raw);
		if (raw == (g->swap ? BOM : __builtin_bswap32(BOM))) {
			k->swap = !g->swap; /* §4.1: each section its own order */
			g->beyond = true; /* libpcap reads it in the old order,
					   * and fails */
		}
	}
	k->len = r32(h + 4, k->swap);
	if (k->len < 12) {
		snprintf(g->err, sizeof g->err,
			 "block in pcapng dump file has a length of %u < %zu",
			 k->len, (size_t)12);
		return -1;
	}
	if (k->len % 4 != 0) {
		snprintf(g->err, sizeof g->err,
			 "block in pcapng dump file has a length of %u that is not a multiple of 4",
			 k->len);
		return -1;
	}
	if (k->len > MAX_BLOCK) {
		snprintf(g->err, sizeof g->err, "pcapng block size %u > maximum %u",
			 k->len, MAX_BLOCK);
		return -1;
	}
	got = mp_bsrc_need(s, ahead + k->len) - ahead;
	if (got < k->len) {
		if (s->err)
			return fail_src(g);
		if (s->stopped)
			return 0;
		snprintf(g->err, sizeof g->err,
			 "truncated pcapng dump file; tried to read %zu bytes, only got %zu",
			 (size_t)k->len - 8, got - 8);
		return -1;
	}
	h = s->p + ahead;
	if (r32(h + k->len - 4, k->swap) != k->len) {
		snprintf(g->err, sizeof g->err,
			 "block total length in header and trailer don't match");
		return -1;
	}
	k->b = h;
	return 1;
}

/* The first opt_comment among the options at [o, end) (§3.5), or NULL.
 * Best effort, as libpcap ignores these options: a walk that runs out of
 * bytes just ends. */
static const uint8_t *find_comment(const uint8_t *o, const uint8_t *end,
				   bool swap, uint16_t *len)
{
	while (end - o >= 4) {
		uint16_t code = r16(o, swap), olen = r16(o + 2, swap);
		size_t padded = ((size_t)olen + 3) & ~(size_t)3;

		if (code == OPT_ENDOFOPT || (size_t)(end - o - 4) < padded)
			break;
		if (code == OPT_COMMENT) {
			*len = olen;
			return o + 4;
		}
		o += 4 + padded;
	}
	*len = 0;
	return NULL;
}

/* Keeps a copy of the section's opt_comment (the block's bytes may go
 * away with the next call). Returns -1 when out of memory. */
static int keep_shb_comment(struct mp_pcapng *g, const uint8_t *o,
			    const uint8_t *end, bool swap)
{
	uint16_t n;
	const uint8_t *c = find_comment(o, end, swap, &n);

	free(g->shb_comment);
	g->shb_comment = NULL;
	if (!c)
		return 0;
	g->shb_comment = malloc((size_t)n + 1);
	if (!g->shb_comment)
		return -1;
	memcpy(g->shb_comment, c, n);
	g->shb_comment[n] = 0;
	return 0;
}

/* The IDB options that matter for time stamps (libpcap's
 * process_idb_options, with its checks and messages). `o`..`end` is the
 * block's body after its fixed part. */
static int idb_options(struct mp_pcapng *g, const uint8_t *o, const uint8_t *end,
		       bool swap, struct mp_pcapng_if *ifc)
{
	bool saw_res = false, saw_off = false, binary = false;
	uint64_t res = 1000000; /* microseconds by default */

	ifc->tsoffset = 0;
	while (o != end) {
		uint16_t code, olen;
		size_t padded;

		if (end - o < 4)
			return too_short(g, BT_IDB);
		code = r16(o, swap);
		olen = r16(o + 2, swap);
		padded = ((size_t)olen + 3) & ~(size_t)3;
		if ((size_t)(end - o - 4) < padded)
			return too_short(g, BT_IDB);
		o += 4;
		switch (code) {
		case OPT_ENDOFOPT:
			if (olen != 0) {
				snprintf(g->err, sizeof g->err,
					 "Interface Description Block has opt_endofopt option with length %u != 0",
					 olen);
				return -1;
			}
			end = o; /* done */
			continue;
		case IF_TSRESOL:
			if (olen != 1) {
				snprintf(g->err, sizeof g->err,
					 "Interface Description Block has if_tsresol option with length %u != 1",
					 olen);
				return -1;
			}
			if (saw_res) {
				snprintf(g->err, sizeof g->err,
					 "Interface Description Block has more than one if_tsresol option");
				return -1;
			}
			saw_res = true;
			if (o[0] & 0x80) { /* a negative power of 2 */
				unsigned shift = o[0] & 0x7f;
				if (shift > 63) {
					snprintf(g->err, sizeof g->err,
						 "Interface Description Block if_tsresol option resolution 2^-%u is too high",
						 shift);
					return -1;
				}
				binary = true;
				res = (uint64_t)1 << shift;
			} else { /* a negative power of 10 */
				if (o[0] > 19) {
					snprintf(g->err, sizeof g->err,
						 "Interface Description Block if_tsresol option resolution 10^-%u is too high",
						 o[0]);
					return -1;
				}
				binary = false;
				res = 1;
				for (unsigned i = 0; i < o[0]; i++)
					res *= 10;
			}
			break;
		case IF_TSOFFSET:
			if (olen != 8) {
				snprintf(g->err, sizeof g->err,
					 "Interface Description Block has if_tsoffset option with length %u != 8",
					 olen);
				return -1;
			}
			if (saw_off) {
				snprintf(g->err, sizeof g->err,
					 "Interface Description Block has more than one if_tsoffset option");
				return -1;
			}
			saw_off = true;
			ifc->tsoffset = (int64_t)r64(o, swap);
			break;
		default:
			break;
		}
		o += padded;
	}
	ifc->tsresol = res;
	ifc->scale = 1;
	if (res == 1000000)
		ifc->how = TS_US;
	else if (res == 1000000000)
		ifc->how = TS_NS;
	else if (binary)
		ifc->how = TS_BIN;
	else if (res < 1000000000) {
		ifc->how = TS_UP_DEC;
		ifc->scale = 1000000000 / res;
	} else {
		ifc->how = TS_DOWN_DEC;
		ifc->scale = res / 1000000000;
	}
	return 0;
}

/* Adds the interface of the IDB `k` to the section (libpcap's
 * add_interface). Returns 0, or -1 with g->err set. */
static int add_interface(struct mp_pcapng *g, const struct blk *k)
{
	const uint8_t *body = k->b + 8, *end = k->b + k->len - 4;
	struct mp_pcapng_if *ifc;
	uint16_t lt;

	if (end - body < 8)
		return too_short(g, BT_IDB);
	if (g->nif == g->cap_if) {
		uint32_t n = g->cap_if ? g->cap_if * 2 : 4;
		void *more = n > g->cap_if ? realloc(g->ifs, (size_t)n * sizeof *g->ifs)
					   : NULL;
		if (!more) {
			snprintf(g->err, sizeof g->err,
				 "out of memory for per-interface information (%u interfaces)",
				 g->nif + 1);
			return -1;
		}
		g->ifs = more;
		g->cap_if = n;
	}
	ifc = &g->ifs[g->nif];
	lt = r16(body, k->swap);
	ifc->linktype = lt;
	ifc->dlt = linktype_dlt(lt);
	ifc->snapshot = adjust_snapshot(r32(body + 4, k->swap));
	if (idb_options(g, body + 8, end, k->swap, ifc) != 0)
		return -1;
	g->nif++;
	return 0;
}

/* Checks the first SHB and reads up to the first IDB (libpcap's
 * pcap_ng_check_header), `ahead` of the cursor so that nothing is consumed
 * until the file is known to be ours. Returns 1, 0 (libpcap's), -1 (out of
 * memory). */
static int prelude(struct mp_pcapng *g)
{
	struct mp_bsrc *s = g->src;
	const uint8_t *h;
	uint32_t raw, len;
	size_t ahead;
	struct blk k;

	if (mp_bsrc_need(s, 12) < 12)
		return 0;
	h = s->p;
	memcpy(&raw, h, sizeof raw);
	if (raw != BT_SHB)
		return 0;
	memcpy(&raw, h + 8, sizeof raw);
	if (raw == BOM)
		g->swap = false;
	else if (raw == __builtin_bswap32(BOM))
		g->swap = true;
	else
		return 0;
	len = r32(h + 4, g->swap);
	if (len < SHB_MIN || len > SHB_MAX || mp_bsrc_need(s, len) < len)
		return 0;
	h = s->p;
	/* versions 1.0 and 1.2 (the same format) */
	if (r16(h + 12, g->swap) != 1 ||
	    (r16(h + 14, g->swap) != 0 && r16(h + 14, g->swap) != 2))
		return 0;
	/* libpcap checks neither the trailer nor the alignment of the first
	 * SHB: the next block starts right after its total length */
	if (keep_shb_comment(g, h + 24, h + len - 4, g->swap) != 0)
		return -1;
	g->sections = 1;
	for (ahead = len; ahead <= PRELUDE_MAX; ahead += k.len) {
		if (read_block(g, ahead, false, &k) != 1)
			return 0;
		switch (k.type) {
		case BT_IDB:
			if (add_interface(g, &k) != 0)
				return g->ifs ? 0 : -1;
			if (g->ifs[0].dlt < 0)
				return 0; /* libpcap names the link type */
			g->dlt = g->ifs[0].dlt;
			g->first_snapshot = g->ifs[0].snapshot;
			mp_bsrc_skip(s, ahead + k.len);
			return 1;
		case BT_EPB:
		case BT_SPB:
		case BT_PB:
			return 0; /* a packet before any IDB */
		default:
			break; /* (another SHB here is skipped too, as libpcap does) */
		}
	}
	return 0;
}

static void reset(struct mp_pcapng *g)
{
	free(g->ifs);
	free(g->shb_comment);
	g->ifs = NULL;
	g->shb_comment = NULL;
	g->nif = g->cap_if = 0;
}

int mp_pcapng_open_src(struct mp_pcapng *g, struct mp_bsrc *src)
{
	int rc;

	memset(g, 0, sizeof *g);
	g->src = src;
	rc = prelude(g);
	if (rc != 1)
		reset(g);
	return rc;
}

/* The mapping is set up in g->map (in place: its read-ahead thread holds
 * its address); reads the prelude from it. */
static int open_mapped(struct mp_pcapng *g)
{
	int rc;

	g->src = &g->map.src;
	rc = prelude(g);
	if (rc != 1) {
		reset(g);
		mp_mapfile_close(&g->map);
	}
	return rc;
}

int mp_pcapng_open(struct mp_pcapng *g, const char *path)
{
	memset(g, 0, sizeof *g);
	if (mp_mapfile_open(&g->map, path, 12) != 1)
		return 0;
	return open_mapped(g);
}

int mp_pcapng_open_fd(struct mp_pcapng *g, int fd)
{
	memset(g, 0, sizeof *g);
	if (mp_mapfile_open_fd(&g->map, fd, 12) != 1)
		return 0;
	return open_mapped(g);
}

/* Capture time in ns, as libpcap with NANO precision computes it (sec =
 * units / resolution + if_tsoffset, the fraction scaled; tv_sec a time_t,
 * tv_usec an int) and mpana's libpcap loop adds them up. */
static inline uint64_t ts_ns(const struct mp_pcapng_if *ifc, uint64_t t)
{
	uint64_t sec, frac;

	switch (ifc->how) {
	case TS_US:
		sec = t / 1000000;
		frac = t % 1000000 * 1000;
		break;
	case TS_NS:
		sec = t / 1000000000;
		frac = t % 1000000000;
		break;
	case TS_UP_DEC:
		sec = t / ifc->tsresol;
		frac = t % ifc->tsresol * ifc->scale;
		break;
	case TS_DOWN_DEC:
		sec = t / ifc->tsresol;
		frac = t % ifc->tsresol / ifc->scale;
		break;
	default: /* TS_BIN: libpcap multiplies first (and may wrap) */
		sec = t / ifc->tsresol;
		frac = t % ifc->tsresol * 1000000000u / ifc->tsresol;
		break;
	}
	sec += (uint64_t)ifc->tsoffset;
	return sec * 1000000000u + (uint64_t)(int64_t)(int32_t)(uint32_t)frac;
}

/* A Section Header Block after the first: a new section with its own byte
 * order and interfaces (libpcap's checks, less the byte-order one). */
static int new_section(struct mp_pcapng *g, const struct blk *k)
{
	const uint8_t *body = k->b + 8;
	uint32_t bom;
	uint16_t major;

	if (k->len - 12 < 16)
		return too_short(g, BT_SHB);
	bom = r32(body, k->swap);
	major = r16(body + 4, k->swap);
	if (bom != BOM) {
		snprintf(g->err, sizeof g->err,
			 "the file has a section with a bad byte order magic field");
		return -1;
	}
	if (major != 1) {
		snprintf(g->err, sizeof g->err,
			 "unknown pcapng savefile major version number %u", major);
		return -1;
	}
	g->swap = k->swap; /* (read_block set `beyond` if it changed) */
	g->nif = 0;
	g->sections++;
	if (keep_shb_comment(g, body + 16, k->b + k->len - 4, k->swap) != 0) {
		snprintf(g->err, sizeof g->err, "out of memory");
		return -1;
	}
	return 0;
}

int mp_pcapng_next(struct mp_pcapng *g, struct mp_pcaprec *r)
{
	struct mp_bsrc *s = g->src;
	const struct mp_pcapng_if *ifc;
	const uint8_t *body;
	uint32_t ifid, caplen, blen, fixed;
	uint64_t t;
	struct blk k;
	int rc;

	for (;;) {
		/* the common case inline: a whole block in view that passes
		 * every check of read_block() (which handles all the others,
		 * section headers included) */
		size_t have = (size_t)(s->end - s->p);

		k.b = s->p;
		k.swap = g->swap;
		if (have >= 12) {
			k.type = r32(k.b, k.swap);
			k.len = r32(k.b + 4, k.swap);
		}
		if (have < 12 || k.type == BT_SHB || k.len < 12 || k.len % 4 != 0 ||
		    k.len > MAX_BLOCK || k.len > have ||
		    r32(k.b + k.len - 4, k.swap) != k.len) {
			rc = read_block(g, 0, true, &k);
			if (rc <= 0)
				return rc;
		}
		__builtin_prefetch(k.b + k.len + PREFETCH_AHEAD);
		body = k.b + 8;
		blen = k.len - 12;
		switch (k.type) {
		case BT_EPB:
			if (blen < 20)
				return too_short(g, BT_EPB);
			ifid = r32(body, k.swap);
			t = (uint64_t)r32(body + 4, k.swap) << 32 | r32(body + 8, k.swap);
			caplen = r32(body + 12, k.swap);
			r->len = r32(body + 16, k.swap);
			fixed = 20;
			goto found;
		case BT_SPB:
			if (blen < 4)
				return too_short(g, BT_SPB);
			/* §4.4: interface 0, no time stamp, the captured length
			 * is min(original length, snaplen) */
			ifid = 0;
			t = 0;
			r->len = r32(body, k.swap);
			caplen = g->nif && r->len > g->ifs[0].snapshot ?
				g->ifs[0].snapshot : r->len;
			fixed = 4;
			goto found;
		case BT_PB:
			if (blen < 20)
				return too_short(g, BT_PB);
			ifid = r16(body, k.swap);
			t = (uint64_t)r32(body + 4, k.swap) << 32 | r32(body + 8, k.swap);
			caplen = r32(body + 12, k.swap);
			r->len = r32(body + 16, k.swap);
			fixed = 20;
			goto found;
		case BT_IDB:
			if (blen < 8)
				return too_short(g, BT_IDB);
			/* libpcap stops at an interface unlike the first one
			 * (comparing the first one's DLT to this LINKTYPE) */
			if ((uint32_t)g->dlt != r16(body, k.swap) ||
			    g->first_snapshot != adjust_snapshot(r32(body + 4, k.swap)))
				g->beyond = true;
			if (add_interface(g, &k) != 0)
				return -1;
			break;
		case BT_SHB:
			if (new_section(g, &k) != 0)
				return -1;
			break;
		default: /* NRB, ISB, DSB, custom, ...: skipped (§3.1) */
			break;
		}
		mp_bsrc_skip(s, k.len);
	}

found:
	if (ifid >= g->nif) {
		snprintf(g->err, sizeof g->err,
			 "a packet arrived on interface %u, but there's no Interface Description Block for that interface",
			 ifid);
		return -1;
	}
	ifc = &g->ifs[ifid];
	if (caplen > ifc->snapshot) {
		snprintf(g->err, sizeof g->err,
			 "invalid packet capture length %u, bigger than snaplen of %d",
			 caplen, (int)ifc->snapshot);
		return -1;
	}
	if (caplen > blen - fixed)
		return too_short(g, k.type);
	r->ts_ns = ts_ns(ifc, t);
	r->caplen = caplen;
	r->data = body + fixed;
	r->dlt = ifc->dlt;
	r->iface = ifid;
	r->comment = NULL;
	r->comment_len = 0;
	if (k.type != BT_SPB) {
		/* options follow the data padded to 32 bits */
		size_t opt = fixed + (((size_t)caplen + 3) & ~(size_t)3);
		if (opt < blen)
			r->comment = find_comment(body + opt, body + blen, k.swap,
						  &r->comment_len);
	}
	mp_bsrc_skip(s, k.len);
	return 1;
}

void mp_pcapng_close(struct mp_pcapng *g)
{
	reset(g);
	mp_mapfile_close(&g->map);
}
