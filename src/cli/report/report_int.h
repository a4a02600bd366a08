/* SPDX-License-Identifier: BSD-2-Clause */
/* report_int.h - the parts of `mpana report` (docs/report.md), one job per
 * file: model.c loads one connection from the database into struct
 * rpt_data, bins.c bins its DSS mappings and DATA_ACKs over time, svg.c
 * holds the scales, axes and text helpers, header.c, graph_svg.c,
 * timeline.c, dsn.c and handshake.c each draw one part of the page, and
 * report.c is the command (arguments, pipeline, page).
 *
 * RFC 8684 §3 (connections, subflows), §3.3 (DSS: data sequence numbers,
 * DATA_ACK), §3.4 (address ids). The DSNs and DATA_ACKs come as the
 * engine's 64-bit values (options.dsn64, data_ack64): nothing here expands
 * or compares 32-bit sequence numbers. */
#ifndef MPANA_REPORT_INT_H
#define MPANA_REPORT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mpana/db.h"

#include "mpana/merge.h"

struct mp_gmodel;

#define MAX_SF 32          /* subflows drawn per connection */
#define MAX_FO 16          /* failovers per connection */
#define MAX_CONNS 16       /* connections drawn in full; the rest are listed */
#define MAX_MARKERS 600    /* event markers per connection */
#define MAX_REINJ 400      /* reinjection marks per connection */
#define MAX_HS_ROWS 300    /* handshake table rows per connection */
#define MAX_JOINFAIL 32    /* failed join attempts drawn per connection */
#define MAX_ANN 32         /* announced addresses listed per connection */
#define MAX_STALLS 8       /* connection stalls listed per connection */
#define RATE_BINS 200      /* target bins of a rate lane */
#define DSN_BINS 500       /* target bins of the DSN plot */
#define MAX_BINS 1000      /* hard cap of either */

/* Plot geometry (px). */
#define W 1180.0           /* width of the timeline and DSN plot */
#define ML 230.0           /* left margin: lane labels */
#define MR 30.0            /* right margin */
#define LANE_H 54.0        /* height of one rate lane */
#define LANE_GAP 8.0       /* space between two lanes */

/* A connections row. */
struct rpt_conn {
	int64_t id;               /* connections.id */
	int64_t capture_id;       /* captures.id it was seen in */
	int conn_no;              /* the engine's connection number */
	int version;              /* MPTCP version, -1 unknown */
	char client[64], server[64]; /* addresses: the MP_CAPABLE SYN's sender first */
	int cport, sport;         /* their ports */
	char ckey[24], skey[24];  /* keys, "0x..." or "" */
	double first_ts, last_ts, closed_ts; /* NAN when NULL */
	char close_reason[32];    /* "" when still open */
	char fallback[64];        /* fallback cause, "" none */
	int64_t fallback_frame;   /* the packet proving it, -1 unknown (or no column) */
	char fallback_side[8];    /* who fell back, "" unknown (or no column) */
	char app[48];             /* application protocol, "" unknown */
	char vantage[16];         /* where the capture was taken, "" unknown */
	int partial;              /* built from a join with no known token */
	int nsub;                 /* subflows counted by the engine */
	int64_t bytes_c2s, bytes_s2c; /* data bytes per direction */
	int64_t reinj_frames, reinj_bytes; /* reinjected segments, their bytes */
};

/* A subflows row, and what the report makes of it. */
struct rpt_sf {
	int64_t id;               /* subflows.id */
	int sf_no;                /* the engine's subflow number */
	char kind[16];            /* "initial", "join", ... */
	char src[64], dst[64];    /* the SYN sender's address, the receiver's */
	int sport, dport;         /* their ports */
	int initial, backup;      /* flags */
	int lid, rid;             /* address ids of src and dst; -1 unknown */
	double syn_ts, est_ts, closed_ts; /* NAN when NULL */
	char close_reason[24];    /* "" when still open */
	int tcprst_reason;        /* MP_TCPRST reason, -1 none */
	int hmac_ok;              /* 1, 0, -1 NULL */
	int64_t bytes_fwd, bytes_rev; /* data bytes sent by src, by dst */
	bool server_init;         /* the SYN came from the server side */
	bool failed;              /* reset, failed over, failed HMAC or never established */
	char why[96];             /* why it counts as failed */
};

/* A failovers row: one outage episode. */
struct rpt_fo {
	char dir[4];              /* "c2s" or "s2c" */
	int64_t from, to;         /* subflow ids; to 0 when NULL */
	char kind[12];            /* "failover" or "stall" */
	char cause[24];           /* explicit signal, "" when silent */
	bool lower_bound;         /* latency is a lower bound */
	double t_fail, t_recovered, t_reinject, latency_ms, stall_ms; /* NAN: none */
};

/* A frame number as the text output writes it: "123", or "2:123" when the
 * trace merged several inputs (include/mpana/merge.h). */
static inline const char *rpt_frame(char buf[32], int64_t frame)
{
	uint64_t v = frame < 0 ? 0 : (uint64_t)frame;

	if (mp_frame_input(v))
		snprintf(buf, 32, "%u:%llu", mp_frame_input(v),
			 (unsigned long long)mp_frame_packet(v));
	else
		snprintf(buf, 32, "%llu", (unsigned long long)v);
	return buf;
}

/* An events row drawn as a timeline marker. */
struct rpt_marker {
	double ts;                /* capture time */
	int k;                    /* index in rpt_data.sf, -1 none */
	int64_t frame;            /* packet number (merge.h: input and packet) */
	char type[24];            /* events.type */
	char detail[200];         /* events.detail, "" none */
};

/* A reinjected segment inside the DSN plot. */
struct rpt_reinj {
	double ts;                /* capture time */
	int k;                    /* index in rpt_data.sf, -1 none */
	long long frame, len;     /* packet number, segment length */
	int64_t rel;              /* DSN relative to the direction's origin */
};

/* A handshake_order row. */
struct rpt_hs {
	int seq;                  /* position in the order */
	double rel_ms;            /* time since the connection's first packet */
	int64_t frame;            /* packet number (merge.h: input and packet) */
	int k;                    /* index in rpt_data.sf, -1 none */
	int ok;                   /* 1, 0, -1 NULL */
	char step[32];            /* what happened */
	char detail[240];         /* why, "" none */
};

/* A join_attempts row whose outcome is not 'established' (RFC 8684
 * §3.2): drawn as a dashed edge labelled with why. */
struct rpt_joinfail {
	int k;                    /* index in rpt_data.sf of its subflow, -1 none drawn */
	int server_init;          /* the server sent the join SYN */
	char src[64], dst[64];    /* the join SYN's sender, its receiver */
	int sport, dport;         /* their ports */
	int lid;                  /* address id in the SYN, -1 unknown */
	char outcome[24];         /* join_attempts.outcome */
	char label[96];           /* outcome with its reason, retransmissions, give-up */
};

/* An address_use row: one ADD_ADDR and what became of it (RFC 8684
 * §3.4.1). */
struct rpt_ann {
	char announcer[8];        /* "client" or "server" */
	int addr_id;              /* its address id */
	char addr[64];            /* the address */
	int port;                 /* its port, 0 none */
	int hmac_ok;              /* 1, 0, -1 NULL */
	int joins, joins_est;     /* join attempts towards it, established ones */
	bool echoed;              /* the echo was seen */
	char verdict[12];         /* used, unused, failed, not_echoed */
};

/* A stalls row: the DATA_ACK of one direction stood still (only in
 * databases that have the table). */
struct rpt_stall {
	char dir[4];              /* "c2s" or "s2c" */
	double t_start, t_end;    /* capture time */
	int64_t frame;            /* first packet not covered again in time */
	bool ended;               /* the DATA_ACK advanced again */
	double duration_ms;       /* t_end - t_start */
};

/* Everything drawn for one connection: bounded, allocated once and reused. */
struct rpt_data {
	struct rpt_conn c;        /* the connection */
	struct rpt_sf sf[MAX_SF]; /* its first subflows, by id */
	int nsf, nsf_total;       /* drawn, in the database */
	struct rpt_fo fo[MAX_FO]; /* its first outage episodes, by time */
	int nfo;                  /* entries in fo */
	/* header facts */
	int addr_n, addr_ok, addr_bad; /* ADD_ADDRs: announced, HMAC verified, failed */
	bool have_verdict;        /* a handshake_verdict row exists */
	int hs_valid, hs_joins;   /* its verdict and join count */
	char hs_reason[160];      /* why it is invalid */
	struct rpt_joinfail jf[MAX_JOINFAIL]; /* failed join attempts, by time */
	int njf, njf_total;       /* drawn, in the database */
	struct rpt_ann ann[MAX_ANN]; /* announced addresses, by time */
	int nann, nann_total;     /* listed, in the database */
	bool have_stalls;         /* the database has a stalls table */
	struct rpt_stall stall[MAX_STALLS]; /* connection stalls, by time */
	int nstall, nstall_total; /* listed, in the database */
	/* drawings' rows */
	struct rpt_marker mark[MAX_MARKERS]; /* timeline markers, by time */
	int nmark, mark_skipped;  /* drawn, not drawn */
	struct rpt_reinj reinj[MAX_REINJ]; /* reinjections inside the DSN plot */
	int nreinj;               /* entries in reinj */
	struct rpt_hs hs[MAX_HS_ROWS]; /* its first rows */
	int nhs, hs_more;         /* shown, not shown */
	/* bins (bins.c) */
	double t0, dur;           /* time axis: connection start, length (s) */
	double rbin;              /* rate bin width (s) */
	int nrb;                  /* rate bins used */
	double dbin;              /* DSN bin width (s) */
	int ndb;                  /* DSN bins used */
	bool have_opts;           /* option rows exist for it */
	bool db_opts;             /* the database has option rows at all */
	int main_dir;             /* 0 c2s, 1 s2c: the direction plotted */
	uint64_t base[2];         /* DSN origin (first DSN mapped) per direction */
	bool have_base[2];        /* base[dir] is set */
	int64_t hi[MAX_SF][2];    /* highest relative DSN end mapped per subflow */
	double rate[MAX_SF][2][MAX_BINS]; /* new bytes mapped per bin */
	int64_t dmin[MAX_SF][MAX_BINS], dmax[MAX_SF][MAX_BINS]; /* DSN range mapped per bin */
	double tmin[MAX_SF][MAX_BINS], tmax[MAX_SF][MAX_BINS];  /* when it was sent */
	struct rpt_curmap {       /* the mapping a subflow is sending now */
		bool on;              /* a mapping is open */
		int64_t start, end;   /* relative DSN range */
		double t_first, t_last; /* first and last segment carrying it */
	} cur[MAX_SF][2];
	int64_t ack[MAX_BINS];    /* highest DATA_ACK per bin (main direction), -1 none */
	int64_t ymax;             /* highest relative DSN end (main direction) */
	int64_t yplot;            /* top of the DSN plot: ymax or a higher DATA_ACK */
	int64_t opt_rows;         /* DSS rows binned */
};

/* ---- model.c: the database (mpana/db.h: SQLite or PostgreSQL, the
 * same SQL). Every function logs the database's message on an error and
 * returns -1; 0 on success. ---- */

#define RPT_CONN_COLS "id, capture_id, conn_no, version, client_addr, client_port, server_addr," \
	" server_port, client_key, server_key, first_ts, last_ts, closed_ts, close_reason," \
	" fallback, app_proto, partial, subflows, vantage, bytes_c2s, bytes_s2c," \
	" reinj_frames, reinj_bytes"

/* A statement, or NULL (logged) when it does not prepare. */
struct mp_db_stmt *rpt_prep(struct mp_db *db, const char *sql);
/* rc, the last mp_db_step of a read of table `what`: 0 for the end (or a
 * row, a loop that stopped early on purpose), else -1 with "report:
 * reading WHAT: MESSAGE" logged. */
int rpt_step_end(struct mp_db *db, int rc, const char *what);
/* Fills c from a row of SELECT RPT_CONN_COLS. */
void rpt_conn_row(struct mp_db_stmt *st, struct rpt_conn *c);
/* Subflows, failovers, header facts, timeline markers, handshake rows,
 * failed join attempts, announced addresses and stalls of d->c (set by the
 * caller). Tables and columns added after schema version 2 (join_attempts,
 * address_use, stalls, connections.fallback_frame / fallback_side) are
 * read only when the database has them. */
int rpt_load_conn(struct mp_db *db, struct rpt_data *d);
/* The DSS option rows of d->c, in frame order, into the bins (set up by
 * rpt_bins_init); sets d->have_opts. */
int rpt_load_options(struct mp_db *db, struct rpt_data *d);
/* The reinjected segments inside the DSN plot (after rpt_bins_finish). */
int rpt_load_reinj(struct mp_db *db, struct rpt_data *d);
/* The graph model of d->c: its client and server addresses, the drawn
 * subflows (edge i is d->sf[i]), one edge per failed join attempt with no
 * drawn subflow (in d->jf order, after them) and its ADD_ADDRs; laid out. */
int rpt_load_graph(struct mp_db *db, const struct rpt_data *d, struct mp_gmodel *m);
/* Index in d->sf of subflow `id`, -1 when not drawn. */
int rpt_sf_index(const struct rpt_data *d, int64_t id);

/* ---- bins.c ---- */

/* The time axis and the bins of d (after its subflows are loaded). */
void rpt_bins_init(struct rpt_data *d);
/* A DSS mapping of `len` bytes at 64-bit DSN `dsn` on subflow k in
 * direction dir (0 client to server), seen at ts. */
void rpt_bins_map(struct rpt_data *d, int k, int dir, double ts, uint64_t dsn, int64_t len);
/* A 64-bit DATA_ACK `ack` for direction dir, seen at ts. */
void rpt_bins_ack(struct rpt_data *d, int dir, double ts, uint64_t ack);
/* After the last option row: accounts the open mappings and sets yplot. */
void rpt_bins_finish(struct rpt_data *d);

/* ---- svg.c ---- */

/* HTML text and attribute values (escape.h). */
void rpt_esc(FILE *f, const char *s);
/* The smallest of 1, 2, 5 x 10^k that is >= x (x > 0). */
double rpt_nice_ceil(double x);
/* A byte count as "12.3 kB" (decimal units). */
void rpt_fmt_bytes(char *buf, size_t n, double b);
/* The colour of drawn subflow i. */
const char *rpt_sf_color(int i);
/* The x of time t on the time axis of d, clamped to the plot. */
double rpt_xt(const struct rpt_data *d, double t);
/* The x axis: ticks, grid lines from y0 to y1, labels below y1. */
void rpt_time_axis(FILE *f, const struct rpt_data *d, double y0, double y1);

/* ---- the drawings, one file each; they read d only ---- */

void rpt_write_header(FILE *f, const struct rpt_data *d);       /* header.c */
void rpt_write_graph(FILE *f, const struct rpt_data *d,
		     const struct mp_gmodel *m);                 /* graph_svg.c */
void rpt_write_timeline(FILE *f, const struct rpt_data *d);     /* timeline.c */
void rpt_write_dsn(FILE *f, const struct rpt_data *d);          /* dsn.c */
void rpt_write_handshake(FILE *f, const struct rpt_data *d);    /* handshake.c */

#endif /* MPANA_REPORT_INT_H */
