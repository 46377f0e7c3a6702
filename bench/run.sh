#!/usr/bin/env bash
# bench/run.sh [scale] — cohort open rates: omni vs the plain SQL a data team writes today.
#
#   bash bench/run.sh 10            # or: make bench SCALE=10
#
# Connects with the usual PGHOST/PGPORT/PGUSER; uses database $BENCH_DB (omni_bench), creating
# it and `CREATE EXTENSION IF NOT EXISTS omni` when missing (it does not build or install omni).
# Data come from bench/generate.sql (scale 1 = 100k messages, 100 = 10M) and are only
# regenerated when bench.meta records another scale, seed or time zone.
#
# For each mode (serial: max_parallel_workers_per_gather = 0; parallel: 2 workers with the
# parallel costs zeroed, checked with EXPLAIN ANALYZE to launch its workers) and each query
# shape it times the omni query and the plain-SQL one, interleaved, BENCH_REPS times after a
# warm-up, server-side (clock_timestamp() around EXECUTE in PL/pgSQL, so no result rows go to
# the client: the ~700 cells are folded into one checksum row by an outer aggregate that reads
# every column), then checks that both give the same cells, counts and Wilson bounds (1e-9)
# and prints best and median times.  Exits non-zero if any answer differs.
#
# Shapes (both sides always get the same one):
#   inline  date_trunc('month', c.first_seen_at) written in the query, evaluated per message
#   pre     the cohort month precomputed in customers.cohort_month
#   side    (only when asked for) the cohort month computed once per customer in a fenced
#           subquery (OFFSET 0): as fast as pre serially, but the fence keeps the join out of
#           the parallel part of the plan, so its "parallel" mode only parallelises the scans
#
# Both sides run with enable_sort = off (see below) and JIT off unless BENCH_JIT=on.
# Environment: BENCH_DB (omni_bench), BENCH_REPS (5), BENCH_SEED (42), BENCH_TZ (UTC: the
# session time zone, which date_trunc, age() and cohort_period all follow), BENCH_JIT (off),
# BENCH_WORK_MEM (64MB: the hash join stays in one batch at scale 100),
# BENCH_SHAPES ("inline pre", or any of inline side pre), BENCH_MODES ("serial parallel").
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

SCALE=${1:-${SCALE:-1}}
DB=${BENCH_DB:-omni_bench}
REPS=${BENCH_REPS:-5}
SEED=${BENCH_SEED:-42}
TZNAME=${BENCH_TZ:-UTC}
JIT=${BENCH_JIT:-off}
WORK_MEM=${BENCH_WORK_MEM:-64MB}
SHAPES=${BENCH_SHAPES:-inline pre}
MODES=${BENCH_MODES:-serial parallel}

if ! [[ $SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] || ! [[ $REPS =~ ^[1-9][0-9]*$ ]] || ! [[ $SEED =~ ^[0-9]+$ ]]; then
    echo "usage: bench/run.sh [scale]   (scale a positive number; BENCH_REPS, BENCH_SEED integers)" >&2
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

current=$(psql_db -At <<'SQL'
SELECT CASE WHEN to_regclass('bench.meta') IS NULL THEN ''
            ELSE (SELECT format('%s|%s|%s', scale, seed, time_zone) FROM bench.meta LIMIT 1) END;
SQL
)
wanted=$(psql_db -At -c "SELECT format('%s|%s|%s', ${SCALE}::numeric, ${SEED}, '${TZNAME//\'/}')")
if [ "$current" != "$wanted" ]; then
    echo "generating data: scale $SCALE, seed $SEED, time zone $TZNAME${current:+ (had ${current//|/, })}"
    psql_db -v scale="$SCALE" -v seed="$SEED" -v tz="$TZNAME" -f bench/generate.sql
else
    echo "data already generated: scale $SCALE, seed $SEED, time zone $TZNAME"
fi

# ---------- the queries ----------
cohort_expr() {
    case $1 in
        inline) echo "date_trunc('month', c.first_seen_at)" ;;
        side) echo "c.cohort" ;;
        pre) echo "c.cohort_month" ;;
        *) echo "unknown shape $1 (inline, side, pre)" >&2; exit 2 ;;
    esac
}
customers_rel() {
    case $1 in
        side) echo "(SELECT customer_id, date_trunc('month', first_seen_at) AS cohort FROM bench.customers OFFSET 0)" ;;
        *) echo "bench.customers" ;;
    esac
}

# cohort, period, channel, trials, hits, value, ci_lower, ci_upper: one row per cell
omni_query() {
    local coh rel
    coh=$(cohort_expr "$1"); rel=$(customers_rel "$1")
    cat <<SQL
SELECT cohort, period, channel,
       omni.trials(opens) AS trials, omni.hits(opens) AS hits, omni.value(opens) AS value,
       omni.ci_lower(opens) AS ci_lower, omni.ci_upper(opens) AS ci_upper
FROM (SELECT $coh AS cohort,
             omni.cohort_period($coh, m.sent_at, '1 month') AS period,
             m.channel,
             omni.rate_agg(m.opened) FILTER (WHERE m.delivered) AS opens
      FROM bench.messages m JOIN $rel c USING (customer_id)
      GROUP BY 1, 2, 3) t
SQL
}

plain_query() {
    local coh rel
    coh=$(cohort_expr "$1"); rel=$(customers_rel "$1")
    cat <<SQL
SELECT cohort, period, channel, n AS trials, x AS hits, p AS value,
       (p + z*z/(2*n) - z*sqrt(p*(1 - p)/n + z*z/(4*n*n))) / (1 + z*z/n) AS ci_lower,
       (p + z*z/(2*n) + z*sqrt(p*(1 - p)/n + z*z/(4*n*n))) / (1 + z*z/n) AS ci_upper
FROM (SELECT $coh AS cohort,
             (extract(year FROM age(m.sent_at, $coh)) * 12
              + extract(month FROM age(m.sent_at, $coh)))::int AS period,
             m.channel,
             count(*) FILTER (WHERE m.delivered) AS n,
             count(*) FILTER (WHERE m.delivered AND m.opened) AS x
      FROM bench.messages m JOIN $rel c USING (customer_id)
      GROUP BY 1, 2, 3) t
CROSS JOIN LATERAL (SELECT x::float8 / nullif(n, 0) AS p, 1.959963984540054::float8 AS z) w
SQL
}

# what is timed: every output column is read, one row comes back
timed() {
    printf 'SELECT count(*), sum(trials), sum(hits), sum(value), sum(ci_lower), sum(ci_upper) FROM (\n%s) r' "$1"
}

mode_settings() {
    case $1 in
        serial) echo "SET max_parallel_workers_per_gather = 0;" ;;
        parallel) echo "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
                        SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
                        SET min_parallel_index_scan_size = 0;" ;;
        *) echo "unknown mode $1 (serial, parallel)" >&2; exit 2 ;;
    esac
}

# dollar-quote a query for PL/pgSQL
dq() { printf '$q$%s$q$' "$1"; }

# ---------- the session ----------
script=$(mktemp)
trap 'rm -f "$script"' EXIT
{
    cat <<SQL
SET client_min_messages = warning;
SET timezone = '${TZNAME//\'/}';
SET jit = $JIT;
SET work_mem = '$WORK_MEM';
-- The planner expects ~one group per message (it cannot know that cohort_period() has ~20
-- values), so at scale 100 its parallel plan sorts 10M rows to disk for a GroupAggregate;
-- keep both sides on the HashAggregate that 684 groups call for.
SET enable_sort = off;
\pset footer off

CREATE TEMP TABLE timing (mode text, shape text, side text, rep int, ms float8);
CREATE TEMP TABLE plan_check (mode text, shape text, side text, gather boolean, workers int);
CREATE TEMP TABLE answer_check (mode text, shape text, cells bigint, bad bigint);

-- run q to completion in this backend and record how many milliseconds it took
CREATE FUNCTION pg_temp.time_run(mode text, shape text, side text, rep int, q text) RETURNS void
LANGUAGE plpgsql AS \$f\$
DECLARE
    t0 timestamptz;
    t1 timestamptz;
    r  record;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q INTO r;
    t1 := clock_timestamp();
    INSERT INTO timing VALUES (mode, shape, side, rep, 1000 * extract(epoch FROM t1 - t0));
END \$f\$;

-- run q under EXPLAIN ANALYZE (also the warm-up): is there a Gather, how many workers ran
CREATE FUNCTION pg_temp.check_plan(mode text, shape text, side text, q text) RETURNS void
LANGUAGE plpgsql AS \$f\$
DECLARE
    line    text;
    gather  boolean := false;
    workers int;
    sorted  boolean := false;
    plan    text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) ' || q LOOP
        plan := plan || line || E'\n';
        -- parallel only counts when the join (and so the per-row work) runs under the Gather
        IF line ~ '\mGather\M' AND plan !~ 'Join' THEN gather := true; END IF;
        IF line ~ '\mSort\M' THEN sorted := true; END IF;
        IF line ~ 'Workers Launched: ' THEN
            workers := least(coalesce(workers, 1000), substring(line FROM 'Workers Launched: (\d+)')::int);
        END IF;
    END LOOP;
    INSERT INTO plan_check VALUES (mode, shape, side, gather, workers);
    IF sorted OR plan !~ 'HashAggregate' THEN
        RAISE EXCEPTION 'the % plan of % (%) does not aggregate by hashing:%', mode, side, shape, E'\n' || plan;
    END IF;
    IF (mode = 'parallel') <> gather OR (mode = 'parallel' AND coalesce(workers, 0) = 0) THEN
        RAISE EXCEPTION 'the % plan of % (%) is not what the mode asks for (join under a Gather: %, workers launched: %):%',
            mode, side, shape, gather, coalesce(workers::text, 'none'), E'\n' || plan;
    END IF;
END \$f\$;

-- cells that differ between the two answers (or are missing from one)
CREATE FUNCTION pg_temp.check_answers(mode text, shape text, q_omni text, q_plain text) RETURNS void
LANGUAGE plpgsql AS \$f\$
DECLARE
    n_cells bigint;
    n_bad   bigint;
    r       record;
BEGIN
    EXECUTE format(\$c\$
        CREATE TEMP TABLE diff AS
        SELECT coalesce(o.cohort, p.cohort) AS cohort, coalesce(o.period, p.period) AS period,
               coalesce(o.channel, p.channel) AS channel,
               o.trials AS o_trials, p.trials AS p_trials, o.hits AS o_hits, p.hits AS p_hits,
               o.value AS o_value, p.value AS p_value,
               o.ci_lower AS o_lower, p.ci_lower AS p_lower, o.ci_upper AS o_upper, p.ci_upper AS p_upper,
               o.cohort IS NULL OR p.cohort IS NULL
               OR o.trials IS DISTINCT FROM p.trials OR o.hits IS DISTINCT FROM p.hits
               OR NOT coalesce(abs(o.value - p.value) <= 1e-9, o.value IS NULL AND p.value IS NULL)
               OR NOT coalesce(abs(o.ci_lower - p.ci_lower) <= 1e-9, o.ci_lower IS NULL AND p.ci_lower IS NULL)
               OR NOT coalesce(abs(o.ci_upper - p.ci_upper) <= 1e-9, o.ci_upper IS NULL AND p.ci_upper IS NULL)
               OR o.period < 0 AS bad
        FROM (%s) o FULL JOIN (%s) p
          ON o.cohort = p.cohort AND o.period = p.period AND o.channel = p.channel\$c\$,
        q_omni, q_plain);
    SELECT count(*), count(*) FILTER (WHERE bad) INTO n_cells, n_bad FROM diff;
    INSERT INTO answer_check VALUES (mode, shape, n_cells, n_bad);
    IF n_bad > 0 OR n_cells = 0 THEN
        FOR r IN SELECT * FROM diff WHERE bad ORDER BY 1, 2, 3 LIMIT 10 LOOP
            RAISE WARNING 'differs (cohort, period, channel, then omni vs plain: trials, hits, value, ci_lower, ci_upper): %', r;
        END LOOP;
        RAISE EXCEPTION '% of % cohort x period x channel cells differ between omni and plain SQL (% mode, % shape)',
            n_bad, n_cells, mode, shape;
    END IF;
    DROP TABLE diff;
END \$f\$;

SQL
    for mode in $MODES; do
        shapes=$SHAPES
        if [ "$mode" = parallel ] && [[ " $SHAPES " == *" side "* ]]; then
            echo "\\echo 'parallel: skipping the side shape (its OFFSET 0 fence keeps the join serial)'"
            shapes=$(echo " $SHAPES " | sed 's/ side / /g')
        fi
        echo "\\echo '$mode: checking plans and answers'"
        mode_settings "$mode"
        for shape in $shapes; do
            qo=$(omni_query "$shape"); qp=$(plain_query "$shape")
            echo "SELECT pg_temp.check_plan('$mode', '$shape', 'omni', $(dq "$(timed "$qo")")) \\g /dev/null"
            echo "SELECT pg_temp.check_plan('$mode', '$shape', 'plain SQL', $(dq "$(timed "$qp")")) \\g /dev/null"
            echo "SELECT pg_temp.check_answers('$mode', '$shape', $(dq "$qo"), $(dq "$qp")) \\g /dev/null"
        done
        echo "\\echo '$mode: timing $REPS runs of each query'"
        for rep in $(seq 1 "$REPS"); do
            for shape in $shapes; do
                qo=$(timed "$(omni_query "$shape")"); qp=$(timed "$(plain_query "$shape")")
                # alternate which side goes first, so neither always runs on a warmer cache
                if (( rep % 2 )); then first=omni; else first=plain; fi
                for side in $first $([ "$first" = omni ] && echo plain || echo omni); do
                    if [ "$side" = omni ]; then q=$qo; label=omni; else q=$qp; label="plain SQL"; fi
                    echo "SELECT pg_temp.time_run('$mode', '$shape', '$label', $rep, $(dq "$q")) \\g /dev/null"
                done
            done
        done
        echo "RESET max_parallel_workers_per_gather; RESET parallel_setup_cost; RESET parallel_tuple_cost;"
        echo "RESET min_parallel_table_scan_size; RESET min_parallel_index_scan_size;"
    done
    cat <<SQL
\\echo
SELECT format('scale %s: %s messages, %s customers; %s cells; time zone %s, jit %s, work_mem %s, %s runs each (ms)',
              m.scale, m.n_messages, m.n_customers, (SELECT max(cells) FROM answer_check),
              current_setting('TimeZone'), current_setting('jit'), current_setting('work_mem'), $REPS)
FROM bench.meta m \\g (tuples_only)
WITH s AS (
    SELECT mode, shape, side, min(ms) AS best,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median
    FROM timing GROUP BY 1, 2, 3
)
SELECT o.mode, o.shape,
       round(o.best::numeric, 1) AS "omni best", round(o.median::numeric, 1) AS "omni median",
       round(p.best::numeric, 1) AS "plain best", round(p.median::numeric, 1) AS "plain median",
       round((p.median / o.median)::numeric, 2) AS "ratio plain/omni",
       round((p.best / o.best)::numeric, 2) AS "ratio (best)",
       (SELECT max(workers) FROM plan_check pc WHERE pc.mode = o.mode AND pc.shape = o.shape) AS workers,
       (SELECT CASE WHEN bad = 0 THEN 'same' ELSE bad || ' differ' END FROM answer_check a
         WHERE a.mode = o.mode AND a.shape = o.shape) AS answers
FROM s o JOIN s p ON p.mode = o.mode AND p.shape = o.shape AND p.side = 'plain SQL'
WHERE o.side = 'omni'
ORDER BY array_position(array['serial', 'parallel'], o.mode),
         array_position(array['inline', 'side', 'pre'], o.shape);
SQL
} >"$script"

# Other work on the machine skews the figures (parallel mode most: 2 workers + leader want
# every core), so say how busy it was.
load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
psql_db -f "$script"
echo "load average (1 min) before the timings: $load_before, after: $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'); $(nproc 2>/dev/null || echo '?') CPUs"
