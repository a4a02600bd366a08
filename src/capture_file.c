/* SPDX-License-Identifier: BSD-2-Clause */
/* capture_file.c - the packet loop over a memory-mapped pcap file.
 *
 * Used by mp_capture_run() for `-r FILE` without a filter when the file is
 * a classic pcap file src/pcapfile.c handles; everything else (pcapng,
 * stdin, live, BPF filters) stays on libpcap. Same frames, same counters,
 * same messages as the libpcap loop in capture.c. MPANA_READER=libpcap in
 * the environment turns it off (comparisons, bisecting). */
#include <stdlib.h>
#include <string.h>

#include "mpana/capture.h"
#include "mpana/log.h"
#include "mpana/out.h"
#include "mpana/pcapfile.h"
#include "mpana/progress.h"

int mp_capture_file_mapped(const struct mp_capture_cfg *cfg,
			   struct mp_analyzer *a)
{
	static struct mp_pcapfile f; /* static: keeps 256 bytes off the stack */
	const char *env = getenv("MPANA_READER");
	struct mp_progress pr;
	struct mp_pcaprec r;
	struct mp_frame fr;
	uint64_t n = 0, limit = cfg->count > 0 ? (uint64_t)cfg->count : UINT64_MAX;
	int rc = 1, ret = MP_EXIT_OK;

	if (env && !strcmp(env, "libpcap"))
		return -1;
	if (mp_pcapfile_open(&f, cfg->file) != 1)
		return -1;
	a->dlt = f.dlt;
	mp_progress_init(&pr, cfg->file, f.size);

	while (n < limit && !mp_stop_requested &&
	       (rc = mp_pcapfile_next(&f, &r)) == 1) {
		fr.num = ++n;
		fr.ts_ns = r.ts_ns;
		fr.caplen = r.caplen;
		fr.wirelen = r.len;
		mp_analyzer_packet(a, &fr, r.data);
		if (mp_analyzer_must_stop(a))
			break; /* stdout or the database failed: stop */
		mp_progress_tick(&pr, f.off, n);
	}
	mp_progress_end(&pr);
	if (rc < 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s (after %llu packets)", cfg->file, f.err,
		       (unsigned long long)n);
		ret = MP_EXIT_ERROR;
	}
	mp_pcapfile_close(&f);
	return ret;
}
