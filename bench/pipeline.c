/* SPDX-License-Identifier: BSD-2-Clause */
/* pipeline.c - the full analysis pipeline, alone, for benchmarks.
 *
 * What `mpana -q --db` runs per packet, without the command line around it:
 * the mapped pcap reader (src/capture/pcapfile.c), mp_pkt_decode, the counters, the
 * connection engine (src/engine/engine.c) and, with a database path, the SQLite
 * store (src/sinks/store/store.c). Lets bench/run.sh measure and profile the engine and
 * the store before and independently of their wiring into src/cli/main.c.
 *
 *     mpana_pipeline FILE                 decode + engine
 *     mpana_pipeline FILE DB [packets]    decode + engine + store
 *
 * Prints "packets tcp conns subflows events" on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpana/analyzer.h"
#include "mpana/flow.h"
#include "mpana/pcapfile.h"
#include "mpana/pkt.h"
#include "mpana/store.h"

int main(int argc, char **argv)
{
	static struct mp_pcapfile f;
	static struct mp_pkt p;
	static struct mp_stats stats;
	struct mp_engine_cfg ec;
	struct mp_store_cfg sc;
	struct mp_store *st = NULL;
	struct mp_engine *e;
	struct mp_pkt_ann ann;
	struct mp_pcaprec r;
	uint64_t events = 0;
	int rc;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: mpana_pipeline FILE [DB [packets]]\n");
		return 2;
	}
	if (mp_pcapfile_open(&f, argv[1]) != 1) {
		fprintf(stderr, "%s: not a classic pcap file this reader takes\n", argv[1]);
		return 1;
	}
	memset(&ec, 0, sizeof ec);
	ec.no_appid = true;
	if (argc >= 3) {
		memset(&sc, 0, sizeof sc);
		sc.path = argv[2];
		sc.source = argv[1];
		sc.linktype = f.dlt;
		sc.stats = &stats;
		sc.packets = argc == 4 && !strcmp(argv[3], "packets");
		st = mp_store_open(&sc);
		if (!st)
			return 1;
		ec.on_event = mp_store_on_event;
		ec.on_conn = mp_store_on_conn;
		ec.on_subflow = mp_store_on_subflow;
		ec.user = st;
	}
	e = mp_engine_new(&ec);
	if (!e)
		return 1;
	while ((rc = mp_pcapfile_next(&f, &r)) == 1) {
		uint64_t frame = ++stats.packets;
		if (frame == 1)
			stats.first_ts_ns = r.ts_ns;
		stats.last_ts_ns = r.ts_ns;
		if (mp_pkt_decode(f.dlt, r.data, r.caplen, &p) != MP_PKT_TCP)
			continue;
		stats.tcp++;
		if (p.opts.n)
			stats.mptcp_packets++;
		mp_engine_packet(e, frame, r.ts_ns, &p, &ann);
		if (st)
			mp_store_packet(st, frame, r.ts_ns, &p, &ann);
	}
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", argv[1], f.err);
	{
		const struct mp_engine_stats *es = mp_engine_stats(e);
		for (unsigned i = 0; i < MP_EV__COUNT; i++)
			events += es->events[i];
		printf("%llu %llu %llu %llu %llu\n",
		       (unsigned long long)stats.packets,
		       (unsigned long long)stats.tcp,
		       (unsigned long long)es->conns,
		       (unsigned long long)es->subflows,
		       (unsigned long long)events);
	}
	mp_engine_free(e);
	if (st && mp_store_close(st) != 0)
		rc = -1;
	mp_pcapfile_close(&f);
	return rc < 0;
}
