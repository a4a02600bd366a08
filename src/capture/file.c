/* SPDX-License-Identifier: BSD-2-Clause */
/* file.c - the packet loop over mpana's own capture-file readers
 * (reader.h: classic pcap and pcapng, mapped or streamed).
 *
 * Used by mp_capture_run() for `-r FILE` without a filter whenever
 * mp_reader_open() takes the file; everything else (BPF filters, formats
 * the readers leave to libpcap, live capture) stays on libpcap. Same
 * frames, same counters, same messages as the libpcap loop in live.c.
 * MPANA_READER=libpcap in the environment turns it off (comparisons,
 * bisecting). */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mpana/capture.h"
#include "mpana/log.h"
#include "mpana/out.h"
#include "mpana/progress.h"
#include "mpana/reader.h"

#define WARNED_MAX 16 /* link types warned about, at most */

/* A file that shrinks while it is mapped (another process truncates it)
 * raises SIGBUS on the first access past its new end. Only faults inside
 * our mapping jump back to the loop, which then reports the damage like a
 * truncated file; any other SIGBUS keeps its default action. The jump can
 * only interrupt reads of packet bytes, before or while the analyzer reads
 * them, never a write to our own state. */
static sigjmp_buf bus_jump;
static const struct mp_mapfile *volatile bus_map;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	const struct mp_mapfile *m = bus_map;

	(void)ctx;
	if (m && si && mp_mapfile_has(m, si->si_addr))
		siglongjmp(bus_jump, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Link types warned about in this run. */
static struct {
	unsigned n;
	uint16_t lt[WARNED_MAX];
} warned;

/* A record whose link type differs from the previous one (pcapng: another
 * interface). One warning per link type mpana does not decode (at most
 * WARNED_MAX of them); its packets are then counted as undecodable ("bad
 * headers" in the summary). */
static void link_change(const char *what, struct mp_analyzer *a,
			const struct mp_reader *rd, const struct mp_pcaprec *r)
{
	uint16_t lt;

	a->dlt = r->dlt;
	if (r->dlt >= 0 || rd->fmt != MP_RD_PCAPNG || r->iface >= rd->ng.nif)
		return;
	lt = rd->ng.ifs[r->iface].linktype;
	for (unsigned i = 0; i < warned.n; i++)
		if (warned.lt[i] == lt)
			return;
	if (warned.n == WARNED_MAX)
		return;
	warned.lt[warned.n++] = lt;
	MP_LOG(MP_LOG_WARN,
	       "%s: interface %u of section %u has link type %u, which mpana does not decode: its packets are counted as bad headers",
	       what, r->iface, rd->ng.sections, lt);
}

/* The packet loop proper. Kept out of the function that calls sigsetjmp,
 * so that nothing it changes lives in that frame (C11 7.13.2.1). Returns
 * MP_EXIT_*. */
static int reader_loop(const struct mp_capture_cfg *cfg, struct mp_analyzer *a,
		       struct mp_reader *rd, struct mp_progress *pr)
{
	struct mp_pcaprec r;
	struct mp_frame fr;
	uint64_t n = 0, limit = cfg->count > 0 ? (uint64_t)cfg->count : UINT64_MAX;
	int rc = 1;

	while (n < limit && !mp_stop_requested &&
	       (rc = mp_reader_next(rd, &r)) == 1) {
		if (r.dlt != a->dlt)
			link_change(cfg->file, a, rd, &r);
		fr.num = ++n;
		fr.ts_ns = r.ts_ns;
		fr.caplen = r.caplen;
		fr.wirelen = r.len;
		fr.comment = r.comment;
		fr.comment_len = r.comment_len;
		mp_analyzer_packet(a, &fr, r.data);
		if (mp_analyzer_must_stop(a))
			break; /* stdout or the database failed: stop */
		if (pr->on && n >= pr->next_check)
			mp_progress_draw(pr, mp_reader_pos(rd), n);
	}
	if (rc < 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s (after %llu packets)", cfg->file,
		       mp_reader_error(rd), (unsigned long long)n);
		return MP_EXIT_ERROR;
	}
	return MP_EXIT_OK;
}

int mp_capture_reader_run(const struct mp_capture_cfg *cfg,
			  struct mp_analyzer *a, struct mp_reader *rd)
{
	static struct mp_progress pr; /* static: unchanged by a longjmp */
	static struct sigaction old_sa;
	struct sigaction sa;
	int ret;

	a->dlt = rd->fmt == MP_RD_PCAP ? rd->pcap.dlt : rd->ng.dlt;
	warned.n = 0;
	mp_progress_init(&pr, cfg->file, rd->size);

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_sa);
	bus_map = rd->map;
	if (sigsetjmp(bus_jump, 0)) {
		/* The analyzer's packet count lives in memory and is exact. */
		MP_LOG(MP_LOG_ERR, "%s: the file shrank while being read (after %llu packets)",
		       cfg->file, (unsigned long long)a->st.packets);
		ret = MP_EXIT_ERROR;
	} else {
		ret = reader_loop(cfg, a, rd, &pr);
	}
	bus_map = NULL;
	sigaction(SIGBUS, &old_sa, NULL);
	mp_progress_end(&pr);
	return ret;
}
