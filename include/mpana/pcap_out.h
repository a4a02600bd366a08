/* SPDX-License-Identifier: BSD-2-Clause */
/* pcap_out.h - the packet writer behind `mpana -w FILE` and
 * `mpana --conn ID -w FILE` (src/sinks/pcap_out.c).
 *
 * Writes the packets the analyzer reads (after the BPF filter), byte for
 * byte, as a classic pcap file (pcap-savefile(5),
 * draft-ietf-opsawg-pcap §4-5) with the nanosecond magic 0xa1b23c4d in
 * the host's byte order, so that every timestamp keeps its nanoseconds.
 * The header's link type is the capture's (LINKTYPE_* of its DLT_*), its
 * snapshot length cfg.snaplen (-s of a live capture) or 262144, libpcap's
 * maximum, which no record read by libpcap or the mapped reader exceeds
 * (tcpdump copies the input file's instead). With cfg.conn,
 * only the TCP packets the engine attributed to that connection are
 * written: every packet of its subflows in either direction, from the
 * SYN on, with or without MPTCP options (handshakes, plain ACKs, packets
 * after a fallback), decided after the engine has processed the packet
 * (docs/mpana.1 WRITING PACKETS lists what one pass cannot include).
 *
 * It is a sink (analyzer.h): `linktype` writes the file header, `frame`
 * each record. Records go through a buffer allocated once at open; nothing
 * is allocated per packet. The first write error is sticky: it is reported
 * once on stderr with the path, `failed` then stops the run, and a file
 * this writer created or truncated is cut back to its last whole record,
 * so that what it holds stays readable. */
#ifndef MPANA_PCAP_OUT_H
#define MPANA_PCAP_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "mpana/analyzer.h"

#define MP_PCAP_OUT_SNAPLEN 262144u /* header snaplen unless cfg says more */

struct mp_pcap_out_cfg {
	const char *path;  /* output file; "-": standard output */
	uint32_t conn;     /* --conn: only this connection's packets; 0: all */
	uint32_t snaplen;  /* header snapshot length; 0: MP_PCAP_OUT_SNAPLEN */
	bool packet_flush; /* -U: write each record out as soon as it is added */
};

struct mp_pcap_out;

/* Opens cfg->path for writing without truncating it yet: an existing file
 * is only truncated once the capture is known to be readable (the first
 * packet, or mp_pcap_out_close with keep), a file it creates is removed
 * again when nothing is kept. `cfg` is copied (path borrowed for the
 * writer's life). Returns owned, or NULL after reporting the error on
 * stderr. */
struct mp_pcap_out *mp_pcap_out_open(const struct mp_pcap_out_cfg *cfg);

/* True when `path` names the file the writer writes (same device and
 * inode), e.g. the capture being read. */
bool mp_pcap_out_same_file(const struct mp_pcap_out *w, const char *path);

/* Makes `s` the sink of writer `w` (borrowed; close it after the run). */
void mp_sink_pcap_out_init(struct mp_sink *s, struct mp_pcap_out *w);

/* Ends the file and frees `w` (NULL is fine). `keep`: the run read its
 * capture (even without packets): the file header is written with link
 * type `dlt` if no packet brought it, and everything is flushed. Without
 * `keep` (the capture could not be opened), a file the writer created is
 * removed and an existing one is left as it was. Returns 0, EPIPE when
 * standard output's reader went away (not reported), or the errno of a
 * write error (already reported on stderr). */
int mp_pcap_out_close(struct mp_pcap_out *w, int dlt, bool keep);

#endif /* MPANA_PCAP_OUT_H */
