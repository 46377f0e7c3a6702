#!/usr/bin/env bash
# bench/engagement.sh [scale] — decayed engagement scores per customer (issue 6): omni vs the
# plain SQL a data team writes, both against the floor of any per-customer aggregate.
#
#   pg_virtualenv -t -v 15 bash bench/engagement.sh 100     # or against a running server
#
# Connects with the usual PGHOST/PGPORT/PGUSER; uses database $BENCH_DB (omni_bench), creating
# it and `CREATE EXTENSION IF NOT EXISTS omni` when missing (it does not build or install omni).
# Data come from bench/engagement_generate.sql (scale 1 = 200k events / 10k customers, 100 =
# 20M / 1M) in schema bench_engagement, and are only regenerated when its meta table records
# another scale or seed.
#
# Sides (every one is `SELECT customer_id, <aggregate> FROM events GROUP BY 1`, 1 row a customer):
#   floor         count(*): what any per-customer aggregate costs at least (scan + grouping)
#   omni          omni.engagement_score(event_type, occurred_at, as_of): the default weights
#                 and 30-day half-life
#   plain best    the fastest plain SQL we found that gives the same answer, float8 throughout:
#                 CASE weights * power(2::float8, -date_part('epoch', as_of - occurred_at) /
#                 2592000), the as_of bound and the zero-weight types (send, deliver, bounce)
#                 moved into a FILTER so no power() is spent on them
#   plain common  what is usually written: extract(epoch ...) (numeric since PG 14) and so
#                 power() and sum() in numeric
#
# Run as users run it: PostgreSQL's default planner settings (no enable_* switches, parallel
# costs untouched, default JIT, default work_mem) -- set anything else with PGOPTIONS and the
# header line shows it.  Each side runs once under EXPLAIN ANALYZE (the warm-up; its plan is
# summarised), then BENCH_REPS times, interleaved (the order rotates each rep, so load from
# elsewhere on the machine hits every side alike), timed server-side: clock_timestamp()
# around EXECUTE in PL/pgSQL, the per-customer rows folded into one checksum row (count, sum
# of ids, sum of values), so no rows go to the client.
#
# Checks (exits non-zero on any mismatch): omni and plain best agree for every customer to
# 1e-9 relative or 1e-12 absolute, with the same customers as the floor; every timed run of a
# side returns the same customer count as the floor, and plain common's checksum agrees with
# omni's to 1e-9 relative.
#
# Environment: BENCH_DB (omni_bench), BENCH_REPS (5), BENCH_SEED (42),
# BENCH_SIDES ("floor omni best common": leave out common for quick runs; floor is always run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

SCALE=${1:-${SCALE:-1}}
DB=${BENCH_DB:-omni_bench}
REPS=${BENCH_REPS:-5}
SEED=${BENCH_SEED:-42}
SIDES=${BENCH_SIDES:-floor omni best common}

if ! [[ $SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] || ! [[ $REPS =~ ^[1-9][0-9]*$ ]] || ! [[ $SEED =~ ^[0-9]+$ ]]; then
    echo "usage: bench/engagement.sh [scale]   (scale a positive number; BENCH_REPS, BENCH_SEED integers)" >&2
    exit 2
fi
[[ " $SIDES " == *" floor "* ]] || SIDES="floor $SIDES"
for side in $SIDES; do
    case $side in
        floor|omni|best|common) ;;
        *) echo "unknown side $side in BENCH_SIDES (floor, omni, best, common)" >&2; exit 2 ;;
    esac
done
if [[ " $SIDES " == *" best "* ]] && [[ " $SIDES " != *" omni "* ]]; then
    echo "BENCH_SIDES: best is checked against omni, so it needs omni too" >&2
    exit 2
fi

psql_db() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"
}

# ---------- database, extension, data ----------
# psql -c does not interpolate :'db', so the look-up goes through stdin
if [ -z "$(echo "SELECT 1 FROM pg_database WHERE datname = :'db';" |
           psql -X -At -v ON_ERROR_STOP=1 -d postgres -v db="$DB")" ]; then
    echo "creating database $DB"
    createdb "$DB"
fi
psql_db -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS omni"

# (two steps: a query naming a missing table fails to parse, whatever a CASE around it says)
current=
if [ "$(psql_db -At -c "SELECT to_regclass('bench_engagement.meta') IS NOT NULL")" = t ]; then
    current=$(psql_db -At -c "SELECT format('%s|%s', scale, seed) FROM bench_engagement.meta LIMIT 1")
fi
wanted=$(psql_db -At -c "SELECT format('%s|%s', ${SCALE}::numeric, ${SEED})")
if [ "$current" != "$wanted" ]; then
    echo "generating data: scale $SCALE, seed $SEED${current:+ (had ${current//|/, })}"
    psql_db -v scale="$SCALE" -v seed="$SEED" -f bench/engagement_generate.sql
else
    echo "data already generated: scale $SCALE, seed $SEED"
fi
AS_OF=$(psql_db -At -c "SELECT as_of AT TIME ZONE 'UTC' FROM bench_engagement.meta")
AS_OF="timestamptz '$AS_OF+00'"

# ---------- the queries: customer_id, v ----------
query() {
    case $1 in
        floor) cat <<SQL
SELECT customer_id, count(*) AS v
FROM bench_engagement.events
GROUP BY 1
SQL
        ;;
        omni) cat <<SQL
SELECT customer_id, omni.engagement_score(event_type, occurred_at, $AS_OF) AS v
FROM bench_engagement.events
GROUP BY 1
SQL
        ;;
        best) cat <<SQL
SELECT customer_id,
       coalesce(sum(CASE event_type WHEN 'open' THEN 1::float8 WHEN 'click' THEN 3::float8
                                    WHEN 'conversion' THEN 5::float8 WHEN 'reply' THEN 5::float8
                                    WHEN 'unsubscribe' THEN -10::float8
                                    WHEN 'complaint' THEN -20::float8 END
                    * power(2::float8, -date_part('epoch', $AS_OF - occurred_at) / 2592000))
                FILTER (WHERE occurred_at <= $AS_OF
                          AND event_type NOT IN ('send', 'deliver', 'bounce')), 0) AS v
FROM bench_engagement.events
GROUP BY 1
SQL
        ;;
        common) cat <<SQL
SELECT customer_id,
       coalesce(sum(CASE event_type WHEN 'open' THEN 1 WHEN 'click' THEN 3 WHEN 'conversion' THEN 5
                                    WHEN 'reply' THEN 5 WHEN 'unsubscribe' THEN -10
                                    WHEN 'complaint' THEN -20 ELSE 0 END
                    * power(2, -extract(epoch FROM $AS_OF - occurred_at) / 2592000))
                FILTER (WHERE occurred_at <= $AS_OF), 0) AS v
FROM bench_engagement.events
GROUP BY 1
SQL
        ;;
    esac
}

label() {
    case $1 in
        floor) echo "floor count(*)" ;;
        omni) echo "omni" ;;
        best) echo "plain best" ;;
        common) echo "plain common" ;;
    esac
}

# what is timed: every output column is read, one row comes back
timed() {
    printf 'SELECT count(*) AS n, sum(customer_id) AS ids, sum(v)::float8 AS total FROM (\n%s) r' "$1"
}

# dollar-quote a query for PL/pgSQL
dq() { printf '$q$%s$q$' "$1"; }

# ---------- the session ----------
script=$(mktemp)
trap 'rm -f "$script"' EXIT
{
    cat <<SQL
SET client_min_messages = warning;
\pset footer off

CREATE TEMP TABLE timing (side text, rep int, ms float8, n bigint, ids numeric, total float8);
CREATE TEMP TABLE plan_note (side text, note text);
CREATE TEMP TABLE answer_check (what text, customers bigint, bad bigint);

-- run q to completion in this backend and record how many milliseconds it took
CREATE FUNCTION pg_temp.time_run(side text, rep int, q text) RETURNS void
LANGUAGE plpgsql AS \$f\$
DECLARE
    t0 timestamptz;
    t1 timestamptz;
    r  record;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q INTO r;
    t1 := clock_timestamp();
    INSERT INTO timing VALUES (side, rep, 1000 * extract(epoch FROM t1 - t0), r.n, r.ids, r.total);
END \$f\$;

-- the warm-up: q under EXPLAIN ANALYZE, summarised (aggregation strategy, workers, spills, JIT)
CREATE FUNCTION pg_temp.plan_of(side text, q text) RETURNS void
LANGUAGE plpgsql AS \$f\$
DECLARE
    line    text;
    plan    text := '';
    nodes   text[] := '{}';
    workers int;
    batches int := 0;
    disk    bigint := 0;
    jit     text := 'off';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) ' || q LOOP
        plan := plan || line || E'\n';
        IF line ~ '(HashAggregate|GroupAggregate|Sort|Gather Merge|Gather)\M' AND line !~ '(Key|Method):' THEN
            nodes := nodes || substring(line FROM '((Partial |Finalize )?(HashAggregate|GroupAggregate|Gather Merge|Gather|Sort))');
        END IF;
        IF line ~ 'Workers Launched: ' THEN
            workers := substring(line FROM 'Workers Launched: (\d+)')::int;
        END IF;
        IF line ~ 'Batches: \d+' THEN
            batches := greatest(batches, substring(line FROM 'Batches: (\d+)')::int);
        END IF;
        IF line ~ 'Disk( Usage)?: \d+kB' THEN
            disk := disk + substring(line FROM 'Disk(?: Usage)?: (\d+)kB')::bigint;
        END IF;
        IF line ~ '^JIT:' THEN jit := 'on'; END IF;
        IF line ~ 'Inlining true' THEN jit := 'on, inlined'; END IF;
    END LOOP;
    -- the outer count/sum adds an Aggregate of its own: leave it out of the summary
    INSERT INTO plan_note VALUES (side, format('%s; workers %s; hash batches %s; spilled %s MB; JIT %s',
        array_to_string(nodes, ' < '), coalesce(workers::text, 'none'), batches,
        round(disk / 1024.0), jit));
END \$f\$;

-- omni vs plain best per customer, and the customer count against the floor's
CREATE FUNCTION pg_temp.check_answers(q_floor text, q_omni text, q_best text) RETURNS void
LANGUAGE plpgsql AS \$f\$
DECLARE
    n_floor bigint;
    n_all   bigint;
    n_bad   bigint;
    r       record;
BEGIN
    EXECUTE 'SELECT count(*) FROM (' || q_floor || ') f' INTO n_floor;
    EXECUTE format(\$c\$
        CREATE TEMP TABLE diff AS
        SELECT coalesce(o.customer_id, p.customer_id) AS customer_id, o.v AS omni, p.v AS plain,
               o.customer_id IS NULL OR p.customer_id IS NULL
               OR NOT coalesce(abs(o.v - p.v) <= greatest(1e-12, 1e-9 * greatest(abs(o.v), abs(p.v))),
                               false) AS bad
        FROM (%s) o FULL JOIN (%s) p ON o.customer_id = p.customer_id\$c\$, q_omni, q_best);
    SELECT count(*), count(*) FILTER (WHERE bad) INTO n_all, n_bad FROM diff;
    INSERT INTO answer_check VALUES ('omni vs plain best', n_all, n_bad);
    IF n_bad > 0 OR n_all <> n_floor OR n_all = 0 THEN
        FOR r IN SELECT * FROM diff WHERE bad ORDER BY 1 LIMIT 10 LOOP
            RAISE WARNING 'differs (customer_id, omni, plain best): %', r;
        END LOOP;
        RAISE EXCEPTION '% of % customers differ between omni and plain best; the floor has % customers',
            n_bad, n_all, n_floor;
    END IF;
    DROP TABLE diff;
END \$f\$;

SELECT format('settings: work_mem %s, shared_buffers %s, max_parallel_workers_per_gather %s, jit %s, parallel_setup_cost %s, parallel_tuple_cost %s',
              current_setting('work_mem'), current_setting('shared_buffers'),
              current_setting('max_parallel_workers_per_gather'), current_setting('jit'),
              current_setting('parallel_setup_cost'), current_setting('parallel_tuple_cost')) \\g (tuples_only)
SQL
    echo "\\echo 'warm-up: one EXPLAIN ANALYZE run of each side'"
    for side in $SIDES; do
        echo "SELECT pg_temp.plan_of('$(label "$side")', $(dq "$(timed "$(query "$side")")")) \\g /dev/null"
    done
    if [[ " $SIDES " == *" best "* ]]; then
        echo "\\echo 'checking answers: omni vs plain best, per customer'"
        echo "SELECT pg_temp.check_answers($(dq "$(query floor)"), $(dq "$(query omni)"), $(dq "$(query best)")) \\g /dev/null"
    fi
    echo "\\echo 'timing $REPS runs of each side, interleaved'"
    read -r -a sides <<<"$SIDES"
    nsides=${#sides[@]}
    for rep in $(seq 1 "$REPS"); do
        # rotate the order each rep, so no side always follows the same one
        for k in $(seq 0 $((nsides - 1))); do
            side=${sides[$(( (k + rep - 1) % nsides ))]}
            echo "SELECT pg_temp.time_run('$(label "$side")', $rep, $(dq "$(timed "$(query "$side")")")) \\g /dev/null"
        done
    done
    cat <<SQL
-- every run of every side has the floor's customers; plain common's checksum matches omni's
INSERT INTO answer_check
SELECT 'customer count of ' || t.side || ' runs', max(t.n), count(*) FILTER (WHERE t.n <> f.n)
FROM timing t CROSS JOIN (SELECT max(n) AS n FROM timing WHERE side = 'floor count(*)') f
GROUP BY t.side;
INSERT INTO answer_check
SELECT 'checksum plain common vs omni', max(c.n),
       count(*) FILTER (WHERE NOT abs(c.total - o.total) <= 1e-9 * abs(o.total) OR c.ids <> o.ids)
FROM timing c CROSS JOIN (SELECT max(total) AS total, max(ids) AS ids FROM timing WHERE side = 'omni') o
WHERE c.side = 'plain common'
HAVING count(*) > 0;

\\echo
SELECT format('scale %s: %s events, %s customers, as_of %s; %s runs each (ms)',
              m.scale, m.n_events, m.n_customers, m.as_of, $REPS)
FROM bench_engagement.meta m \\g (tuples_only)
WITH s AS (
    SELECT side, min(ms) AS best, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median
    FROM timing GROUP BY 1
), f AS (SELECT * FROM s WHERE side = 'floor count(*)'),
   o AS (SELECT * FROM s WHERE side = 'omni')
SELECT s.side, round(s.median::numeric, 1) AS "median ms", round(s.best::numeric, 1) AS "best ms",
       round((s.median / f.median)::numeric, 2) AS "/floor (median)",
       round((s.best / f.best)::numeric, 2) AS "/floor (best)",
       round((s.median / o.median)::numeric, 2) AS "/omni (median)",
       round((s.best / o.best)::numeric, 2) AS "/omni (best)"
FROM s CROSS JOIN f LEFT JOIN o ON true
ORDER BY array_position(array['floor count(*)', 'omni', 'plain best', 'plain common'], s.side);
SELECT side, note AS plan FROM plan_note
ORDER BY array_position(array['floor count(*)', 'omni', 'plain best', 'plain common'], side);
SELECT what AS "check", customers, CASE WHEN bad = 0 THEN 'ok' ELSE bad || ' differ' END AS result
FROM answer_check ORDER BY 1;
DO \$\$
BEGIN
    IF EXISTS (SELECT FROM answer_check WHERE bad <> 0) THEN
        RAISE EXCEPTION 'answers differ (see the checks above)';
    END IF;
END \$\$;
SQL
} >"$script"

# Other work on the machine skews the figures (parallel plans want every core), so say how
# busy it was.
load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
psql_db -f "$script"
echo "load average (1 min) before the timings: $load_before, after: $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'); $(nproc 2>/dev/null || echo '?') CPUs"
