#!/usr/bin/env bash
# bench/golden.sh [scale] — golden profiles: omni.merge_profiles ... GROUP BY unified_id vs the
# plain-SQL survivorship query a data team writes (jsonb_each + DISTINCT ON + jsonb_object_agg),
# against a floor, on the same generated contact records, in one run.
#
#   pg_virtualenv -t -v 15 bash bench/golden.sh 1     # or against a running server
#
# Connects with the usual PGHOST/PGPORT/PGUSER; uses database $BENCH_DB (omni_bench), creating
# it and `CREATE EXTENSION IF NOT EXISTS omni` when missing (it does not build or install omni).
# Data come from bench/golden_generate.sql (scale 1 = 2M records of ~800k people, 12-21
# attributes each) in schema bench_golden, regenerated only when the scale or seed differ.
#
# Sides (every one groups the same table by unified_id; per key the non-null value of the
# highest priority, then the most recent, nested objects merged key by key):
#   floor   SELECT unified_id, count(*) ... GROUP BY unified_id: what reading the rows and
#           forming the groups costs, without looking inside attrs
#   omni    SELECT unified_id, omni.merge_profiles(attrs, updated_at, priority) ... GROUP BY unified_id
#   plain   every leaf through jsonb_each (a second jsonb_each for nested objects), DISTINCT ON
#           (unified_id, key, subkey) ORDER BY priority DESC, updated_at DESC, then
#           jsonb_object_agg for the nested objects and again per person
# Each query is timed server-side (clock_timestamp() around EXECUTE in PL/pgSQL), its result
# folded into one row by count(*) FILTER (WHERE profile IS NOT NULL) so no rows go to the client.
# The answers are then checked equal, person by person (exit status 1 otherwise).
#
# PostgreSQL's default planner settings; set anything else with PGOPTIONS.
# Environment: BENCH_DB (omni_bench), BENCH_REPS (3), BENCH_SEED (42), BENCH_CHECK (1: compare
# the answers; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=${1:-${SCALE:-1}}
DB=${BENCH_DB:-omni_bench}
REPS=${BENCH_REPS:-3}
SEED=${BENCH_SEED:-42}
CHECK=${BENCH_CHECK:-1}
if ! [[ $SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] || ! [[ $REPS =~ ^[1-9][0-9]*$ ]] || ! [[ $SEED =~ ^[0-9]+$ ]]; then
    echo "usage: bench/golden.sh [scale]   (scale a positive number; BENCH_REPS, BENCH_SEED integers)" >&2
    exit 2
fi

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

if [ -z "$(echo "SELECT 1 FROM pg_database WHERE datname = :'db';" |
           psql -X -At -v ON_ERROR_STOP=1 -d postgres -v db="$DB")" ]; then
    echo "creating database $DB"
    createdb "$DB"
fi
psql_db -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS omni"

current=
if [ "$(psql_db -At -c "SELECT to_regclass('bench_golden.meta') IS NOT NULL")" = t ]; then
    current=$(psql_db -At -c "SELECT format('%s|%s', scale, seed) FROM bench_golden.meta")
fi
wanted=$(psql_db -At -c "SELECT format('%s|%s', ${SCALE}::numeric, ${SEED})")
if [ "$current" != "$wanted" ]; then
    echo "generating data: scale $SCALE, seed $SEED${current:+ (had ${current//|/, })}"
    psql_db -v scale="$SCALE" -v seed="$SEED" -f bench/golden_generate.sql
else
    echo "data already generated: scale $SCALE, seed $SEED"
fi

psql_db -v reps="$REPS" -v check="$CHECK" <<'SQL'
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE OR REPLACE VIEW bench_golden.q_floor AS
SELECT unified_id, count(*) AS profile FROM bench_golden.contacts GROUP BY unified_id;
CREATE OR REPLACE VIEW bench_golden.q_omni AS
SELECT unified_id, omni.merge_profiles(attrs, updated_at, priority) AS profile
FROM bench_golden.contacts GROUP BY unified_id;
CREATE OR REPLACE VIEW bench_golden.q_plain AS
WITH leaves AS (
    SELECT c.unified_id, c.priority, c.updated_at, e.key AS k1, NULL::text AS k2, e.value
    FROM bench_golden.contacts c, jsonb_each(c.attrs) e
    WHERE jsonb_typeof(e.value) NOT IN ('object', 'null')
    UNION ALL
    SELECT c.unified_id, c.priority, c.updated_at, e.key, n.key, n.value
    FROM bench_golden.contacts c, jsonb_each(c.attrs) e,
         jsonb_each(CASE WHEN jsonb_typeof(e.value) = 'object' THEN e.value ELSE '{}' END) n
    WHERE jsonb_typeof(n.value) <> 'null'
), best AS (
    SELECT DISTINCT ON (unified_id, k1, k2) unified_id, k1, k2, value
    FROM leaves ORDER BY unified_id, k1, k2, priority DESC, updated_at DESC
), keyed AS (
    SELECT unified_id, k1, value FROM best WHERE k2 IS NULL
    UNION ALL
    SELECT unified_id, k1, jsonb_object_agg(k2, value) FROM best WHERE k2 IS NOT NULL GROUP BY unified_id, k1
)
SELECT unified_id, jsonb_object_agg(k1, value) AS profile FROM keyed GROUP BY unified_id;

CREATE OR REPLACE FUNCTION bench_golden.time_query(q text, OUT seconds float8, OUT groups bigint)
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE format('SELECT count(*) FILTER (WHERE profile IS NOT NULL) FROM %s', q) INTO groups;
    seconds := extract(epoch FROM clock_timestamp() - t0);
END $$;

-- one warm-up of the floor (caches), then the sides interleaved
SELECT * FROM bench_golden.time_query('bench_golden.q_floor') \gset warm_
CREATE TEMP TABLE timings (rep int, side text, seconds float8, groups bigint);
SET bench.reps = :'reps';
SET client_min_messages = notice;
DO $$
DECLARE r int; s text; t record;
BEGIN
    FOR r IN 1 .. current_setting('bench.reps')::int LOOP
        FOREACH s IN ARRAY ARRAY['floor', 'omni', 'plain'] LOOP
            SELECT * INTO t FROM bench_golden.time_query('bench_golden.q_' || s);
            INSERT INTO timings VALUES (r, s, t.seconds, t.groups);
            RAISE NOTICE 'rep % %: % s', r, s, round(t.seconds::numeric, 2);
        END LOOP;
    END LOOP;
END $$;
SET client_min_messages = warning;

\echo
\echo 'golden profiles, GROUP BY unified_id (best and median of the reps, seconds):'
SELECT side, min(seconds)::numeric(10, 2) AS best, (percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds))::numeric(10, 2) AS median,
       max(groups) AS profiles
FROM timings GROUP BY side ORDER BY min(seconds);
SELECT (SELECT min(seconds) FROM timings WHERE side = 'plain') / (SELECT min(seconds) FROM timings WHERE side = 'omni')
           AS omni_speedup_over_plain,
       (SELECT min(seconds) FROM timings WHERE side = 'omni') / (SELECT min(seconds) FROM timings WHERE side = 'floor')
           AS omni_over_floor,
       (SELECT min(seconds) FROM timings WHERE side = 'plain') / (SELECT min(seconds) FROM timings WHERE side = 'floor')
           AS plain_over_floor \gx

\if :check
\echo 'checking the answers: omni against plain SQL, person by person'
SELECT count(*) AS people,
       count(*) FILTER (WHERE o.profile IS DISTINCT FROM p.profile) AS differing
FROM bench_golden.q_omni o FULL JOIN bench_golden.q_plain p USING (unified_id) \gset
\echo :people people, :differing differing
SELECT :differing = 0 AS answers_equal \gset
\if :answers_equal
\echo 'answers equal'
\else
\echo 'ANSWERS DIFFER'
SELECT o.unified_id, o.profile AS omni, p.profile AS plain
FROM bench_golden.q_omni o FULL JOIN bench_golden.q_plain p USING (unified_id)
WHERE o.profile IS DISTINCT FROM p.profile LIMIT 3;
DO $$ BEGIN RAISE EXCEPTION 'omni and plain SQL give different golden profiles'; END $$;
\endif
\endif
SQL
