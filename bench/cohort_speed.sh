#!/usr/bin/env bash
# bench/cohort_speed.sh [scale] — the cohort open-rate triangle in the shapes users write, at
# 10 messages a customer, under PostgreSQL's default planner settings.
#
#   bash bench/cohort_speed.sh 100      # 10M messages, 1M customers (scale 1 = 100k / 10k)
#
# Connects with the usual PGHOST/PGPORT/PGUSER; uses database $BENCH_DB (omni_cohort_speed),
# creating it and the extension when missing; data from bench/generate.sql with
# customers_per_message = 0.1, regenerated when bench.meta records another scale or seed.
#
# Shapes (monthly cohorts x months x channel, open rate of delivered messages):
#   signup  months since each customer's own signup (first_seen_at)
#   inline  months since the cohort start, the cohort month written as date_trunc in the query
#   pre     months since the cohort start, the cohort month read from customers.cohort_month
# Each shape runs three ways on the same join:
#   group    omni.cohort_period + omni.rate_agg in a GROUP BY (cohort, period, channel)
#   triangle omni.cohort_triangle per channel, expanded with omni.cohort_cells
#   plain    the plain SQL a data team writes: the month count from extract()/age(), two
#            count(*) FILTERs, the Wilson interval in SQL
# and against the floor: SELECT count(*) FROM messages JOIN customers USING (customer_id).
# Modes: serial (max_parallel_workers_per_gather = 0) and default (the server's settings:
# 2 workers a Gather, default parallel costs, work_mem and JIT as configured).  No enable_*
# switch and no cost is changed.  Every way's cells are checked equal in each mode (trials,
# hits, value, Wilson bounds to 1e-9) before timing; the run fails otherwise.
# Environment: BENCH_DB, BENCH_REPS (3), BENCH_SEED (42), BENCH_MODES ("serial default"),
# BENCH_SHAPES ("signup inline pre").
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=${1:-${SCALE:-1}}
DB=${BENCH_DB:-omni_cohort_speed}
REPS=${BENCH_REPS:-3}
SEED=${BENCH_SEED:-42}
MODES=${BENCH_MODES:-serial default}
SHAPES=${BENCH_SHAPES:-signup inline pre}

if ! [[ $SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] || ! [[ $REPS =~ ^[1-9][0-9]*$ ]] || ! [[ $SEED =~ ^[0-9]+$ ]]; then
    echo "usage: bench/cohort_speed.sh [scale]   (BENCH_REPS, BENCH_SEED integers)" >&2
    exit 2
fi

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

if [ -z "$(echo "SELECT 1 FROM pg_database WHERE datname = :'db';" |
           psql -X -At -v ON_ERROR_STOP=1 -d postgres -v db="$DB")" ]; then
    createdb "$DB"
fi
psql_db -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS omni"
current=""
if [ "$(psql_db -At -c "SELECT to_regclass('bench.meta') IS NOT NULL")" = t ]; then
    current=$(psql_db -At -c "SELECT format('%s|%s|%s', scale, seed, n_customers * 10 = n_messages) FROM bench.meta LIMIT 1")
fi
wanted=$(psql_db -At -c "SELECT format('%s|%s|%s', ${SCALE}::numeric, ${SEED}, true)")
if [ "$current" != "$wanted" ]; then
    echo "generating data: scale $SCALE, seed $SEED, 10 messages a customer"
    psql_db -v scale="$SCALE" -v seed="$SEED" -v tz=UTC -v customers_per_message=0.1 -f bench/generate.sql
else
    echo "data already generated: scale $SCALE, seed $SEED"
fi

# ---------- the queries: cohort, period, channel, trials, hits, value, ci_lower, ci_upper ----------
cohort_expr() {
    case $1 in
        pre) echo "c.cohort_month" ;;
        *) echo "date_trunc('month', c.first_seen_at)" ;;
    esac
}

group_query() {
    local coh start
    coh=$(cohort_expr "$1")
    if [ "$1" = signup ]; then start="c.first_seen_at"; else start=$coh; fi
    cat <<SQL
SELECT cohort, period, channel,
       omni.trials(opens) AS trials, omni.hits(opens) AS hits, omni.value(opens) AS value,
       omni.ci_lower(opens) AS ci_lower, omni.ci_upper(opens) AS ci_upper
FROM (SELECT $coh AS cohort, omni.cohort_period($start, m.sent_at, '1 month') AS period, m.channel,
             omni.rate_agg(m.opened) FILTER (WHERE m.delivered) AS opens
      FROM bench.messages m JOIN bench.customers c USING (customer_id)
      GROUP BY 1, 2, 3) t
SQL
}

triangle_query() {
    local start counted
    case $1 in
        signup) start="c.first_seen_at"; counted="'customer'" ;;
        inline) start="c.first_seen_at"; counted="'cohort'" ;;
        pre) start="c.cohort_month"; counted="'cohort'" ;;
    esac
    cat <<SQL
SELECT x.cohort_start AS cohort, x.period_number AS period, t.channel,
       omni.trials(x.rate) AS trials, omni.hits(x.rate) AS hits, omni.value(x.rate) AS value,
       omni.ci_lower(x.rate) AS ci_lower, omni.ci_upper(x.rate) AS ci_upper
FROM (SELECT m.channel,
             omni.cohort_triangle($start, m.sent_at, m.opened, '1 month', '1 month', $counted)
                 FILTER (WHERE m.delivered) AS tri
      FROM bench.messages m JOIN bench.customers c USING (customer_id)
      GROUP BY m.channel) t,
     omni.cohort_cells(t.tri) x
SQL
}

plain_query() {
    local coh period lateral=""
    coh=$(cohort_expr "$1")
    if [ "$1" = signup ]; then
        lateral="CROSS JOIN LATERAL (SELECT ((extract(year FROM m.sent_at) - extract(year FROM c.first_seen_at)) * 12
                                  + extract(month FROM m.sent_at) - extract(month FROM c.first_seen_at))::int AS mo) d"
        # whole months from signup as timestamptz + interval counts them: the month difference,
        # less one when signup + that many months is still after the message (Jan 31 + 1 month
        # is Feb 28); age() differs from it at month ends
        period="(mo - CASE WHEN c.first_seen_at + mo * interval '1 month' > m.sent_at THEN 1 ELSE 0 END)"
    else
        period="(extract(year FROM age(m.sent_at, $coh)) * 12 + extract(month FROM age(m.sent_at, $coh)))::int"
    fi
    cat <<SQL
SELECT cohort, period, channel, n AS trials, x AS hits, p AS value,
       (p + z*z/(2*n) - z*sqrt(p*(1 - p)/n + z*z/(4*n*n))) / (1 + z*z/n) AS ci_lower,
       (p + z*z/(2*n) + z*sqrt(p*(1 - p)/n + z*z/(4*n*n))) / (1 + z*z/n) AS ci_upper
FROM (SELECT $coh AS cohort, $period AS period, m.channel,
             count(*) FILTER (WHERE m.delivered) AS n,
             count(*) FILTER (WHERE m.delivered AND m.opened) AS x
      FROM bench.messages m JOIN bench.customers c USING (customer_id)
      $lateral
      GROUP BY 1, 2, 3) t
CROSS JOIN LATERAL (SELECT x::float8 / nullif(n, 0) AS p, 1.959963984540054::float8 AS z) w
WHERE n > 0
SQL
}

floor_query() { echo "SELECT count(*) FROM bench.messages JOIN bench.customers USING (customer_id)"; }

timed() {
    printf 'SELECT count(*), sum(trials), sum(hits), sum(value), sum(ci_lower), sum(ci_upper) FROM (\n%s) r' "$1"
}

mode_settings() {
    case $1 in
        serial) echo "SET max_parallel_workers_per_gather = 0;" ;;
        default) echo "RESET max_parallel_workers_per_gather;" ;;
        *) echo "unknown mode $1 (serial, default)" >&2; exit 2 ;;
    esac
}

dq() { printf '$q$%s$q$' "$1"; }

script=$(mktemp)
trap 'rm -f "$script"' EXIT
{
    cat <<'SQL'
SET client_min_messages = warning;
SET timezone = 'UTC';
\pset footer off
CREATE TEMP TABLE timing (mode text, shape text, way text, rep int, ms float8);
CREATE TEMP TABLE plans (mode text, shape text, way text, workers int, partial boolean);
CREATE TEMP TABLE answers (mode text, shape text, way text, cells bigint, bad bigint);

CREATE FUNCTION pg_temp.time_run(mode text, shape text, way text, rep int, q text) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE t0 timestamptz; r record;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q INTO r;
    INSERT INTO timing VALUES (mode, shape, way, rep, 1000 * extract(epoch FROM clock_timestamp() - t0));
END $f$;

-- the plan as the mode runs it (also the warm-up): workers launched, partial aggregation
CREATE FUNCTION pg_temp.check_plan(mode text, shape text, way text, q text) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE line text; workers int := 0; partial boolean := false;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) ' || q LOOP
        IF line ~ 'Workers Launched: ' THEN
            workers := greatest(workers, substring(line FROM 'Workers Launched: (\d+)')::int);
        END IF;
        IF line ~ 'Partial (Hash|Group)?Aggregate' THEN partial := true; END IF;
    END LOOP;
    INSERT INTO plans VALUES (mode, shape, way, workers, partial);
END $f$;

-- cells of q that differ from the plain SQL's (or are missing from one)
CREATE FUNCTION pg_temp.check_answers(mode text, shape text, way text, q text, q_plain text) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE n_cells bigint; n_bad bigint; r record;
BEGIN
    EXECUTE format($c$
        CREATE TEMP TABLE diff AS
        SELECT coalesce(o.cohort, p.cohort) AS cohort, coalesce(o.period, p.period) AS period,
               coalesce(o.channel, p.channel) AS channel, o.trials AS o_trials, p.trials AS p_trials,
               o.hits AS o_hits, p.hits AS p_hits,
               o.cohort IS NULL OR p.cohort IS NULL
               OR o.trials IS DISTINCT FROM p.trials OR o.hits IS DISTINCT FROM p.hits
               OR NOT coalesce(abs(o.value - p.value) <= 1e-9, o.value IS NULL AND p.value IS NULL)
               OR NOT coalesce(abs(o.ci_lower - p.ci_lower) <= 1e-9, o.ci_lower IS NULL AND p.ci_lower IS NULL)
               OR NOT coalesce(abs(o.ci_upper - p.ci_upper) <= 1e-9, o.ci_upper IS NULL AND p.ci_upper IS NULL) AS bad
        FROM (SELECT * FROM (%s) o0 WHERE trials > 0) o FULL JOIN (%s) p
          ON o.cohort = p.cohort AND o.period = p.period AND o.channel = p.channel$c$, q, q_plain);
    SELECT count(*), count(*) FILTER (WHERE bad) INTO n_cells, n_bad FROM diff;
    INSERT INTO answers VALUES (mode, shape, way, n_cells, n_bad);
    IF n_bad > 0 OR n_cells = 0 THEN
        FOR r IN SELECT * FROM diff WHERE bad ORDER BY 1, 2, 3 LIMIT 10 LOOP
            RAISE WARNING 'differs: %', r;
        END LOOP;
        RAISE EXCEPTION '% of % cells differ between % and plain SQL (% mode, % shape)', n_bad, n_cells, way, mode, shape;
    END IF;
    DROP TABLE diff;
END $f$;
SQL
    for mode in $MODES; do
        echo "\\echo '$mode: plans and answers'"
        mode_settings "$mode"
        fq=$(floor_query)
        echo "SELECT pg_temp.check_plan('$mode', 'floor', 'floor', $(dq "$fq")) \\g /dev/null"
        for shape in $SHAPES; do
            qg=$(group_query "$shape"); qt=$(triangle_query "$shape"); qp=$(plain_query "$shape")
            for way in group triangle plain; do
                case $way in group) q=$qg ;; triangle) q=$qt ;; plain) q=$qp ;; esac
                echo "SELECT pg_temp.check_plan('$mode', '$shape', '$way', $(dq "$(timed "$q")")) \\g /dev/null"
            done
            echo "SELECT pg_temp.check_answers('$mode', '$shape', 'group', $(dq "$qg"), $(dq "$qp")) \\g /dev/null"
            echo "SELECT pg_temp.check_answers('$mode', '$shape', 'triangle', $(dq "$qt"), $(dq "$qp")) \\g /dev/null"
        done
        echo "\\echo '$mode: timing $REPS runs each'"
        for rep in $(seq 1 "$REPS"); do
            echo "SELECT pg_temp.time_run('$mode', 'floor', 'floor', $rep, $(dq "$fq")) \\g /dev/null"
            for shape in $SHAPES; do
                ways="group triangle plain"
                (( rep % 2 )) || ways="plain triangle group"
                for way in $ways; do
                    case $way in group) q=$(group_query "$shape") ;; triangle) q=$(triangle_query "$shape") ;;
                                 plain) q=$(plain_query "$shape") ;; esac
                    echo "SELECT pg_temp.time_run('$mode', '$shape', '$way', $rep, $(dq "$(timed "$q")")) \\g /dev/null"
                done
            done
        done
    done
    echo "RESET max_parallel_workers_per_gather;"
    cat <<'SQL'
\echo
SELECT format('%s messages, %s customers; jit %s, work_mem %s, max_parallel_workers_per_gather %s (default mode); median of the runs, ms',
              n_messages, n_customers, current_setting('jit'), current_setting('work_mem'),
              current_setting('max_parallel_workers_per_gather'))
FROM bench.meta \g (tuples_only)
WITH s AS (SELECT mode, shape, way, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS med, min(ms) AS best
           FROM timing GROUP BY 1, 2, 3),
     fl AS (SELECT mode, med FROM s WHERE way = 'floor')
SELECT p.mode, p.shape, round(fl.med::numeric) AS "floor",
       round(g.med::numeric) AS "group", round(t.med::numeric) AS triangle, round(p.med::numeric) AS plain,
       round((p.med / g.med)::numeric, 2) AS "plain/group", round((p.med / t.med)::numeric, 2) AS "plain/triangle",
       round((t.med / fl.med)::numeric, 2) AS "triangle/floor",
       (SELECT string_agg(format('%s %s%s', pl.way, pl.workers, CASE WHEN pl.partial THEN 'p' ELSE '' END), ', ' ORDER BY pl.way)
          FROM plans pl WHERE pl.mode = p.mode AND pl.shape = p.shape) AS "workers (p = partial agg)",
       (SELECT string_agg(format('%s %s', a.way, CASE WHEN a.bad = 0 THEN 'same' ELSE a.bad || ' differ' END), ', ')
          FROM answers a WHERE a.mode = p.mode AND a.shape = p.shape) AS answers
FROM s p JOIN s g ON g.mode = p.mode AND g.shape = p.shape AND g.way = 'group'
         JOIN s t ON t.mode = p.mode AND t.shape = p.shape AND t.way = 'triangle'
         JOIN fl ON fl.mode = p.mode
WHERE p.way = 'plain'
ORDER BY array_position(array['serial', 'default'], p.mode), array_position(array['signup', 'inline', 'pre'], p.shape);
SELECT max(cells) AS cells FROM answers \g (tuples_only)
SQL
} >"$script"

load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
psql_db -f "$script"
echo "load average (1 min) before: $load_before, after: $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'); $(nproc 2>/dev/null || echo '?') CPUs"
