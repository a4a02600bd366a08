-- SPDX-License-Identifier: BSD-2-Clause
-- pg_roles.sql - the two roles of docs/scale.md for a PostgreSQL database
-- that mpana sensors write into and analysts read:
--
--   mpana_sensor   writes: INSERT into every table, UPDATE of only the rows
--                  and columns a run completes (its capture row's counters,
--                  its connections and subflows when they end, a failover's
--                  failback, its option counts); never DELETE, TRUNCATE or
--                  DDL, and it reads nothing but the schema version and the
--                  key columns its updates name.
--   mpana_analyst  reads: SELECT on every table and view (mpana query,
--                  mpana report, psql, Grafana...).
--
-- Run it as the database's owner once the schema exists (created by
-- `mpana query --schema postgresql | psql ...` or by a first `mpana --db`
-- run as the owner), in the schema mpana uses (public by default); then one
-- login per sensor or analyst:
--   CREATE ROLE sensor_paris LOGIN PASSWORD '...' IN ROLE mpana_sensor;
--   CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE mpana_analyst;
-- tests/pg/roles_test.sh runs this file as it is.
CREATE ROLE mpana_sensor NOLOGIN;
CREATE ROLE mpana_analyst NOLOGIN;
GRANT USAGE ON SCHEMA public TO mpana_sensor, mpana_analyst;

GRANT INSERT ON captures, option_counts, connections, subflows, addresses, events,
  options, failovers, stalls, join_attempts, announcements TO mpana_sensor;
GRANT SELECT ON schema_version TO mpana_sensor;
-- the id blocks of connections and subflows (nextval)
GRANT USAGE ON SEQUENCE mpana_conn_blocks, mpana_subflow_blocks TO mpana_sensor;
-- a run's capture row: INSERT ... RETURNING id, then UPDATE ... WHERE id =
GRANT SELECT (id), UPDATE (linktype, first_ts, last_ts, packets, tcp_packets,
  mptcp_packets, complete, malformed) ON captures TO mpana_sensor;
-- stub rows completed at the end: INSERT ... ON CONFLICT (id) DO UPDATE
GRANT SELECT (id), UPDATE ON connections, subflows TO mpana_sensor;
-- a failover's failback, later: UPDATE ... WHERE capture_id = AND episode =
GRANT SELECT (capture_id, episode), UPDATE (t_failback, failback_frame,
  failback_subflow, failback_ms) ON failovers TO mpana_sensor;
-- the option counts, refreshed at each commit: ON CONFLICT DO UPDATE
GRANT SELECT (capture_id, opt), UPDATE (count) ON option_counts TO mpana_sensor;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO mpana_analyst;
