-- SPDX-License-Identifier: BSD-2-Clause
-- pg_partitions.sql - the big tables of mpana's PostgreSQL schema, events
-- and options (one row per MPTCP option with --db-packets), partitioned by
-- capture time: one partition per month of the packets' time (ts, seconds
-- since the epoch), so that an old month is detached or dropped whole, and
-- a query on a time range reads only its months (docs/scale.md). As the
-- owner of a new database, before any capture:
--
--   mpana query --schema postgresql | psql "$DB" -v ON_ERROR_STOP=1
--   psql "$DB" -v ON_ERROR_STOP=1 -f docs/pg_partitions.sql
--   mpana query --schema postgresql | psql "$DB" -v ON_ERROR_STOP=1
--   psql "$DB" -c "SELECT mpana_add_months('2026-01-01', 24)"
--
-- This file turns the two empty tables into partitioned ones with the same
-- columns (CREATE TABLE ... LIKE: they never differ from docs/schema.sql)
-- and a DEFAULT partition each, which takes the rows of months that have no
-- partition and those without a time; dropping the old tables drops the
-- views that read events, which the schema's second run makes again, with
-- the indexes (on every partition). mpana_add_months(first, n) adds the
-- partitions of n months from the month of `first` (existing ones are
-- skipped): run it ahead of time, from cron for instance, since a month
-- cannot be added once its rows went to the DEFAULT partition.
--
-- One difference from the plain tables: events has no PRIMARY KEY
-- constraint (the key of a partitioned table must include ts, which may be
-- NULL); its ids come from its identity sequence all the same, unique.
-- tests/pg/partition_test.sh runs this file as it is.
DO $$
DECLARE
  t text;
  n bigint;
BEGIN
  FOREACH t IN ARRAY ARRAY['events', 'options'] LOOP
    IF to_regclass(t) IS NULL THEN
      RAISE EXCEPTION 'no table %: run mpana''s schema first', t;
    END IF;
    CONTINUE WHEN (SELECT relkind FROM pg_class WHERE oid = to_regclass(t)) = 'p';
    EXECUTE format('SELECT count(*) FROM %I', t) INTO n;
    IF n > 0 THEN
      RAISE EXCEPTION 'table % holds % rows: partition a new database', t, n;
    END IF;
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_plain');
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING IDENTITY)'
                   ' PARTITION BY RANGE (ts)', t, t || '_plain');
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_default', t);
    EXECUTE format('DROP TABLE %I CASCADE', t || '_plain');
  END LOOP;
END $$;

-- The partitions events_YYYYMM and options_YYYYMM of n months from the
-- month of `first` (UTC); returns how many were made.
CREATE OR REPLACE FUNCTION mpana_add_months(first date, n integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  m timestamptz;
  t text;
  made integer := 0;
BEGIN
  FOR i IN 0 .. n - 1 LOOP
    m := (date_trunc('month', first::timestamp) + make_interval(months => i)) AT TIME ZONE 'UTC';
    FOREACH t IN ARRAY ARRAY['events', 'options'] LOOP
      CONTINUE WHEN to_regclass(t || '_' || to_char(m AT TIME ZONE 'UTC', 'YYYYMM')) IS NOT NULL;
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
                     t || '_' || to_char(m AT TIME ZONE 'UTC', 'YYYYMM'), t,
                     extract(epoch FROM m), extract(epoch FROM m + interval '1 month'));
      made := made + 1;
    END LOOP;
  END LOOP;
  RETURN made;
END $$;
