#!/usr/bin/env bash
# bench/identity.sh [scale] — identity resolution (issue 8): omni.resolve_identities vs the
# iterative plain-SQL min-label propagation dbt identity-stitching packages run, vs pgRouting's
# pgr_connectedComponents, against the floor of merely reading the identifier query.
#
#   pg_virtualenv -t -v 15 bash bench/identity.sh 1     # or against a running server
#
# Connects with the usual PGHOST/PGPORT/PGUSER; uses database $BENCH_DB (omni_bench), creating
# it and `CREATE EXTENSION IF NOT EXISTS omni` (and pgrouting) when missing (it does not build
# or install omni).  Data come from bench/identity_generate.sql (scale 1 = 2M contact records,
# ~6M identifier rows) in schema bench_identity, regenerated only when the scale or seed differ.
#
# Every side starts from the same contacts table and the same identifier query (four UNION ALL
# branches: normalised email, normalised phone, loyalty card, device id) and applies the same
# guardrail (an identifier value shared by more than 50 records links nothing):
#   floor      count(record_id) + count(identifier_type) + count(identifier_value) over the
#              identifier query: what reading the input costs (every value computed)
#   omni       omni.resolve_identities(identifier query), every output row read (count, and
#              the number of clusters: rows whose record_id is their unified_id)
#   plain      the identifiers into a table, the values shared by 2..50 records, then min-label
#              propagation: each record starts as its own label, each round every identifier
#              takes the least label of its records and every record the least label of its
#              identifiers, until no label changes (one UPDATE-free CREATE TABLE AS per round)
#   pgrouting  the identifiers into a table, an integer id per record, a star of integer edges
#              per identifier value shared by 2..50 records, pgr_connectedComponents over them,
#              and the component of every record (records without edges are their own)
# The work tables of plain and pgrouting are UNLOGGED tables (what a dbt model gets is a
# logged table, so this favours them), built and dropped inside the timed run.
#
# Checks (exit non-zero on any mismatch): the three partitions are identical, compared as
# (record_id, the smallest record_id of its cluster) over every record.
#
# Run as users run it: PostgreSQL's default planner settings; set anything else with PGOPTIONS.
# Environment: BENCH_DB (omni_bench), BENCH_REPS (3), BENCH_SEED (42),
# BENCH_SIDES ("floor omni plain pgrouting"; floor and omni are always run),
# BENCH_ON_LOADED (a shell command run once the timed session has loaded omni's library, e.g.
# to release a lock held since the install when others may reinstall meanwhile).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

SCALE=${1:-${SCALE:-1}}
DB=${BENCH_DB:-omni_bench}
REPS=${BENCH_REPS:-3}
SEED=${BENCH_SEED:-42}
SIDES=${BENCH_SIDES:-floor omni plain pgrouting}
if ! [[ $SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] || ! [[ $REPS =~ ^[1-9][0-9]*$ ]] || ! [[ $SEED =~ ^[0-9]+$ ]]; then
    echo "usage: bench/identity.sh [scale]   (scale a positive number; BENCH_REPS, BENCH_SEED integers)" >&2
    exit 2
fi
[[ " $SIDES " == *" omni "* ]] || SIDES="omni $SIDES"
[[ " $SIDES " == *" floor "* ]] || SIDES="floor $SIDES"
for side in $SIDES; do
    case $side in floor|omni|plain|pgrouting) ;; *) echo "unknown side $side (floor omni plain pgrouting)" >&2; exit 2 ;; esac
done

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

if [ -z "$(echo "SELECT 1 FROM pg_database WHERE datname = :'db';" |
           psql -X -At -v ON_ERROR_STOP=1 -d postgres -v db="$DB")" ]; then
    echo "creating database $DB"
    createdb "$DB"
fi
psql_db -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS omni"
if [[ " $SIDES " == *" pgrouting "* ]]; then
    psql_db -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE"
fi

current=
if [ "$(psql_db -At -c "SELECT to_regclass('bench_identity.meta') IS NOT NULL")" = t ]; then
    current=$(psql_db -At -c "SELECT format('%s|%s', scale, seed) FROM bench_identity.meta")
fi
wanted=$(psql_db -At -c "SELECT format('%s|%s', ${SCALE}::numeric, ${SEED})")
if [ "$current" != "$wanted" ]; then
    echo "generating data: scale $SCALE, seed $SEED${current:+ (had ${current//|/, })}"
    psql_db -v scale="$SCALE" -v seed="$SEED" -f bench/identity_generate.sql
else
    echo "data already generated: scale $SCALE, seed $SEED"
fi

# the identifier query every side starts from
IDQ="SELECT record_id, 'email' AS identifier_type, omni.normalize_email(email) AS identifier_value
     FROM bench_identity.contacts WHERE email IS NOT NULL
     UNION ALL
     SELECT record_id, 'phone', omni.normalize_phone(phone, country) FROM bench_identity.contacts WHERE phone IS NOT NULL
     UNION ALL
     SELECT record_id, 'loyalty', loyalty_id FROM bench_identity.contacts WHERE loyalty_id IS NOT NULL
     UNION ALL
     SELECT record_id, 'device', device_id FROM bench_identity.contacts WHERE device_id IS NOT NULL"

script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<SQL
SET client_min_messages = warning;
-- the library this session runs, loaded now (see BENCH_ON_LOADED)
LOAD 'omni';
\\! ${BENCH_ON_LOADED:-true}
\pset footer off
DROP SCHEMA IF EXISTS bench_identity_work CASCADE;
CREATE SCHEMA bench_identity_work;
CREATE TEMP TABLE timing (side text, rep int, ms float8, note text);

-- each side end to end; returns what it computed in bench_identity_work.<side>_result
-- (record_id, label) except floor, and a note (rows read, clusters, rounds)
CREATE FUNCTION pg_temp.run_side(side text, q text, keep boolean) RETURNS text
LANGUAGE plpgsql AS \$f\$
DECLARE
    n bigint;
    clusters bigint;
    changed bigint;
    rounds int := 0;
BEGIN
    IF side = 'floor' THEN
        -- every value read (a bare count(*) would let the planner skip computing the
        -- normalised values, which omni cannot)
        EXECUTE 'SELECT count(record_id) + count(identifier_type) + count(identifier_value) FROM (' || q || ') q' INTO n;
        RETURN n || ' values read';
    ELSIF side = 'omni' THEN
        IF keep THEN
            EXECUTE 'CREATE UNLOGGED TABLE bench_identity_work.omni_result AS
                     SELECT record_id, unified_id AS label FROM omni.resolve_identities(\$1)' USING q;
            RETURN 'kept';
        END IF;
        SELECT count(*), count(*) FILTER (WHERE r.record_id = r.unified_id) INTO n, clusters
        FROM omni.resolve_identities(q) r;
        RETURN n || ' records, ' || clusters || ' clusters';
    ELSIF side = 'plain' THEN
        EXECUTE 'CREATE UNLOGGED TABLE bench_identity_work.p_ids AS ' || q;
        CREATE UNLOGGED TABLE bench_identity_work.p_edges AS
            SELECT DISTINCT i.record_id, i.identifier_type, i.identifier_value
            FROM bench_identity_work.p_ids i
            JOIN (SELECT identifier_type, identifier_value FROM bench_identity_work.p_ids
                  WHERE identifier_value IS NOT NULL
                  GROUP BY 1, 2 HAVING count(DISTINCT record_id) BETWEEN 2 AND 50) g
              USING (identifier_type, identifier_value);
        CREATE UNLOGGED TABLE bench_identity_work.p_labels AS
            SELECT DISTINCT record_id, record_id COLLATE "C" AS label FROM bench_identity_work.p_ids;
        ANALYZE bench_identity_work.p_edges;
        ANALYZE bench_identity_work.p_labels;
        LOOP
            rounds := rounds + 1;
            CREATE UNLOGGED TABLE bench_identity_work.p_next AS
            WITH ident_label AS (
                SELECT e.identifier_type, e.identifier_value, min(l.label) AS label
                FROM bench_identity_work.p_edges e JOIN bench_identity_work.p_labels l USING (record_id)
                GROUP BY 1, 2
            ), record_label AS (
                SELECT e.record_id, min(il.label) AS label
                FROM bench_identity_work.p_edges e JOIN ident_label il USING (identifier_type, identifier_value)
                GROUP BY 1
            )
            SELECT l.record_id, least(l.label, r.label) AS label, l.label AS old_label
            FROM bench_identity_work.p_labels l LEFT JOIN record_label r USING (record_id);
            SELECT count(*) INTO changed FROM bench_identity_work.p_next WHERE label <> old_label;
            DROP TABLE bench_identity_work.p_labels;
            ALTER TABLE bench_identity_work.p_next DROP COLUMN old_label;
            ALTER TABLE bench_identity_work.p_next RENAME TO p_labels;
            ANALYZE bench_identity_work.p_labels;
            EXIT WHEN changed = 0;
        END LOOP;
        ALTER TABLE bench_identity_work.p_labels RENAME TO plain_result;
        DROP TABLE bench_identity_work.p_ids, bench_identity_work.p_edges;
        RETURN rounds || ' rounds';
    ELSE
        EXECUTE 'CREATE UNLOGGED TABLE bench_identity_work.g_ids AS ' || q;
        CREATE UNLOGGED TABLE bench_identity_work.g_nodes AS
            SELECT record_id, row_number() OVER () AS node
            FROM (SELECT DISTINCT record_id FROM bench_identity_work.g_ids) r;
        CREATE UNLOGGED TABLE bench_identity_work.g_edges AS
            SELECT row_number() OVER () AS id, source, target, 1::float8 AS cost, 1::float8 AS reverse_cost
            FROM (SELECT min(n.node) OVER w AS source, n.node AS target, count(*) OVER w AS shared
                  FROM (SELECT DISTINCT record_id, identifier_type, identifier_value
                        FROM bench_identity_work.g_ids WHERE identifier_value IS NOT NULL) i
                  JOIN bench_identity_work.g_nodes n USING (record_id)
                  WINDOW w AS (PARTITION BY i.identifier_type, i.identifier_value)) s
            WHERE shared BETWEEN 2 AND 50 AND source <> target;
        CREATE UNLOGGED TABLE bench_identity_work.pgrouting_result AS
            SELECT n.record_id, coalesce(c.component, n.node) AS label
            FROM bench_identity_work.g_nodes n
            LEFT JOIN pgr_connectedComponents('SELECT id, source, target, cost, reverse_cost FROM bench_identity_work.g_edges') c
              ON c.node = n.node;
        DROP TABLE bench_identity_work.g_ids, bench_identity_work.g_nodes, bench_identity_work.g_edges;
        RETURN 'done';
    END IF;
END \$f\$;

CREATE FUNCTION pg_temp.time_run(side text, rep int, q text) RETURNS void
LANGUAGE plpgsql AS \$f\$
DECLARE
    t0 timestamptz;
    note text;
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS bench_identity_work.%I', side || '_result');
    t0 := clock_timestamp();
    note := pg_temp.run_side(side, q, false);
    INSERT INTO timing VALUES (side, rep, 1000 * extract(epoch FROM clock_timestamp() - t0), note);
END \$f\$;

SELECT format('settings: work_mem %s, shared_buffers %s, max_parallel_workers_per_gather %s, jit %s',
              current_setting('work_mem'), current_setting('shared_buffers'),
              current_setting('max_parallel_workers_per_gather'), current_setting('jit')) \\g (tuples_only)
SELECT format('scale %s: %s contact records; identifier query: %s', scale, n_records, \$\$$(echo "$IDQ" | tr -s ' \n' ' ')\$\$)
FROM bench_identity.meta \\g (tuples_only)
SQL
{
    echo "\\echo 'warm-up: one run of each side'"
    for side in $SIDES; do
        echo "SELECT pg_temp.time_run('$side', 0, \$q\$$IDQ\$q\$) \\g /dev/null"
    done
    echo "\\echo 'timing $REPS runs of each side, interleaved'"
    read -r -a sides <<<"$SIDES"
    nsides=${#sides[@]}
    for rep in $(seq 1 "$REPS"); do
        for k in $(seq 0 $((nsides - 1))); do
            side=${sides[$(( (k + rep - 1) % nsides ))]}
            echo "SELECT pg_temp.time_run('$side', $rep, \$q\$$IDQ\$q\$) \\g /dev/null"
        done
    done
    echo "\\echo 'checking the partitions'"
    echo "SELECT pg_temp.run_side('omni', \$q\$$IDQ\$q\$, true) \\g /dev/null"
    cat <<SQL
CREATE TEMP TABLE answer_check (what text, records bigint, bad bigint);
CREATE TEMP TABLE canon_omni AS
SELECT record_id, min(record_id COLLATE "C") OVER (PARTITION BY label) AS label FROM bench_identity_work.omni_result;
SQL
    for side in plain pgrouting; do
        [[ " $SIDES " == *" $side "* ]] || continue
        cat <<SQL
INSERT INTO answer_check
SELECT 'omni vs $side', count(*), count(*) FILTER (WHERE o.label IS DISTINCT FROM s.label)
FROM canon_omni o
FULL JOIN (SELECT record_id, min(record_id COLLATE "C") OVER (PARTITION BY label) AS label
           FROM bench_identity_work.${side}_result) s USING (record_id);
SQL
    done
    cat <<SQL
INSERT INTO answer_check
SELECT 'omni unified_id is the smallest record_id', count(*), count(*) FILTER (WHERE o.label <> r.label)
FROM canon_omni o JOIN bench_identity_work.omni_result r USING (record_id);

\\echo
WITH s AS (
    SELECT side, min(ms) AS best, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median,
           max(note) AS note
    FROM timing WHERE rep > 0 GROUP BY 1
), f AS (SELECT * FROM s WHERE side = 'floor'), o AS (SELECT * FROM s WHERE side = 'omni')
SELECT s.side, round(s.median::numeric) AS "median ms", round(s.best::numeric) AS "best ms",
       round((s.median / f.median)::numeric, 2) AS "/floor",
       round((s.median / o.median)::numeric, 2) AS "/omni", s.note
FROM s CROSS JOIN f CROSS JOIN o
ORDER BY array_position(array['floor', 'omni', 'plain', 'pgrouting'], s.side);
SELECT what AS "check", records, CASE WHEN bad = 0 THEN 'ok' ELSE bad || ' differ' END AS result
FROM answer_check ORDER BY 1;
DO \$\$
BEGIN
    IF EXISTS (SELECT FROM answer_check WHERE bad <> 0) THEN
        RAISE EXCEPTION 'answers differ (see the checks above)';
    END IF;
END \$\$;
DROP SCHEMA bench_identity_work CASCADE;
SQL
} >>"$script"

load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
psql_db -f "$script"
echo "load average (1 min) before: $load_before, after: $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'); $(nproc 2>/dev/null || echo '?') CPUs"
