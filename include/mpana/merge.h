/* SPDX-License-Identifier: BSD-2-Clause */
/* merge.h - several capture files read as one trace (`mpana -r a -r b`).
 *
 * Frame numbers. With one input, a frame number is the 1-based packet
 * number in that file, as everywhere in mpana. With several inputs, every
 * frame number mpana reports (records, events, tables) names the input and
 * the packet within it: input × MP_FRAME_INPUT_BASE + packet, the input
 * counted from 1 in the order of the -r options. 2000000000123 is packet
 * 123 of the second file; text output writes it "2:123". 10^12 keeps the
 * number readable in decimal and exact in a JSON double.
 *
 * Duplicates. The same packet captured at two points (the sender's host
 * and a router, both ends of a path) is analyzed once, at its first
 * sighting. Two packets are the same when they come from different inputs
 * within MP_MERGE_WINDOW_NS of each other and agree on addresses, ports,
 * sequence and acknowledgment numbers, TCP flags, payload length and the
 * first bytes of payload (the TTL, IP checksum and TCP options may differ:
 * routers and option-stripping middleboxes change them). Each later copy
 * gives the pair of inputs one delay sample: its time minus the first
 * sighting's, a one-way delay when the two inputs are the path's ends (and
 * their clocks agree). */
#ifndef MPANA_MERGE_H
#define MPANA_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#define MP_FRAME_INPUT_BASE 1000000000000ull /* 10^12 */
#define MP_MERGE_MAX_INPUTS 16
#define MP_MERGE_WINDOW_NS 1000000000ull     /* 1 s */

/* The frame number of packet `n` (1-based) of input `input` (1-based; 0
 * when there is one input only). */
static inline uint64_t mp_frame_make(unsigned input, uint64_t n)
{
	return (uint64_t)input * MP_FRAME_INPUT_BASE + n;
}

/* The input a frame number names (0: the only one), and the packet. */
static inline unsigned mp_frame_input(uint64_t frame)
{
	return (unsigned)(frame / MP_FRAME_INPUT_BASE);
}

static inline uint64_t mp_frame_packet(uint64_t frame)
{
	return frame % MP_FRAME_INPUT_BASE;
}

/* One ordered pair of inputs that saw the same packets: `first` saw them
 * before `second`. Delays are second's time minus first's. */
struct mp_merge_pair {
	unsigned first, second; /* 1-based inputs */
	uint64_t packets;       /* duplicates in this order */
	int64_t delay_min_ns, delay_max_ns;
	double delay_sum_ns;    /* for the mean */
};

/* What the merge saw, for the summary (mp_stats.merge). */
struct mp_merge_stats {
	unsigned ninputs;
	const char *const *names;        /* the -r paths, borrowed */
	uint64_t packets[MP_MERGE_MAX_INPUTS]; /* records read per input */
	int dlt[MP_MERGE_MAX_INPUTS];    /* link type per input */
	uint64_t duplicates;             /* later copies not analyzed */
	unsigned npairs;
	struct mp_merge_pair pair[MP_MERGE_MAX_INPUTS * (MP_MERGE_MAX_INPUTS - 1)];
};

/* A merged reader over several capture files (src/capture/merge.c), for
 * callers that run their own loop (mpana mib); mp_capture_merge is the
 * pipeline's. Works for one file too (frames then plain numbers). */
struct mp_trace;
struct mp_trace_rec {
	uint64_t frame;      /* mp_frame_make(input, packet) */
	uint64_t ts_ns;
	uint32_t caplen, len;
	const uint8_t *data; /* borrowed until the next call */
	int dlt;             /* the input's link type */
	const uint8_t *comment; /* pcapng packet comment (mp_frame), NULL none */
	uint16_t comment_len;
	int status;          /* several inputs: what mp_pkt_decode returned for
			      * the packet, decoded into the caller's pkt;
			      * one input: -1, not decoded */
};

/* Opens every file (the zero-copy reader, or libpcap for pcapng, stdin
 * and with a `filter`) and fills *ms as it reads. Returns MP_EXIT_OK, or
 * MP_EXIT_ERROR / MP_EXIT_USAGE with the message on stderr. */
int mp_trace_open(struct mp_trace **t, const char *const *files, unsigned n,
		  const char *filter, struct mp_merge_stats *ms);
/* The next packet in time order, later copies skipped: 1, 0 at the end, -1
 * on a damaged input (reported, naming the file). `pkt` is scratch space
 * for the decode (r->status). */
struct mp_pkt;
int mp_trace_next(struct mp_trace *t, struct mp_trace_rec *r, struct mp_pkt *pkt);
void mp_trace_close(struct mp_trace *t);

struct mp_out;
/* Writes a frame number for text: "123", or "2:123" with several inputs. */
void mp_out_frame_text(struct mp_out *o, uint64_t frame);

#endif /* MPANA_MERGE_H */
