-- SPDX-License-Identifier: BSD-2-Clause
-- schema.sql - the mpana database (mpana --db FILE|URI), schema version 4.
--
-- The one source of truth: CMake embeds this file in the binary
-- (mp_schema_sql), and mpana runs it on every database it opens for writing.
-- Every statement is idempotent (IF NOT EXISTS). Explained in docs/sqlite.md.
-- A change of any table, column, view or stable name (event types, close
-- reasons, fallback forms) bumps user_version (MP_SCHEMA_VERSION in
-- include/mpana/store.h, and the PRAGMA at the end).
--
-- Written in SQLite's dialect, kept to SQL that PostgreSQL also runs once
-- src/sinks/store/pg_schema.c has translated the few differences (column
-- types, identity keys, REFERENCES, CREATE VIEW, the version PRAGMA; the
-- list is in that file and in docs/postgresql.md). So the views use no
-- SQLite-only function but round(REAL, N), which the translation defines
-- for PostgreSQL: CASE WHEN ... THEN 1 ELSE 0 END, not total(condition),
-- and integers compared (x <> 0), never used as conditions.
--
-- Conventions: times are REAL seconds since the epoch (UTC, microsecond
-- precision at least); frame is the 1-based packet number in its capture;
-- keys, tokens are lowercase hex strings ('0x...'); addresses are text;
-- verdicts (hmac_ok, ok) are 1, 0 or NULL (not verifiable). Ids (id,
-- conn_id, subflow_id) are unique in the whole database; conn_no and
-- sf_no are the numbers of one run (as in mpana's text and JSON output).

CREATE TABLE IF NOT EXISTS captures (
  id            INTEGER PRIMARY KEY,      -- 1, 2, ... per run written here
  source        TEXT NOT NULL,            -- file path, "-" (stdin) or "iface:NAME"
  linktype      INTEGER,                  -- pcap DLT_* of the capture
  first_ts      REAL,                     -- first packet
  last_ts       REAL,                     -- latest packet
  packets       INTEGER NOT NULL DEFAULT 0, -- records read
  tcp_packets   INTEGER NOT NULL DEFAULT 0, -- TCP headers decoded
  mptcp_packets INTEGER NOT NULL DEFAULT 0, -- TCP packets with an MPTCP option
  conn_base     INTEGER NOT NULL DEFAULT 0, -- connections.id = conn_base + conn_no
  subflow_base  INTEGER NOT NULL DEFAULT 0, -- subflows.id = subflow_base + sf_no
  started       TEXT,                     -- wall-clock start of the run (UTC)
  complete      INTEGER NOT NULL DEFAULT 0, -- 1: the run ended and committed everything
  mpana_version TEXT,
  malformed     INTEGER NOT NULL DEFAULT 0, -- MPTCP options that did not parse (exact)
  host          TEXT                      -- host name of the machine that ran mpana
);

-- Exact MPTCP option counts of each capture, per subtype name (mp_capable,
-- mp_join, dss, ..., unknown_N for subtypes 9-15, unreadable when the subtype
-- byte was cut off). Updated at every commit.
CREATE TABLE IF NOT EXISTS option_counts (
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  opt           TEXT NOT NULL,
  count         INTEGER NOT NULL,
  PRIMARY KEY (capture_id, opt)
);

CREATE TABLE IF NOT EXISTS connections (
  id            INTEGER PRIMARY KEY,      -- unique in the database
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  conn_no       INTEGER NOT NULL,         -- per-run number (text/JSON output)
  version       INTEGER,                  -- MP_CAPABLE version; NULL unknown
  client_addr   TEXT, client_port INTEGER, -- initial subflow, MP_CAPABLE SYN sender
  server_addr   TEXT, server_port INTEGER,
  client_key    TEXT, server_key TEXT,     -- NULL when not seen
  client_token  TEXT, server_token TEXT,   -- NULL when not known
  first_ts      REAL, last_ts REAL,
  closed_ts     REAL,                     -- NULL while open at the end of the capture
  close_reason  TEXT,                     -- data_fin, fastclose, subflows, idle, ... ; NULL open
  fallback      TEXT,                     -- RFC 8684 §3.7 form; NULL when none
  fallback_frame INTEGER,                 -- the packet that proves the fallback; NULL none
  fallback_side TEXT,                     -- who fell back: 'client', 'server', 'both'
  app_proto     TEXT,                     -- nDPI name, "unknown"
  partial       INTEGER NOT NULL DEFAULT 0, -- built from a join with an unknown token
  subflows      INTEGER,                  -- number of subflows
  vantage       TEXT,                     -- capture point near the 'client', 'server', or 'unknown'
  bytes_c2s     INTEGER, bytes_s2c INTEGER, -- data-level bytes mapped (highest DSN - IDSN - 1)
  reinj_frames  INTEGER, reinj_bytes INTEGER, -- reinjected mappings / bytes
  complete      INTEGER NOT NULL DEFAULT 0  -- 0: stub written when first seen (run not finished)
);
CREATE INDEX IF NOT EXISTS connections_capture ON connections(capture_id, conn_no);

CREATE TABLE IF NOT EXISTS subflows (
  id            INTEGER PRIMARY KEY,
  conn_id       INTEGER REFERENCES connections(id), -- NULL: never attributed
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  sf_no         INTEGER NOT NULL,         -- per-run number
  kind          TEXT,                     -- initial, join, partial
  src_addr      TEXT, src_port INTEGER,   -- SYN sender (or first sender seen)
  dst_addr      TEXT, dst_port INTEGER,
  initial       INTEGER,                  -- 1 for the MP_CAPABLE subflow
  backup        INTEGER,                  -- per the last MP_JOIN / MP_PRIO seen
  local_addr_id INTEGER,                  -- address id of src (NULL unknown)
  remote_addr_id INTEGER,                 -- address id of dst (NULL unknown)
  token         TEXT,                     -- join SYN token
  syn_ts        REAL, established_ts REAL, closed_ts REAL,
  close_reason  TEXT,                     -- fin, rst, tcprst, ...; NULL open
  tcprst_reason INTEGER,                  -- MP_TCPRST reason when close_reason = 'tcprst'
  state         TEXT,                     -- syn_sent ... closed
  fallback      TEXT,
  fallback_frame INTEGER,                 -- the packet that proves the fallback; NULL none
  fallback_side TEXT,                     -- who fell back: 'client', 'server', 'both'
  hmac_ok       INTEGER,                  -- join HMACs: 1 all verified, 0 one failed, NULL n/a
  orphan        INTEGER,                  -- join token matched no connection
  bytes_fwd     INTEGER, bytes_rev INTEGER, -- TCP payload src->dst, dst->src
  pkts_fwd      INTEGER, pkts_rev INTEGER,
  retrans_fwd   INTEGER, retrans_rev INTEGER, -- payload bytes re-sent on it by TCP
                                          -- (same subflow sequence)
  reinj_fwd     INTEGER, reinj_rev INTEGER, -- payload bytes it carried that another
                                          -- subflow sent first (reinjections, RFC 8684
                                          -- §3.3.6): reinj_fwd / bytes_fwd is the part of
                                          -- a backup subflow's traffic that was reinjection
  complete      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS subflows_conn ON subflows(conn_id);

CREATE TABLE IF NOT EXISTS addresses (
  conn_id       INTEGER NOT NULL REFERENCES connections(id),
  addr_id       INTEGER NOT NULL,
  addr          TEXT, port INTEGER,       -- port NULL when the option had none
  announced_by  TEXT,                     -- 'client' or 'server'
  announced_ts  REAL, frame INTEGER,      -- the (first) ADD_ADDR
  removed_ts    REAL,                     -- first REMOVE_ADDR naming it; NULL if none
  echoed        INTEGER,
  hmac_ok       INTEGER,
  hmac_bits     TEXT                      -- which 64 bits matched: 'rightmost'/'leftmost'
);
CREATE INDEX IF NOT EXISTS addresses_conn ON addresses(conn_id);

CREATE TABLE IF NOT EXISTS events (
  id            INTEGER PRIMARY KEY,      -- capture order
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  ts            REAL,
  frame         INTEGER,                  -- 0 for end-of-run events
  conn_id       INTEGER,                  -- NULL when none
  subflow_id    INTEGER,                  -- NULL when none
  type          TEXT NOT NULL,            -- mpc_syn, join_ack, add_addr, ... (include/mpana/event.h)
  ok            INTEGER,                  -- verdict where the type has one
  detail        TEXT
);
CREATE INDEX IF NOT EXISTS events_conn ON events(conn_id, type);
CREATE INDEX IF NOT EXISTS events_subflow ON events(subflow_id);

-- --db-packets only: one row per MPTCP option (small traces).
CREATE TABLE IF NOT EXISTS options (
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  frame         INTEGER NOT NULL,
  ts            REAL,
  conn_id       INTEGER, subflow_id INTEGER,
  src_addr      TEXT, src_port INTEGER, dst_addr TEXT, dst_port INTEGER,
  tcp_flags     INTEGER,
  subtype       TEXT,                     -- mp_capable, dss, ...
  len           INTEGER,
  error         TEXT,                     -- malformed: stable code; NULL when it parsed
  data_ack      INTEGER, dsn INTEGER,     -- DSS, as on the wire (32 or 64 bits)
  ssn           INTEGER, dll INTEGER,
  data_fin      INTEGER,
  data_ack64    INTEGER, dsn64 INTEGER,   -- the same expanded to 64 bits (RFC 8684
                                          -- §3.3.1); NULL when no reference was known
  seg_dsn       INTEGER, seg_len INTEGER, -- the packet's own payload at the data level:
                                          -- 64-bit DSN of its first byte, bytes in the mapping
  resend        TEXT                      -- that data was sent before:
                                          -- 'retransmission' or 'reinjection'
);
CREATE INDEX IF NOT EXISTS options_frame ON options(capture_id, frame);

-- Outage episodes found by the analysis stage (src/analysis/failover.c;
-- definition: MPTCP-NOTES.md, "Failover latency"; docs/sqlite.md). One row
-- per episode: a subflow can fail several times, in either direction.
CREATE TABLE IF NOT EXISTS failovers (
  id            INTEGER PRIMARY KEY,
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  episode       INTEGER NOT NULL,         -- 1, 2, ... per run, in order of report
  conn_id       INTEGER NOT NULL,
  direction     TEXT NOT NULL,            -- data direction: 'c2s' or 's2c'
  vantage       TEXT NOT NULL,            -- 'sender': the capture shows the lost data;
                                          -- 'receiver': only the holes it left
  kind          TEXT NOT NULL,            -- 'failover': recovered through another subflow
                                          -- before the failed one's next ACK advance;
                                          -- 'stall': the failed subflow recovered first
  from_subflow  INTEGER NOT NULL,         -- the subflow whose path failed
  to_subflow    INTEGER,                  -- the one that carried its data back
  t_fail        REAL NOT NULL, fail_frame INTEGER NOT NULL, -- last sign of life
  t_sent        REAL, sent_frame INTEGER, -- the subflow had been idle (all acknowledged)
                                          -- for more than 200 ms before: its first segment
                                          -- since, where the outage shows; NULL otherwise
  latency_from_sent_ms REAL,              -- t_recovered - t_sent
  t_first_reinject REAL, first_reinject_frame INTEGER, -- first re-send of its data elsewhere
  t_recovered   REAL, recovered_frame INTEGER, -- first DATA_ACK covering all it lost
                                          -- (NULL: not within the capture)
  latency_ms    REAL NOT NULL,            -- t_recovered - t_fail (a bound, see lower_bound)
  lower_bound   INTEGER NOT NULL,         -- 1: latency_ms is only a lower bound
  lost_bytes    INTEGER NOT NULL,         -- payload bytes it lost (0 from the receiver side)
  lost_dsn_end  INTEGER,                  -- 64-bit data-level end of what it lost
  stall_ms      REAL NOT NULL,            -- longest DATA_ACK stall inside the episode
  cause         TEXT,                     -- explicit signal: rst, mp_tcprst, remove_addr,
                                          -- mp_prio_backup; NULL when silent
  join_subflow  INTEGER, join_setup_ms REAL, -- a join made during the outage
                                          -- (break-before-make): SYN to third ACK
  t_failback    REAL, failback_frame INTEGER, failback_subflow INTEGER,
  failback_ms   REAL                      -- the failed path carrying data again
                                          -- (same subflow, or a new one between
                                          -- the same addresses), from t_fail
);
CREATE INDEX IF NOT EXISTS failovers_conn ON failovers(conn_id);

CREATE VIEW IF NOT EXISTS failover AS
  SELECT conn_id, direction, vantage, kind, from_subflow, to_subflow, t_fail,
         fail_frame, t_sent, latency_from_sent_ms, t_first_reinject, t_recovered, recovered_frame,
         latency_ms, lower_bound, lost_bytes, stall_ms, cause, join_setup_ms,
         t_failback, failback_ms
  FROM failovers ORDER BY conn_id, t_fail, id;

-- Connection stalls (src/analysis/stall.c, include/mpana/stall.h): the
-- DATA_ACK of one data direction stood still for more than 1 s while
-- mapped data was sent and every subflow carrying it saw its TCP ACK
-- advance (one side fell back, or a middlebox strips MPTCP options). Not
-- the failovers table's kind 'stall', which is an outage of one subflow.
CREATE TABLE IF NOT EXISTS stalls (
  id            INTEGER PRIMARY KEY,
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  conn_id       INTEGER NOT NULL,
  direction     TEXT NOT NULL,            -- data direction: 'c2s' or 's2c'
  t_start       REAL NOT NULL, frame INTEGER NOT NULL, -- first data packet the
                                          -- DATA_ACK never covered again in time
  t_end         REAL NOT NULL,            -- the DATA_ACK advanced again, or the
                                          -- connection's last packet
  end_frame     INTEGER,                  -- that DATA_ACK; NULL: stalled to the end
  ended         INTEGER NOT NULL,         -- 1: the DATA_ACK advanced again
  duration_ms   REAL NOT NULL,            -- t_end - t_start
  data_ack      INTEGER,                  -- 64-bit DATA_ACK it stood at
  dsn_end       INTEGER,                  -- highest data-level end sent meanwhile
  data_pkts     INTEGER NOT NULL,         -- mapped data packets sent meanwhile
  sf_acks       INTEGER NOT NULL          -- subflow-level ACK advances meanwhile
);
CREATE INDEX IF NOT EXISTS stalls_conn ON stalls(conn_id);

-- Handshake order (MPTCP-NOTES.md, "Handshake order"): the control events
-- of each connection by capture time and frame number.
CREATE VIEW IF NOT EXISTS handshake_order AS
  SELECT e.conn_id AS conn_id,
         row_number() OVER (PARTITION BY e.conn_id ORDER BY e.ts, e.frame, e.id) AS seq,
         e.ts AS ts,
         round((e.ts - min(e.ts) OVER (PARTITION BY e.conn_id)) * 1000.0, 3) AS rel_ms,
         e.subflow_id AS subflow_id,
         e.type AS step,
         e.ok AS ok,
         e.frame AS frame,
         e.detail AS detail
  FROM events e
  WHERE e.conn_id IS NOT NULL AND e.type IN (
    'mpc_syn', 'mpc_synack', 'mpc_ack', 'mpc_data',
    'join_syn', 'join_synack', 'join_ack', 'join_ack_responder',
    'add_addr', 'add_addr_echo', 'remove_addr', 'mp_prio', 'data_fin',
    'mp_fastclose', 'mp_tcprst', 'mp_fail', 'fin', 'rst',
    'hmac_failure', 'key_mismatch', 'orphan_join', 'fallback');

-- Validity: each handshake complete and in order, every join attributed
-- by its token and after the MP_CAPABLE SYN/ACK, every HMAC verified.
-- reason names the first rule broken (NULL when valid).
CREATE VIEW IF NOT EXISTS handshake_verdict AS
  WITH o AS (SELECT * FROM handshake_order),
  c AS (
    SELECT c.id AS conn_id, c.partial AS partial, c.fallback AS fallback,
      (SELECT min(seq) FROM o WHERE o.conn_id = c.id AND step = 'mpc_syn') AS s1,
      (SELECT min(seq) FROM o WHERE o.conn_id = c.id AND step = 'mpc_synack') AS s2,
      (SELECT min(seq) FROM o WHERE o.conn_id = c.id AND step = 'mpc_ack') AS s3,
      (SELECT min(seq) FROM o WHERE o.conn_id = c.id AND step = 'mpc_data') AS s4,
      (SELECT count(*) FROM o WHERE o.conn_id = c.id AND
         (step IN ('hmac_failure') OR (step IN ('add_addr', 'join_synack', 'join_ack') AND ok = 0))) AS hmac_bad,
      (SELECT count(*) FROM o WHERE o.conn_id = c.id AND step = 'key_mismatch') AS key_bad
    FROM connections c),
  j AS (
    SELECT s.conn_id AS conn_id, s.id AS sf, s.orphan AS orphan,
      (SELECT min(seq) FROM o WHERE o.subflow_id = s.id AND step = 'join_syn') AS j1,
      (SELECT min(seq) FROM o WHERE o.subflow_id = s.id AND step = 'join_synack') AS j2,
      (SELECT min(seq) FROM o WHERE o.subflow_id = s.id AND step = 'join_ack') AS j3,
      (SELECT min(seq) FROM o WHERE o.subflow_id = s.id AND step = 'join_ack_responder') AS j4,
      (SELECT count(*) FROM o WHERE o.subflow_id = s.id AND
         step IN ('join_synack', 'join_ack') AND ok IS NULL) AS hmac_unknown
    FROM subflows s WHERE s.conn_id IS NOT NULL AND s.initial = 0),
  jc AS (
    SELECT c.conn_id AS conn_id, count(j.sf) AS joins,
      sum(CASE WHEN j.orphan <> 0 THEN 1 ELSE 0 END) AS orphans,
      sum(CASE WHEN j.sf IS NOT NULL AND (j.j1 IS NULL OR j.j2 IS NULL
          OR j.j3 IS NULL OR j.j4 IS NULL) THEN 1 ELSE 0 END) AS incomplete,
      sum(CASE WHEN j.j1 IS NOT NULL AND NOT (j.j1 < j.j2 AND j.j2 < j.j3 AND j.j3 < j.j4)
          THEN 1 ELSE 0 END) AS disorder,
      sum(CASE WHEN j.j1 IS NOT NULL AND (c.s2 IS NULL OR j.j1 < c.s2)
          THEN 1 ELSE 0 END) AS early,
      coalesce(sum(j.hmac_unknown), 0) AS hmac_unknown
    FROM c LEFT JOIN j ON j.conn_id = c.conn_id GROUP BY c.conn_id)
  SELECT c.conn_id AS conn_id,
    CASE WHEN r.reason IS NULL THEN 1 ELSE 0 END AS valid,
    r.reason AS reason,
    jc.joins AS joins
  FROM c JOIN jc ON jc.conn_id = c.conn_id
  JOIN (SELECT c.conn_id AS conn_id, CASE
      WHEN c.partial <> 0 THEN 'no MP_CAPABLE handshake: join token of no known connection'
      WHEN c.s1 IS NULL OR c.s2 IS NULL OR c.s3 IS NULL THEN
        CASE WHEN c.fallback IS NOT NULL THEN 'MP_CAPABLE handshake incomplete: fallback (' || c.fallback || ')'
             ELSE 'MP_CAPABLE handshake incomplete' END
      WHEN NOT (c.s1 < c.s2 AND c.s2 < c.s3) THEN 'MP_CAPABLE handshake out of order'
      WHEN c.s4 IS NOT NULL AND c.s4 < c.s3 THEN 'MP_CAPABLE data before the third ACK'
      WHEN c.key_bad > 0 THEN 'third ACK echoed other keys'
      WHEN jc.orphans > 0 THEN 'a join token belongs to no connection'
      WHEN jc.incomplete > 0 THEN 'join handshake incomplete'
      WHEN jc.disorder > 0 THEN 'join handshake out of order'
      WHEN jc.early > 0 THEN 'join before the MP_CAPABLE SYN/ACK'
      WHEN c.hmac_bad > 0 THEN 'HMAC failure'
      WHEN jc.hmac_unknown > 0 THEN 'join HMAC not verifiable'
      END AS reason
    FROM c JOIN jc ON jc.conn_id = c.conn_id) r ON r.conn_id = c.conn_id;

-- Join attempts (src/analysis/joins.c; definitions and outcome rules in
-- include/mpana/joins.h and docs/sqlite.md): one row per MP_JOIN SYN
-- attempt, its SYN retransmissions counted in it.
CREATE TABLE IF NOT EXISTS join_attempts (
  id            INTEGER PRIMARY KEY,
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  attempt       INTEGER NOT NULL,         -- 1, 2, ... per run, in order of report
  conn_id       INTEGER NOT NULL,         -- a partial connection for an unknown token
  subflow_id    INTEGER NOT NULL,
  token         TEXT,                     -- the SYN's token (the responder's), 0x%08x
  token_known   INTEGER NOT NULL,         -- 0: it matched no connection seen
  initiator     TEXT,                     -- 'client' or 'server'; NULL unknown
  src_addr      TEXT, src_port INTEGER,   -- the SYN's sender
  dst_addr      TEXT, dst_port INTEGER,
  addr_id       INTEGER, backup INTEGER,  -- the SYN's address id and B flag
  peer_addr_id  INTEGER, peer_backup INTEGER, -- the SYN/ACK's (NULL: none with MP_JOIN)
  t_syn         REAL NOT NULL, syn_frame INTEGER NOT NULL,
  retransmissions INTEGER NOT NULL,       -- SYNs after the first
  t_synack      REAL, synack_frame INTEGER, -- with or without MP_JOIN
  t_ack         REAL, ack_frame INTEGER,  -- third ACK
  t_ack4        REAL, ack4_frame INTEGER, -- the responder's ACK completing it
  t_established REAL, setup_ms REAL,      -- established: t_ack4 (else t_ack), from t_syn
  inferred      INTEGER NOT NULL,         -- 1: established without the fourth ACK seen
  hmac_synack   INTEGER, hmac_ack INTEGER, -- verdicts; NULL not verifiable
  hmac_failed   TEXT,                     -- 'synack' or 'ack'
  outcome       TEXT NOT NULL,            -- established, no_synack, refused,
                                          -- synack_without_join, hmac_failure,
                                          -- rejected, not_established, unknown_token
  t_reset       REAL, reset_frame INTEGER, -- first RST before establishment
  reset_by      TEXT,                     -- 'initiator' or 'responder'
  tcprst_reason INTEGER,                  -- its MP_TCPRST reason
  gave_up       INTEGER                   -- no_synack: 1 given up, 0 the capture ended first
);
CREATE INDEX IF NOT EXISTS join_attempts_conn ON join_attempts(conn_id);

-- Announced addresses and their use (src/analysis/joins.c): one row per
-- ADD_ADDR announcement, with the join attempts made to it.
CREATE TABLE IF NOT EXISTS announcements (
  id            INTEGER PRIMARY KEY,
  capture_id    INTEGER NOT NULL REFERENCES captures(id),
  address_no    INTEGER NOT NULL,         -- 1, 2, ... per run
  conn_id       INTEGER NOT NULL,
  announcer     TEXT NOT NULL,            -- 'client' or 'server'
  addr_id       INTEGER NOT NULL,
  addr          TEXT NOT NULL, port INTEGER, -- port NULL when announced without
  t_announce    REAL NOT NULL, frame INTEGER NOT NULL, -- first announcement
  retransmissions INTEGER NOT NULL,       -- the same announcement again
  t_echo        REAL, echo_frame INTEGER, -- first echo; NULL none
  hmac_ok       INTEGER, hmac_bits TEXT,  -- NULL: not verifiable (no keys, v0)
  c_flag        INTEGER,                  -- the announcer's MP_CAPABLE C flag; NULL unknown
  initial       INTEGER NOT NULL,         -- 1: the announcer's initial address
  t_removed     REAL, removed_frame INTEGER, -- first REMOVE_ADDR of its id
  joins         INTEGER NOT NULL,         -- join attempts to it
  joins_established INTEGER NOT NULL,
  join_list     TEXT,                     -- 'subflow_id:outcome,...' (first 8)
  verdict       TEXT NOT NULL             -- used, unused, failed, not_echoed
);
CREATE INDEX IF NOT EXISTS announcements_conn ON announcements(conn_id);

CREATE VIEW IF NOT EXISTS address_use AS
  SELECT a.conn_id AS conn_id, c.conn_no AS conn_no, a.announcer, a.addr_id, a.addr,
         a.port, a.t_announce, a.retransmissions, a.t_echo, a.hmac_ok, a.c_flag,
         a.initial, a.t_removed, a.joins, a.joins_established, a.join_list, a.verdict
  FROM announcements a LEFT JOIN connections c ON c.id = a.conn_id
  ORDER BY a.conn_id, a.id;

PRAGMA user_version = 4;
