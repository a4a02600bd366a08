/* SPDX-License-Identifier: BSD-2-Clause */
/* capture_file.c - the packet loop over a memory-mapped pcap file.
 *
 * Used by mp_capture_run() for `-r FILE` without a filter when the file is
 * a classic pcap file src/capture/pcapfile.c handles; everything else (pcapng,
 * stdin, live, BPF filters) stays on libpcap. Same frames, same counters,
 * same messages as the libpcap loop in capture.c. MPANA_READER=libpcap in
 * the environment turns it off (comparisons, bisecting). */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mpana/capture.h"
#include "mpana/log.h"
#include "mpana/out.h"
#include "mpana/pcapfile.h"
#include "mpana/progress.h"

/* A file that shrinks while it is mapped (another process truncates it)
 * raises SIGBUS on the first access past its new end. Only faults inside
 * our mapping jump back to the loop, which then reports the damage like a
 * truncated file; any other SIGBUS keeps its default action. The jump can
 * only interrupt reads of packet bytes, before or while the analyzer reads
 * them, never a write to our own state. */
static sigjmp_buf bus_jump;
static const struct mp_pcapfile *volatile bus_file;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	const struct mp_pcapfile *f = bus_file;
	const uint8_t *addr = si ? (const uint8_t *)si->si_addr : NULL;

	(void)ctx;
	if (f && mp_mapfile_has(&f->map, addr))
		siglongjmp(bus_jump, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The packet loop proper. Kept out of the function that calls sigsetjmp,
 * so that nothing it changes lives in that frame (C11 7.13.2.1). Returns
 * MP_EXIT_*. */
static int mapped_loop(const struct mp_capture_cfg *cfg, struct mp_analyzer *a,
		       struct mp_pcapfile *f, struct mp_progress *pr)
{
	struct mp_pcaprec r;
	struct mp_frame fr;
	uint64_t n = 0, limit = cfg->count > 0 ? (uint64_t)cfg->count : UINT64_MAX;
	int rc = 1;

	while (n < limit && !mp_stop_requested &&
	       (rc = mp_pcapfile_next(f, &r)) == 1) {
		fr.num = ++n;
		fr.ts_ns = r.ts_ns;
		fr.caplen = r.caplen;
		fr.wirelen = r.len;
		mp_analyzer_packet(a, &fr, r.data);
		if (mp_analyzer_must_stop(a))
			break; /* stdout or the database failed: stop */
		mp_progress_tick(pr, mp_bsrc_pos(f->src), n);
	}
	if (rc < 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s (after %llu packets)", cfg->file, f->err,
		       (unsigned long long)n);
		return MP_EXIT_ERROR;
	}
	return MP_EXIT_OK;
}

int mp_capture_file_mapped(const struct mp_capture_cfg *cfg,
			   struct mp_analyzer *a)
{
	static struct mp_pcapfile f; /* static: keeps 256 bytes off the stack */
	static struct mp_progress pr; /* static: unchanged by a longjmp */
	static struct sigaction old_sa;
	const char *env = getenv("MPANA_READER");
	struct sigaction sa;
	int ret;

	if (env && !strcmp(env, "libpcap"))
		return -1;
	if (mp_pcapfile_open(&f, cfg->file) != 1)
		return -1;
	a->dlt = f.dlt;
	mp_progress_init(&pr, cfg->file, f.map.size);

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_sa);
	bus_file = &f;
	if (sigsetjmp(bus_jump, 0)) {
		/* The analyzer's packet count lives in memory and is exact. */
		MP_LOG(MP_LOG_ERR, "%s: the file shrank while being read (after %llu packets)",
		       cfg->file, (unsigned long long)a->st.packets);
		ret = MP_EXIT_ERROR;
	} else {
		ret = mapped_loop(cfg, a, &f, &pr);
	}
	bus_file = NULL;
	sigaction(SIGBUS, &old_sa, NULL);
	mp_progress_end(&pr);
	mp_pcapfile_close(&f);
	return ret;
}
