#!/usr/bin/env bash
# make test-citus: omni on a real multi-node cluster, checked against a single node.
#
#   1. Citus 13.2 is installed (scripts/citus-install.sh builds it from the vendored source
#      release when it is missing), omni is built and installed.
#   2. Five throwaway PostgreSQL instances on loopback ports (scripts/cluster.sh): a Citus
#      coordinator and two Citus workers (shared_preload_libraries = citus), and two plain
#      instances that serve as postgres_fdw shards.
#   3. The demo sample (demo/sample.sql) is loaded twice on the coordinator's instance: into
#      database omni_single, a plain single-node database, and into omni_citus, where
#      test/citus/distribute.sql distributes it by customer id (dimension tables as reference
#      tables).  test/citus/load.sql then derives the same stored tables in both.
#   4. Every query of test/citus/queries.sql runs in both; the outputs must be identical, and
#      EXPLAIN VERBOSE on Citus must show the aggregate computed on the workers: whole inside
#      the worker tasks, or as worker_partial_agg states merged by coord_combine_agg.
#   5. Identity resolution: resolve_identities reading a distributed table, and the per-shard
#      procedure of test/citus/identity_sharded.sql, both equal to the single-node run.
#   6. Postgres' own sharding: a hash-partitioned parent in omni_single whose partitions are
#      postgres_fdw foreign tables on the two plain instances (omni in the server's
#      extensions option); per-customer queries equal the single-node ones, and with
#      enable_partitionwise_aggregate the aggregates run on the shards (test/citus/fdw.sql).
#
# Run it under the install lock like make test (flock /tmp/omni-install.lock make test-citus),
# but not under /tmp/omni-bench.lock: building Citus takes that lock itself.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/common.sh

set -e
bash scripts/deps.sh
build_and_install
bash scripts/citus-install.sh
set +e

. scripts/cluster.sh
cluster_init
trap cluster_cleanup EXIT
trap 'exit 130' INT TERM

base=$(cluster_pick_ports 5) || exit 1
coord=$base w1=$((base + 1)) w2=$((base + 2)) s0=$((base + 3)) s1=$((base + 4))
citus_conf=("shared_preload_libraries = 'citus'" "citus.node_conninfo = 'sslmode=disable'"
            "max_worker_processes = 16")

tests=0 failed=0
ok() {
    tests=$((tests + 1))
    echo "ok $tests - $1"
}
not_ok() {
    tests=$((tests + 1)) failed=$((failed + 1))
    echo "not ok $tests - $1"
}
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}
die() {
    echo "omni: test-citus: $*" >&2
    echo "omni: citus tests FAILED" >&2
    exit 1
}

echo "omni: starting a Citus coordinator and two workers on ports $coord-$w2, two postgres_fdw shards on $s0-$s1"
for n in coord:$coord w1:$w1 w2:$w2; do
    instance_start "${n%%:*}" "${n#*:}" "${citus_conf[@]}" || die "could not start ${n%%:*}"
done
for n in s0:$s0 s1:$s1; do
    instance_start "${n%%:*}" "${n#*:}" || die "could not start ${n%%:*}"
done

# ---------------------------------------------------------------------------- the Citus cluster
for p in $coord $w1 $w2; do
    pg "$p" -d postgres -c 'CREATE DATABASE omni_citus' -c 'CREATE DATABASE omni_single' || die "createdb on port $p"
    pg "$p" -d omni_citus -c 'CREATE EXTENSION citus' || die "CREATE EXTENSION citus on port $p"
done
pg "$coord" -d omni_citus -o /dev/null \
    -c "SELECT citus_set_coordinator_host('127.0.0.1', $coord)" \
    -c "SELECT citus_add_node('127.0.0.1', $w1)" \
    -c "SELECT citus_add_node('127.0.0.1', $w2)" || die "could not form the cluster"
# CREATE EXTENSION on the coordinator creates omni on every worker too
pg "$coord" -d omni_citus -c 'CREATE EXTENSION omni' || die "CREATE EXTENSION omni on Citus"
workers=$(pg "$coord" -d omni_citus -At -c "SELECT count(*) FROM citus_get_active_worker_nodes()")
check "Citus $(pg "$coord" -d omni_citus -At -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'") with 2 active workers (found $workers)" \
    test "$workers" = 2
omni_version=$(pg "$coord" -d omni_citus -At -c "SELECT extversion FROM pg_extension WHERE extname = 'omni'")
for p in $w1 $w2; do
    v=$(pg "$p" -d omni_citus -At -c "SELECT extversion FROM pg_extension WHERE extname = 'omni'")
    check "CREATE EXTENSION omni on the coordinator created omni $omni_version on the worker on port $p" \
        test -n "$v" -a "$v" = "$omni_version"
done

# -------------------------------------------------------------------------------- the data
echo "omni: loading the demo sample into the single-node database and into Citus"
pg "$coord" -d omni_single -c 'CREATE EXTENSION omni' -c 'CREATE EXTENSION postgres_fdw' -o /dev/null \
    -f demo/sample.sql -f test/citus/schema.sql -f test/citus/load.sql || die "loading the single-node database"
pg "$coord" -d omni_citus -o /dev/null \
    -f demo/sample.sql -f test/citus/schema.sql -f test/citus/distribute.sql -f test/citus/load.sql \
    || die "loading the Citus database"
rows=$(pg "$coord" -d omni_citus -At -c "SELECT count(*) FROM shop.message_events")
shards=$(pg "$coord" -d omni_citus -At -c "SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'shop.message_events'::regclass AND shard_size >= 0")
check "shop.message_events distributed over $shards workers ($rows rows)" test "$shards" = 2

work="$cluster_dir/out"
mkdir -p "$work"

# compare NAME SINGLE_DB CITUS_DB SQL: the query's output on both, identical
compare() {
    local name=$1 sql=$4
    pg "$coord" -d "$2" -At -c "$sql" >"$work/$name.single" 2>"$work/$name.single.err"
    pg "$coord" -d "$3" -At -c "$sql" >"$work/$name.citus" 2>"$work/$name.citus.err"
    if [ -s "$work/$name.single.err" ] || [ -s "$work/$name.citus.err" ]; then
        cat "$work/$name.single.err" "$work/$name.citus.err" | grep -v '^NOTICE\|^HINT' >&2
    fi
    if [ ! -s "$work/$name.single" ]; then
        echo "# $name: no rows on the single node" >&2
        return 1
    fi
    if ! cmp -s "$work/$name.single" "$work/$name.citus"; then
        diff "$work/$name.single" "$work/$name.citus" | head -n 10 >&2
        return 1
    fi
}

# Citus moves the workers' results to the coordinator in binary where every column's type has
# binary I/O (omni's types do), and partial states always as text (worker_partial_agg returns
# cstring); with citus.enable_binary_protocol off, results travel as text too.
compare_text_protocol() {
    local name=$1 sql=$2
    pg "$coord" -d omni_citus -At -c "SET citus.enable_binary_protocol = off" -c "$sql" >"$work/$name.citus_text" 2>&1
    cmp -s "$work/$name.single" "$work/$name.citus_text"
}

# --------------------------------------------------------- every capability's main queries
# test/citus/queries.sql: blocks of "-- name:", "-- expect:" and one query ending in ';'
mapfile -t names < <(sed -n 's/^-- name: *//p' test/citus/queries.sql)
dup=$(printf '%s\n' "${names[@]}" | sort | uniq -d)
[ -z "$dup" ] || die "test/citus/queries.sql names a query twice: $dup"
for name in "${names[@]}"; do
    block=$(awk -v n="$name" '
        /^-- name: / { on = ($3 == n); next }
        on && /^-- expect: / { next }
        on { print; if ($0 ~ /;[[:space:]]*$/) exit }' test/citus/queries.sql)
    read -r kind agg < <(awk -v n="$name" '/^-- name: / { on = ($3 == n); next } on && /^-- expect: / { print $3, $4; exit }' test/citus/queries.sql)
    lines=0
    if compare "$name" omni_single omni_citus "$block"; then
        lines=$(wc -l <"$work/$name.single")
        ok "$name: Citus answers as the single node ($lines rows)"
    else
        not_ok "$name: Citus answers as the single node"
    fi
    check "$name: the same with results sent between nodes as text" compare_text_protocol "$name" "$block"
    pg "$coord" -d omni_citus -At -c "EXPLAIN (VERBOSE, COSTS OFF) $block" >"$work/$name.plan" 2>&1
    case "$kind" in
    whole)
        # the worker task's SQL calls the aggregate itself; nothing is merged on the coordinator
        if grep -q "Task Count: [1-9]" "$work/$name.plan" && grep -q "Query: .*${agg}(" "$work/$name.plan" &&
            ! grep -q "worker_partial_agg\|coord_combine_agg" "$work/$name.plan"; then
            ok "$name: $agg runs whole on the workers ($(sed -n 's/.*Task Count: //p' "$work/$name.plan" | head -n 1) tasks)"
        else
            not_ok "$name: $agg runs whole on the workers"
            sed 's/^/# /' "$work/$name.plan" | head -n 40
        fi
        ;;
    partial)
        # the workers compute partial states of the aggregate; the coordinator combines them
        # (the coordinator's plan names the aggregate by oid)
        combined=$(sed -n "s/.*coord_combine_agg('\([0-9]*\)'::oid.*/\1/p" "$work/$name.plan" | head -n 1)
        if grep -q "Query: .*worker_partial_agg('${agg}(" "$work/$name.plan" && [ -n "$combined" ] &&
            [ "$(pg "$coord" -d omni_citus -At -c "SELECT '$combined'::oid::regproc::text")" = "$agg" ]; then
            ok "$name: partial $agg states on the workers, combined on the coordinator"
        else
            not_ok "$name: partial $agg states on the workers, combined on the coordinator"
            sed 's/^/# /' "$work/$name.plan" | head -n 40
        fi
        ;;
    *)
        not_ok "$name: unknown expectation '$kind'"
        ;;
    esac
done

# a join of events to messages on message_id alone is not colocated: Citus refuses it
# (docs/scaling.md: join on customer_id too)
pg "$coord" -d omni_citus -At -c "SELECT m.channel, omni.message_outcome(e.event_type, e.occurred_at, e.user_agent)
    FROM shop.message_events e JOIN shop.messages m USING (message_id) GROUP BY 1" >/dev/null 2>"$work/noncolocated.err"
check "a join on message_id alone, without the distribution column, is refused: $(head -n 1 "$work/noncolocated.err")" \
    grep -q "repartition" "$work/noncolocated.err"

# --------------------------------------------------------------------- the session time zone
# Citus runs the workers' part of a query in their own sessions, whose TimeZone is the
# server's, not the coordinator session's: functions that read the session zone (date_trunc on
# timestamptz, the 3-argument omni.cohort_period) answer in the workers' zone.  Two ways give
# the single-node answer: the IMMUTABLE zone-taking forms, or SET LOCAL TimeZone propagated
# with citus.propagate_set_commands = 'local'.
zone_explicit="SELECT omni.cohort_period(date_trunc('month', c.first_seen_at, 'Pacific/Auckland'), r.sent_at, '1 month', 'Pacific/Auckland') AS period,
       omni.rate_agg(r.engaged) FROM shop.responses r JOIN shop.customers c USING (customer_id) GROUP BY 1 ORDER BY 1"
zone_session="SELECT omni.cohort_period(date_trunc('month', c.first_seen_at), r.sent_at, '1 month') AS period,
       omni.rate_agg(r.engaged) FROM shop.responses r JOIN shop.customers c USING (customer_id) GROUP BY 1 ORDER BY 1"
pg "$coord" -d omni_single -At -c "SET TimeZone = 'Pacific/Auckland'" -c "$zone_session" >"$work/zone.single"
pg "$coord" -d omni_citus -At -c "SET TimeZone = 'Pacific/Auckland'" -c "$zone_explicit" >"$work/zone.explicit"
pg "$coord" -d omni_citus -At -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" \
    -c "SET LOCAL TimeZone = 'Pacific/Auckland'" -c "$zone_session" -c "COMMIT" >"$work/zone.local"
pg "$coord" -d omni_citus -At -c "SET TimeZone = 'Pacific/Auckland'" -c "$zone_session" >"$work/zone.session"
check "session zone Pacific/Auckland: the zone-taking cohort functions on Citus answer as the single node" \
    cmp -s "$work/zone.single" "$work/zone.explicit"
check "session zone Pacific/Auckland: SET LOCAL TimeZone with citus.propagate_set_commands = 'local' answers as the single node" \
    cmp -s "$work/zone.single" "$work/zone.local"
check "session zone Pacific/Auckland: a plain SET TimeZone does not reach the workers (their answer differs; docs/scaling.md)" \
    test -s "$work/zone.session" -a -s "$work/zone.single" -a "$(cmp -s "$work/zone.single" "$work/zone.session"; echo $?)" = 1

# ------------------------------------------------------------------------ identity resolution
echo "omni: identity resolution over distributed contacts"
max_shared=3
blocklist='{test@example.com}'
single_identity="SELECT record_id, unified_id, cluster_size
FROM omni.resolve_identities('SELECT * FROM shop.contact_identifiers', max_shared => $max_shared, blocklist => '$blocklist')
ORDER BY record_id"
# the query reads a distributed table: the coordinator streams its rows from the workers
check "resolve_identities reading a distributed table answers as the single node" \
    compare identity_distributed_query omni_single omni_citus "$single_identity"
pg "$coord" -d omni_citus -v max_shared=$max_shared -v blocklist="$blocklist" -o "$work/identity_sharded.out" \
    -f test/citus/identity_sharded.sql 2>"$work/identity_sharded.err"
check "the per-shard procedure resolved every shard on its worker" \
    grep -q "^ t *| *8$" "$work/identity_sharded.out"
sharded_answer="SELECT u.record_id, u.unified_id, s.cluster_size
FROM shop.unified u JOIN (SELECT unified_id, count(*) AS cluster_size FROM shop.unified GROUP BY 1) s USING (unified_id)
ORDER BY u.record_id"
pg "$coord" -d omni_single -At -c "$single_identity" >"$work/identity_sharded.single" 2>/dev/null
pg "$coord" -d omni_citus -At -c "$sharded_answer" >"$work/identity_sharded.citus"
check "resolved per shard, then merged: the same partition and unified IDs as the single node ($(wc -l <"$work/identity_sharded.single") records)" \
    cmp -s "$work/identity_sharded.single" "$work/identity_sharded.citus"
stats=$(pg "$coord" -d omni_citus -At -F ' ' -c "SELECT (SELECT count(*) FROM shop.local_clusters WHERE record_id = local_id),
    (SELECT count(*) FROM shop.merged_clusters), (SELECT count(DISTINCT unified_id) FROM shop.unified),
    (SELECT count(*) FROM shop.identity_ignored)")
read -r local_clusters merged final ignored <<<"$stats"
check "the merge step joined clusters across shards ($local_clusters shard-local clusters, $merged merged into others, $final in the end, $ignored identifiers over the guardrails)" \
    test "${merged:-0}" -gt 0 -a "${ignored:-0}" -gt 0

# ------------------------------------------------------------- postgres_fdw shards (no Citus)
echo "omni: postgres_fdw shards of a hash-partitioned parent"
for p in $s0 $s1; do
    pg "$p" -d postgres -c 'CREATE DATABASE omni_shard' || die "createdb on port $p"
    pg "$p" -d omni_shard -c 'CREATE EXTENSION omni' -f test/citus/fdw_shard.sql || die "CREATE EXTENSION omni on port $p"
done
pg "$coord" -d omni_single -o /dev/null -v s0=$s0 -v s1=$s1 -v host=127.0.0.1 -f test/citus/fdw_setup.sql \
    || die "setting up the postgres_fdw shards"
for p in $s0 $s1; do
    n=$(pg "$p" -d omni_shard -At -c "SELECT count(*) FROM shop.responses")
    check "the shard on port $p holds its part of the responses ($n rows)" test "$n" -gt 0
done
mapfile -t names < <(sed -n 's/^-- name: *//p' test/citus/fdw.sql)
first_pushed=
for name in "${names[@]}"; do
    block=$(awk -v n="$name" '
        /^-- name: / { on = ($3 == n); next }
        on && /^-- pushdown: / { next }
        on { print; if ($0 ~ /;[[:space:]]*$/) exit }' test/citus/fdw.sql)
    read -r pushdown agg < <(awk -v n="$name" '/^-- name: / { on = ($3 == n); next } on && /^-- pushdown: / { print $3, $4; exit }' test/citus/fdw.sql)
    local_sql=${block//:s./shop.}
    fdw_sql=${block//:s./fdw.}
    pg "$coord" -d omni_single -At -c "$local_sql" >"$work/fdw_$name.single" 2>&1
    pg "$coord" -d omni_single -At -c "SET enable_partitionwise_aggregate = on" -c "$fdw_sql" >"$work/fdw_$name.fdw" 2>&1
    pg "$coord" -d omni_single -At -c "$fdw_sql" >"$work/fdw_$name.fdw_default" 2>&1
    if [ -s "$work/fdw_$name.single" ] && cmp -s "$work/fdw_$name.single" "$work/fdw_$name.fdw" &&
        cmp -s "$work/fdw_$name.single" "$work/fdw_$name.fdw_default"; then
        ok "fdw $name: the sharded parent answers as the single node ($(wc -l <"$work/fdw_$name.single") rows)"
    else
        not_ok "fdw $name: the sharded parent answers as the single node"
        diff "$work/fdw_$name.single" "$work/fdw_$name.fdw" | head -n 10
    fi
    pg "$coord" -d omni_single -At -c "SET enable_partitionwise_aggregate = on" \
        -c "EXPLAIN (VERBOSE, COSTS OFF) $fdw_sql" >"$work/fdw_$name.plan" 2>&1
    remote=$(grep -c "Remote SQL: SELECT .*${agg}(" "$work/fdw_$name.plan")
    case "$pushdown" in
    yes)
        [ -n "$first_pushed" ] || first_pushed=$fdw_sql
        if [ "$remote" = 2 ]; then
            ok "fdw $name: with enable_partitionwise_aggregate, $agg runs on both shards"
        else
            not_ok "fdw $name: with enable_partitionwise_aggregate, $agg runs on both shards"
            sed 's/^/# /' "$work/fdw_$name.plan" | head -n 30
        fi
        ;;
    no)
        # documented: PostgreSQL 15's postgres_fdw ships no partial aggregates
        if [ "$remote" = 0 ] && grep -q "Foreign Scan" "$work/fdw_$name.plan"; then
            ok "fdw $name: not shipped, the shards send their rows and $agg runs on the parent"
        else
            not_ok "fdw $name: not shipped, the shards send their rows and $agg runs on the parent"
            sed 's/^/# /' "$work/fdw_$name.plan" | head -n 30
        fi
        ;;
    esac
done
# without enable_partitionwise_aggregate (the default) nothing is pushed down
pg "$coord" -d omni_single -At -c "EXPLAIN (VERBOSE, COSTS OFF) $first_pushed" >"$work/fdw_default.plan" 2>&1
check "fdw: with the default enable_partitionwise_aggregate = off, no aggregate is pushed down" \
    test "$(grep -c 'Remote SQL: SELECT .*omni\.' "$work/fdw_default.plan")" = 0 -a "$(grep -c 'Remote SQL' "$work/fdw_default.plan")" = 2

echo "1..$tests"
if [ "$failed" -ne 0 ]; then
    echo "omni: citus tests FAILED ($failed of $tests)" >&2
    exit 1
fi
echo "omni: all $tests citus tests passed"
