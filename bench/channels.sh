#!/usr/bin/env bash
# bench/channels.sh [scale [workload]] — each customer's preferred channel (workload `channel`,
# the default) or best send time (workload `sendtime`): omni vs the plain SQL a data team
# writes, both against the floor of any per-customer aggregate.
#
#   pg_virtualenv -t -v 15 bash bench/channels.sh 100            # or against a running server
#   pg_virtualenv -t -v 15 bash bench/channels.sh 100 sendtime
#
# Connects with the usual PGHOST/PGPORT/PGUSER; uses database $BENCH_DB (omni_bench), creating
# it and `CREATE EXTENSION IF NOT EXISTS omni` when missing (it does not build or install omni).
# Data come from bench/channels_generate.sql (scale 1 = 100k messages / 10k customers, 100 =
# 10M / 1M) in schema bench_channels, regenerated only when its meta table records another
# scale or seed.
#
# Sides (each gives customer_id and v, one row a customer), workload channel (10 messages a
# customer on average):
#   floor   SELECT customer_id, count(*) FROM messages GROUP BY 1
#   omni    omni.preferred_channel(omni.channel_preference(channel, engaged)) ... GROUP BY 1
#   plain   GROUP BY customer_id, channel -> sends, responses -> posterior mean
#           (responses + 1) / (sends + 2) in SQL -> DISTINCT ON (customer_id) ordered by it,
#           with omni's tie-break (more sends, then channel name in byte order)
# workload sendtime, over engagements (the engaged messages, ~2 a customer at scale 100, each
# at a local time in the customer's zone):
#   floor   SELECT customer_id, count(*) FROM engagements GROUP BY 1
#   omni    omni.best_hour_of_week(omni.best_send_time(engaged_at, tz)) ... GROUP BY 1
#   plain   GROUP BY customer_id, local hour of the ISO week (extract() AT TIME ZONE tz) ->
#           counts -> smoothed counts c(h-1) + 2 c(h) + c(h+1) around the week -> DISTINCT ON
#           (customer_id) ordered by them, ties to the lowest hour: the argmax of omni's
#           posterior under its uniform prior (docs/sendtime.md), in integers
#
# PostgreSQL's default planner settings (no enable_* switches, parallel costs untouched).
# Each side runs once under EXPLAIN ANALYZE (the warm-up; its plan summarised), then
# BENCH_REPS times interleaved, timed server-side (clock_timestamp() around EXECUTE), the rows
# folded into one checksum row (count, sum of ids, sum of hashtext(v)).
#
# Checks (exits non-zero on any mismatch): omni and plain pick the same channel for every
# customer, with the floor's customers; every timed run returns the floor's customer count.
#
# Environment: BENCH_DB (omni_bench), BENCH_REPS (5), BENCH_SEED (42).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

SCALE=${1:-${SCALE:-1}}
WORKLOAD=${2:-channel}
case $WORKLOAD in
    channel) TABLE=messages ;;
    sendtime) TABLE=engagements ;;
    *) echo "bench/channels.sh: workload must be channel or sendtime, not $WORKLOAD" >&2; exit 2 ;;
esac
DB=${BENCH_DB:-omni_bench}
REPS=${BENCH_REPS:-5}
SEED=${BENCH_SEED:-42}
SIDES="floor omni best"

if ! [[ $SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] || ! [[ $REPS =~ ^[1-9][0-9]*$ ]] || ! [[ $SEED =~ ^[0-9]+$ ]]; then
    echo "usage: bench/channels.sh [scale]   (scale a positive number; BENCH_REPS, BENCH_SEED integers)" >&2
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
if [ "$(psql_db -At -c "SELECT to_regclass('bench_channels.meta') IS NOT NULL AND to_regclass('bench_channels.engagements') IS NOT NULL")" = t ]; then
    current=$(psql_db -At -c "SELECT format('%s|%s', scale, seed) FROM bench_channels.meta LIMIT 1")
fi
wanted=$(psql_db -At -c "SELECT format('%s|%s', ${SCALE}::numeric, ${SEED})")
if [ "$current" != "$wanted" ]; then
    echo "generating data: scale $SCALE, seed $SEED${current:+ (had ${current//|/, })}"
    psql_db -v scale="$SCALE" -v seed="$SEED" -f bench/channels_generate.sql
else
    echo "data already generated: scale $SCALE, seed $SEED"
fi
# ---------- the queries: customer_id, v ----------
query() {
    case $WORKLOAD:$1 in
        *:floor) cat <<SQL
SELECT customer_id, count(*) AS v
FROM bench_channels.$TABLE
GROUP BY 1
SQL
        ;;
        sendtime:omni) cat <<SQL
SELECT customer_id, omni.best_hour_of_week(omni.best_send_time(engaged_at, tz)) AS v
FROM bench_channels.engagements
GROUP BY 1
SQL
        ;;
        sendtime:best) cat <<SQL
SELECT DISTINCT ON (customer_id) customer_id, h AS v
FROM (SELECT customer_id, (h + d + 168) % 168 AS h, sum(c * (2 - abs(d))) AS score
      FROM (SELECT customer_id,
                   (extract(isodow FROM engaged_at AT TIME ZONE tz)::int - 1) * 24
                   + extract(hour FROM engaged_at AT TIME ZONE tz)::int AS h,
                   count(*) AS c
            FROM bench_channels.engagements
            GROUP BY 1, 2) counts
      CROSS JOIN (VALUES (-1), (0), (1)) AS shift(d)
      GROUP BY 1, 2) smoothed
ORDER BY customer_id, score DESC, h
SQL
        ;;
        channel:omni) cat <<SQL
SELECT customer_id, omni.preferred_channel(omni.channel_preference(channel, engaged)) AS v
FROM bench_channels.messages
GROUP BY 1
SQL
        ;;
        channel:best) cat <<SQL
SELECT DISTINCT ON (customer_id) customer_id, channel AS v
FROM (SELECT customer_id, channel, count(*) AS sends, count(*) FILTER (WHERE engaged) AS responses
      FROM bench_channels.messages
      GROUP BY 1, 2) per
ORDER BY customer_id, (responses + 1)::float8 / (sends + 2) DESC, sends DESC, channel COLLATE "C"
SQL
        ;;
    esac
}

label() {
    case $1 in
        floor) echo "floor count(*)" ;;
        omni) echo "omni" ;;
        best) echo "plain SQL" ;;
    esac
}

# what is timed: every output column is read, one row comes back
timed() {
    printf 'SELECT count(*) AS n, sum(customer_id) AS ids, sum(hashtext(v::text))::float8 AS total FROM (\n%s) r' "$1"
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

-- omni vs plain SQL per customer, and the customer count against the floor's
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
               OR o.v IS DISTINCT FROM p.v AS bad
        FROM (%s) o FULL JOIN (%s) p ON o.customer_id = p.customer_id\$c\$, q_omni, q_best);
    SELECT count(*), count(*) FILTER (WHERE bad) INTO n_all, n_bad FROM diff;
    INSERT INTO answer_check VALUES ('omni vs plain SQL', n_all, n_bad);
    IF n_bad > 0 OR n_all <> n_floor OR n_all = 0 THEN
        FOR r IN SELECT * FROM diff WHERE bad ORDER BY 1 LIMIT 10 LOOP
            RAISE WARNING 'differs (customer_id, omni, plain SQL): %', r;
        END LOOP;
        RAISE EXCEPTION '% of % customers differ between omni and plain SQL; the floor has % customers',
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
        echo "\\echo 'checking answers: omni vs plain SQL, per customer'"
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
-- every run of every side has the floor's customers
INSERT INTO answer_check
SELECT 'customer count of ' || t.side || ' runs', max(t.n), count(*) FILTER (WHERE t.n <> f.n)
FROM timing t CROSS JOIN (SELECT max(n) AS n FROM timing WHERE side = 'floor count(*)') f
GROUP BY t.side;

\\echo
SELECT format('workload $WORKLOAD, scale %s: %s messages, %s customers; %s rows of $TABLE; %s runs each (ms)',
              m.scale, m.n_messages, m.n_customers, (SELECT count(*) FROM bench_channels.$TABLE), $REPS)
FROM bench_channels.meta m \\g (tuples_only)
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
ORDER BY array_position(array['floor count(*)', 'omni', 'plain SQL'], s.side);
SELECT side, note AS plan FROM plan_note
ORDER BY array_position(array['floor count(*)', 'omni', 'plain SQL'], side);
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
