/* SPDX-License-Identifier: BSD-2-Clause */
/* pipeline.c - capture → analyzer → sink (+ store), the run behind
 * `mpana -r FILE | -i IFACE [--db DB]` and, in-process, behind the
 * analysis of `mpana check` and `mpana report` (include/mpana/pipeline.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpana/log.h"
#include "mpana/out.h"
#include "mpana/pipeline.h"
#include "mpana/store.h"

int mp_pipeline_run(const struct mp_pipeline_cfg *cfg, struct mp_sink *sink,
		    struct mp_analyzer *an)
{
	struct mp_store *store = NULL;
	struct mp_sink store_sink;
	int rc;

	mp_analyzer_init(an, 0, sink);
	an->max_conns = cfg->max_conns;
	if (cfg->db_path) {
		char source[512];
		struct mp_store_cfg scfg = { 0 };

		if (cfg->capture.nfiles > 1) {
			/* "a.pcap + b.pcap": the inputs in -r order */
			size_t n = 0;

			source[0] = '\0';
			for (unsigned i = 0; i < cfg->capture.nfiles && n < sizeof source; i++)
				n += (size_t)snprintf(source + n, sizeof source - n, "%s%s",
						      i ? " + " : "", cfg->capture.files[i]);
		} else if (cfg->capture.file)
			snprintf(source, sizeof source, "%s", cfg->capture.file);
		else
			snprintf(source, sizeof source, "iface:%s", cfg->capture.iface);
		scfg.path = cfg->db_path;
		scfg.source = source;
		scfg.packets = cfg->db_packets;
		scfg.stats = &an->st;
		store = mp_store_open(&scfg); /* reports its own errors */
		if (!store)
			return MP_EXIT_ERROR;
		mp_sink_store_init(&store_sink, store);
		mp_analyzer_add_sink(an, &store_sink);
	}
	if (cfg->extra)
		mp_analyzer_add_sink(an, cfg->extra);

	rc = mp_capture_run(&cfg->capture, an);
	if (rc != MP_EXIT_USAGE &&
	    (rc == MP_EXIT_OK || an->st.packets > 0 || sink->out->err)) {
		/* Connection records (to the sink and the store), then the
		 * summary. After an output error the records still reach the
		 * database; the sink drops them. */
		mp_analyzer_finish(an);
		if (!sink->out->err && sink->ops->summary)
			sink->ops->summary(sink, &an->st);
	}
	if (store && mp_store_close(store) != 0 && rc == MP_EXIT_OK)
		rc = MP_EXIT_ERROR; /* already reported with the path */
	return rc;
}

int mp_selfrun_analyze(const char *trace, const char *db, bool packets)
{
	return mp_selfrun_analyze_merged(&trace, 1, db, packets);
}

int mp_selfrun_analyze_merged(const char *const *traces, unsigned n,
			      const char *db, bool packets)
{
	const char *trace = traces[0];
	static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE };
	static const struct mp_sink_ops discard_ops; /* no output at all */
	struct mp_pipeline_cfg cfg = {
		.capture = { .file = traces[0], .files = traces, .nfiles = n,
			     .promisc = true },
		.db_path = db,
		.db_packets = packets,
	};
	struct sigaction old[sizeof sigs / sizeof sigs[0]];
	struct mp_sink sink = { .ops = &discard_ops, .quiet = true };
	struct mp_analyzer *an = NULL;
	struct mp_out *out = NULL;
	int rc = -1;

	if (mp_stop_requested)
		return -1; /* interrupted during an earlier trace */
	out = malloc(sizeof *out);
	an = malloc(sizeof *an);
	if (!out || !an) {
		MP_LOG(MP_LOG_ERR, "%s: out of memory", trace);
		goto out;
	}
	mp_out_init(out, -1, false); /* never written: the sink has no ops */
	sink.out = out;
	/* mp_capture_run installs its SIGINT/SIGTERM handlers (a clean stop)
	 * and ignores SIGPIPE, for the mpana process; ours are put back. */
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], NULL, &old[i]);
	rc = mp_pipeline_run(&cfg, &sink, an);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (mp_stop_requested) {
		MP_LOG(MP_LOG_ERR, "%s: interrupted", trace);
		rc = -1;
	}
out:
	free(an);
	free(out);
	return rc;
}
