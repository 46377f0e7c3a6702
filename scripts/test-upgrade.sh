#!/usr/bin/env bash
# Upgrade test, inside a cluster whose libpq environment is set (scripts/test-in-cluster.sh).
# For every released version V (an install script in released/): install omni V, store
# partial states with it, ALTER EXTENSION omni UPDATE, then check that
#   - the updated extension's objects equal a fresh install's, object by object (signature,
#     kind, volatility, strictness, parallel safety, aggregate support functions, type I/O,
#     composite attributes, comments);
#   - the states stored under V still read, merge and give the figures they gave under V.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

work=$(mktemp -d /tmp/omni-upgrade.XXXXXX)
trap 'rm -rf "$work"' EXIT
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" omni.control)

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Every object of the extension, described by what a user or the planner can observe.
catalog() {
    psql -X -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
WITH members AS (
    SELECT d.classid, d.objid, d.objsubid
    FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'omni'
)
SELECT pg_describe_object(m.classid, m.objid, m.objsubid) || ' | ' ||
       coalesce(obj_description(m.objid, m.classid::regclass::name), '') || ' | ' ||
       CASE m.classid
         WHEN 'pg_proc'::regclass THEN (
           SELECT format('%s %s -> %s vol=%s strict=%s par=%s secdef=%s src=%s bin=%s',
                         p.prokind, p.oid::regprocedure, pg_get_function_result(p.oid),
                         p.provolatile, p.proisstrict, p.proparallel, p.prosecdef, p.prosrc,
                         coalesce(p.probin, ''))
             || coalesce((SELECT format(' agg sfunc=%s stype=%s final=%s combine=%s init=%s sspace=%s',
                                        a.aggtransfn, a.aggtranstype::regtype, a.aggfinalfn,
                                        a.aggcombinefn, a.agginitval, a.aggtransspace)
                          FROM pg_aggregate a WHERE a.aggfnoid = p.oid), '')
           FROM pg_proc p WHERE p.oid = m.objid)
         WHEN 'pg_type'::regclass THEN (
           SELECT format('type %s len=%s byval=%s align=%s storage=%s in=%s out=%s recv=%s send=%s attrs=%s',
                         t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage, t.typinput,
                         t.typoutput, t.typreceive, t.typsend,
                         coalesce((SELECT string_agg(format('%s %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
                                   FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), ''))
           FROM pg_type t WHERE t.oid = m.objid)
         ELSE ''
       END
FROM members m
ORDER BY 1;
SQL
}

status=0
for script in released/omni--*.sql; do
    old=$(basename "$script" .sql); old=${old#omni--}
    db_old=omni_upgrade_from_${old//./_}
    db_new=omni_upgrade_fresh
    psql_q -d postgres -c 'SET client_min_messages = warning' \
        -c "DROP DATABASE IF EXISTS $db_old" -c "CREATE DATABASE $db_old" \
        -c "DROP DATABASE IF EXISTS $db_new" -c "CREATE DATABASE $db_new" || exit 1
    psql_q -d "$db_new" -c 'CREATE EXTENSION omni' || exit 1
    psql_q -d "$db_old" -c "CREATE EXTENSION omni VERSION '$old'" || exit 1

    # states stored under the old version, and what it reads from them
    psql_q -d "$db_old" -f test/upgrade/store.sql || exit 1
    psql -X -At -v ON_ERROR_STOP=1 -d "$db_old" -f test/upgrade/read.sql > "$work/read-before" || exit 1

    psql_q -d "$db_old" -c 'ALTER EXTENSION omni UPDATE' || { status=1; continue; }
    got=$(psql -X -At -d "$db_old" -c "SELECT extversion FROM pg_extension WHERE extname = 'omni'")
    if [ "$got" != "$current" ]; then
        echo "not ok: $old updated to '$got', not '$current'"; status=1
    fi

    catalog "$db_new" > "$work/catalog-fresh"
    catalog "$db_old" > "$work/catalog-updated"
    if diff -u "$work/catalog-fresh" "$work/catalog-updated" > "$work/catalog.diff"; then
        echo "ok: $old -> $current: the updated catalog equals a fresh install ($(wc -l < "$work/catalog-fresh") objects)"
    else
        echo "not ok: $old -> $current: the updated catalog differs from a fresh install:"
        cat "$work/catalog.diff"; status=1
    fi

    psql -X -At -v ON_ERROR_STOP=1 -d "$db_old" -f test/upgrade/read.sql > "$work/read-after" || status=1
    if diff -u "$work/read-before" "$work/read-after"; then
        echo "ok: $old -> $current: states stored by $old read, merge and give the same figures ($(wc -l < "$work/read-before") rows)"
    else
        echo "not ok: $old -> $current: states stored by $old read differently after the update"; status=1
    fi
    psql_q -d postgres -c "DROP DATABASE $db_old" -c "DROP DATABASE $db_new" || status=1
done
[ "$status" -eq 0 ] && echo "omni upgrade: ok" || echo "omni upgrade: FAILED" >&2
exit "$status"
