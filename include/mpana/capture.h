/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.h - reading packets with libpcap: files (pcap, pcapng, stdin) and
 * live interfaces, with a BPF filter, into the analyzer. */
#ifndef MPANA_CAPTURE_H
#define MPANA_CAPTURE_H

#include <stdbool.h>

#include "mpana/analyzer.h"
#include "mpana/cli.h" /* MP_EXIT_*: what mp_capture_run returns */

struct mp_capture_cfg {
	const char *file;   /* -r: path, or "-" for standard input */
	const char *const *files; /* several -r: merged by time (merge.h); */
	unsigned nfiles;          /* file is then files[0]; 0 or 1: one input */
	const char *iface;  /* -i: interface name, "any" included */
	const char *filter; /* BPF expression, NULL for none */
	int snaplen;        /* -s: 0 means 262144 */
	long count;         /* -c: stop after this many packets; 0: no limit */
	bool promisc;       /* live: promiscuous mode (off with -p) */
	bool immediate;     /* live: deliver packets at once (-l) */
	const char *user;   /* -Z: live: become this user once the device is
			     * open (as tcpdump -Z); NULL: stay as is */
};

/* Opens the source, runs every packet through `a` (whose sink is already
 * set), fills a->st, and returns an MP_EXIT_* code. SIGINT and SIGTERM end
 * the loop cleanly. Errors are reported on stderr. The summary is not
 * printed here. */
int mp_capture_run(const struct mp_capture_cfg *cfg, struct mp_analyzer *a);

/* Runs every packet of an already opened capture `p` (a pcap_t) through
 * `a`, at most `count` packets (0: all), setting a->dlt from it. Borrows
 * `p`: the caller closes it. `what` names the source in messages. Returns
 * MP_EXIT_OK, or MP_EXIT_ERROR for an unsupported link type or a read
 * error (message on stderr). Used by mp_capture_run and tests/fuzz. */
struct pcap;
int mp_capture_run_pcap(struct pcap *p, const char *what, long count,
			struct mp_analyzer *a);

/* Reads cfg->files (nfiles >= 2) as one trace, merged by capture time,
 * each packet analyzed once (include/mpana/merge.h): frames numbered per
 * input, a->dlt set per packet, cfg->filter applied to every input, at most
 * cfg->count packets analyzed. Fills a->st and *ms (borrowed by a->st.merge
 * until the run ends). Returns MP_EXIT_*; errors on stderr naming the file.
 * src/capture/merge.c. */
struct mp_merge_stats;
int mp_capture_merge(const struct mp_capture_cfg *cfg, struct mp_analyzer *a,
		     struct mp_merge_stats *ms);

/* Prints the interfaces libpcap can capture on (-D). Returns MP_EXIT_*. */
int mp_capture_list_interfaces(void);

/* Set by SIGINT/SIGTERM; tells long-running code to stop. */
extern volatile int mp_stop_requested;

#endif /* MPANA_CAPTURE_H */
