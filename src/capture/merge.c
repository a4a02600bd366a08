/* SPDX-License-Identifier: BSD-2-Clause */
/* merge.c - several capture files as one trace, merged by capture time
 * (include/mpana/merge.h has the frame numbering and the duplicate rule).
 *
 * Each input is pulled one record at a time: through mpana's own reader
 * (reader.h: classic pcap and pcapng, mapped or streamed, gzip and zstd
 * undone) when there is no filter, else, and for what that reader leaves
 * to libpcap, through libpcap (fed the decoded bytes of a stream). A
 * record carries its own link type (pcapng interfaces may differ), which
 * becomes the input's head's. The next packet analyzed is
 * the earliest head among the inputs; on equal times the input given first
 * goes first, so the order is total and the run repeatable. A record's
 * bytes are borrowed from its reader and used before that reader moves.
 *
 * Duplicate detection keeps, for the last MP_MERGE_WINDOW_NS of capture
 * time, one slot per analyzed TCP packet in a fixed open-addressing table
 * allocated once: nothing is allocated per packet, and the memory does
 * not grow with the trace. A full probe run overwrites its oldest slot, so
 * under a packet rate above the table's size per window some duplicates
 * can go unrecognized (they are then analyzed twice, as without merging);
 * the table holds 2^18 slots, 262144 packets per second. Every packet is
 * decoded once, into the caller's struct mp_pkt, which the analyzer then
 * uses as it is. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mpana/capture.h"
#include "mpana/log.h"
#include "mpana/merge.h"
#include "mpana/pkt.h"
#include "mpana/reader.h"

#define DUP_SLOTS (1u << 18)
#define DUP_PROBES 8
#define DUP_PAYLOAD_BYTES 32 /* payload bytes that enter the key */

struct input {
	const char *path;
	unsigned no;             /* 1-based */
	bool own;                /* read by `rd`, else by libpcap (`p`) */
	bool rd_open;            /* `rd` needs closing (libpcap may read its
				  * stream) */
	struct mp_reader rd;
	pcap_t *p;
	bool nano;               /* libpcap: nanosecond timestamps */
	int dlt;                 /* the head's link type (first: the input's) */
	uint64_t n;              /* records read */
	bool have;               /* the head below is valid */
	bool done;
	uint64_t ts_ns;
	uint32_t caplen, len;
	const uint8_t *data;
	const uint8_t *comment;  /* pcapng packet comment, NULL none */
	uint16_t comment_len;
};

struct dup_slot {
	uint64_t key;   /* 0: empty */
	uint64_t ts_ns; /* first sighting */
	uint8_t input;  /* 1-based input of the first sighting */
	uint16_t seen;  /* inputs (bit input - 1) that saw it, the first included */
};

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* A hash of the fields a router or middlebox leaves alone (merge.h). */
static uint64_t packet_key(const struct mp_pkt *k)
{
	uint64_t w[4] = { 0, 0, 0, 0 }, h;
	size_t plen = k->payload_caplen < DUP_PAYLOAD_BYTES ? k->payload_caplen
							   : DUP_PAYLOAD_BYTES;

	h = mix(0x243f6a8885a308d3ull, (uint64_t)k->family << 56 |
		(uint64_t)k->flags << 48 | (uint64_t)k->sport << 16 | k->dport);
	h = mix(h, (uint64_t)k->seq << 32 | k->ack);
	h = mix(h, k->payload_len);
	memcpy(w, k->src, 16);
	memcpy(w + 2, k->dst, 16);
	for (unsigned i = 0; i < 4; i++)
		h = mix(h, w[i]);
	if (plen) {
		memset(w, 0, sizeof w);
		memcpy(w, k->payload, plen);
		for (unsigned i = 0; i < 4; i++)
			h = mix(h, w[i]);
	}
	return h ? h : 1;
}

static void pair_sample(struct mp_merge_stats *ms, unsigned first,
			unsigned second, int64_t d)
{
	struct mp_merge_pair *pp = NULL;

	for (unsigned i = 0; i < ms->npairs; i++)
		if (ms->pair[i].first == first && ms->pair[i].second == second) {
			pp = &ms->pair[i];
			break;
		}
	if (!pp) {
		if (ms->npairs >= sizeof ms->pair / sizeof ms->pair[0])
			return; /* cannot happen: every ordered pair fits */
		pp = &ms->pair[ms->npairs++];
		memset(pp, 0, sizeof *pp);
		pp->first = first;
		pp->second = second;
		pp->delay_min_ns = d;
		pp->delay_max_ns = d;
	}
	pp->packets++;
	pp->delay_sum_ns += (double)d;
	if (d < pp->delay_min_ns)
		pp->delay_min_ns = d;
	if (d > pp->delay_max_ns)
		pp->delay_max_ns = d;
}

/* True when the packet is a later copy of one seen on another input (then
 * counted for that pair and not to be analyzed); else remembers it. Of
 * several first sightings that could match (a segment and its
 * retransmission on one input), the latest is taken. */
static bool is_duplicate(struct dup_slot *tab, struct mp_merge_stats *ms,
			 const struct input *in, const struct mp_pkt *k)
{
	uint64_t key = packet_key(k);
	uint64_t now = in->ts_ns;
	uint16_t bit = (uint16_t)(1u << (in->no - 1));
	struct dup_slot *victim = NULL, *match = NULL;
	size_t i = (size_t)(key ^ (key >> 29)) & (DUP_SLOTS - 1);

	for (unsigned probe = 0; probe < DUP_PROBES; probe++) {
		struct dup_slot *s = &tab[(i + probe) & (DUP_SLOTS - 1)];
		bool live = s->key && now >= s->ts_ns &&
			    now - s->ts_ns <= MP_MERGE_WINDOW_NS;

		if (live && s->key == key && !(s->seen & bit) &&
		    (!match || s->ts_ns > match->ts_ns))
			match = s;
		if (!live) {
			if (!victim || victim->key)
				victim = s;
			/* A slot never used ends the search: an insertion takes the
			 * first slot not live on its way, so none went past it. */
			if (!s->key)
				break;
		} else if (!victim || (victim->key && s->ts_ns < victim->ts_ns)) {
			victim = s;
		}
	}
	if (match) {
		match->seen |= bit;
		pair_sample(ms, match->input, in->no, (int64_t)(now - match->ts_ns));
		ms->duplicates++;
		return true;
	}
	victim->key = key;
	victim->ts_ns = now;
	victim->input = (uint8_t)in->no;
	victim->seen = bit;
	return false;
}

/* Reads the next record of `in` into its head. Returns 1, 0 at the end, -1
 * on a damaged file (reported). */
static int input_pull(struct input *in)
{
	if (in->own) {
		struct mp_pcaprec r;
		int rc = mp_reader_next(&in->rd, &r);

		if (rc < 0) {
			MP_LOG(MP_LOG_ERR, "%s: %s (after %llu packets)", in->path,
			       mp_reader_error(&in->rd), (unsigned long long)in->n);
			return -1;
		}
		if (rc == 0)
			return 0;
		in->ts_ns = r.ts_ns;
		in->caplen = r.caplen;
		in->len = r.len;
		in->data = r.data;
		in->dlt = r.dlt;
		in->comment = r.comment;
		in->comment_len = r.comment_len;
	} else {
		struct pcap_pkthdr *h;
		const u_char *b;
		int rc = pcap_next_ex(in->p, &h, &b);

		if (rc == PCAP_ERROR_BREAK)
			return 0; /* end of file */
		if (rc < 0) {
			const char *serr = mp_reader_stream_error(&in->rd);
			MP_LOG(MP_LOG_ERR, "%s: %s (after %llu packets)", in->path,
			       serr ? serr : pcap_geterr(in->p),
			       (unsigned long long)in->n);
			return -1;
		}
		in->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u +
			    (uint64_t)h->ts.tv_usec * (in->nano ? 1u : 1000u);
		in->caplen = h->caplen;
		in->len = h->len;
		in->data = b;
		in->comment = NULL; /* libpcap gives no comments */
		in->comment_len = 0;
	}
	in->n++;
	return 1;
}

static int input_open(struct input *in, const char *filter)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *env = getenv("MPANA_READER");
	unsigned flags = (filter && *filter) || (env && !strcmp(env, "libpcap")) ?
		MP_READER_ALL_LIBPCAP : 0;
	int rc = mp_reader_open(&in->rd, in->path, flags, &mp_stop_requested);
	FILE *fp;

	if (rc < 0) {
		MP_LOG(MP_LOG_ERR, "%s: %s", in->path, in->rd.err);
		return MP_EXIT_ERROR;
	}
	in->rd_open = true;
	if (rc == 1) {
		in->own = true;
		in->dlt = in->rd.fmt == MP_RD_PCAP ? in->rd.pcap.dlt : in->rd.ng.dlt;
		return MP_EXIT_OK;
	}
	fp = mp_reader_libpcap_file(&in->rd);
	if (fp) {
		in->p = pcap_fopen_offline_with_tstamp_precision(
			fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
		if (!in->p)
			fclose(fp);
	} else {
		in->p = pcap_open_offline_with_tstamp_precision(
			in->path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	}
	if (!in->p) {
		const char *serr = mp_reader_stream_error(&in->rd);
		if (serr)
			MP_LOG(MP_LOG_ERR, "%s: %s", in->path, serr);
		else
			MP_LOG(MP_LOG_ERR, "%s", errbuf);
		return MP_EXIT_ERROR;
	}
	in->nano = pcap_get_tstamp_precision(in->p) == PCAP_TSTAMP_PRECISION_NANO;
	in->dlt = pcap_datalink(in->p);
	if (!mp_dlt_supported(in->dlt)) {
		MP_LOG(MP_LOG_ERR, "%s: unsupported link type %d", in->path, in->dlt);
		return MP_EXIT_ERROR;
	}
	if (filter && *filter) {
		struct bpf_program prog;

		if (pcap_compile(in->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			MP_LOG(MP_LOG_ERR, "bad filter expression \"%s\": %s", filter,
			       pcap_geterr(in->p));
			return MP_EXIT_USAGE;
		}
		if (pcap_setfilter(in->p, &prog) < 0) {
			MP_LOG(MP_LOG_ERR, "%s: cannot set filter: %s", in->path,
			       pcap_geterr(in->p));
			pcap_freecode(&prog);
			return MP_EXIT_ERROR;
		}
		pcap_freecode(&prog);
	}
	return MP_EXIT_OK;
}

static void input_close(struct input *in)
{
	if (in->p)
		pcap_close(in->p); /* before the stream it may read */
	if (in->rd_open)
		mp_reader_close(&in->rd);
}

struct mp_trace {
	struct input *in;
	unsigned n;
	struct dup_slot *tab;
	struct mp_merge_stats *ms;
};

int mp_trace_open(struct mp_trace **out, const char *const *files, unsigned n,
		  const char *filter, struct mp_merge_stats *ms)
{
	struct mp_trace *t;
	unsigned stdin_uses = 0;
	int rc = MP_EXIT_OK;

	*out = NULL;
	if (n == 0 || n > MP_MERGE_MAX_INPUTS) {
		MP_LOG(MP_LOG_ERR, "at most %d capture files can be merged (%u given)",
		       MP_MERGE_MAX_INPUTS, n);
		return MP_EXIT_USAGE;
	}
	for (unsigned i = 0; i < n; i++)
		stdin_uses += !strcmp(files[i], "-");
	if (stdin_uses > 1) {
		MP_LOG(MP_LOG_ERR, "standard input (-r -) can be read only once");
		return MP_EXIT_USAGE;
	}
	memset(ms, 0, sizeof *ms);
	ms->ninputs = n;
	ms->names = files;
	t = calloc(1, sizeof *t);
	if (t) {
		t->in = calloc(n, sizeof *t->in);
		t->tab = n > 1 ? calloc(DUP_SLOTS, sizeof *t->tab) : NULL;
	}
	if (!t || !t->in || (n > 1 && !t->tab)) {
		MP_LOG(MP_LOG_ERR, "out of memory");
		if (t) {
			free(t->in);
			free(t->tab);
		}
		free(t);
		return MP_EXIT_ERROR;
	}
	t->n = n;
	t->ms = ms;
	for (unsigned i = 0; i < n && rc == MP_EXIT_OK; i++) {
		t->in[i].path = files[i];
		t->in[i].no = i + 1;
		rc = input_open(&t->in[i], filter);
		ms->dlt[i] = t->in[i].dlt;
	}
	if (rc != MP_EXIT_OK) {
		mp_trace_close(t);
		return rc;
	}
	*out = t;
	return MP_EXIT_OK;
}

int mp_trace_next(struct mp_trace *t, struct mp_trace_rec *r, struct mp_pkt *pkt)
{
	for (;;) {
		struct input *next = NULL;

		for (unsigned i = 0; i < t->n; i++) {
			struct input *x = &t->in[i];

			if (!x->done && !x->have) {
				int got = input_pull(x);

				if (got < 0)
					return -1;
				x->done = got == 0;
				x->have = got == 1;
			}
			if (x->have && (!next || x->ts_ns < next->ts_ns))
				next = x;
		}
		if (!next)
			return 0;
		next->have = false;
		t->ms->packets[next->no - 1]++;
		r->status = -1;
		if (t->n > 1) {
			r->status = (int)mp_pkt_decode(next->dlt, next->data,
						       next->caplen, pkt);
			if (r->status == MP_PKT_TCP &&
			    is_duplicate(t->tab, t->ms, next, pkt))
				continue;
		}
		r->frame = mp_frame_make(t->n > 1 ? next->no : 0, next->n);
		r->ts_ns = next->ts_ns;
		r->caplen = next->caplen;
		r->len = next->len;
		r->data = next->data;
		r->dlt = next->dlt;
		r->comment = next->comment;
		r->comment_len = next->comment_len;
		return 1;
	}
}

void mp_trace_close(struct mp_trace *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->n; i++)
		input_close(&t->in[i]);
	free(t->in);
	free(t->tab);
	free(t);
}

int mp_capture_merge(const struct mp_capture_cfg *cfg, struct mp_analyzer *a,
		     struct mp_merge_stats *ms)
{
	struct mp_trace *t;
	struct mp_trace_rec r;
	uint64_t analyzed = 0;
	uint64_t limit = cfg->count > 0 ? (uint64_t)cfg->count : UINT64_MAX;
	int rc, got = 0;

	rc = mp_trace_open(&t, cfg->files, cfg->nfiles, cfg->filter, ms);
	if (rc != MP_EXIT_OK)
		return rc;
	a->st.merge = ms;
	while (analyzed < limit && !mp_stop_requested &&
	       (got = mp_trace_next(t, &r, &a->pkt)) == 1) {
		struct mp_frame fr = { r.frame, r.ts_ns, r.caplen, r.len,
				       r.comment, r.comment_len };

		a->dlt = r.dlt;
		if (r.status >= 0) /* decoded into a->pkt already */
			mp_analyzer_packet_decoded(a, &fr, r.data,
						   (enum mp_pkt_status)r.status);
		else
			mp_analyzer_packet(a, &fr, r.data);
		analyzed++;
		if (mp_analyzer_must_stop(a))
			break; /* stdout or the database failed */
	}
	mp_trace_close(t);
	return got < 0 ? MP_EXIT_ERROR : MP_EXIT_OK;
}
