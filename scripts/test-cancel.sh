#!/usr/bin/env bash
# Runs inside pg_virtualenv (see scripts/test-in-cluster.sh): a long model fit and an identity
# resolution are cancelled from another session with pg_cancel_backend, as an
# operator (or a BI tool's "stop" button) does, and each must end with PostgreSQL's cancel error
# (57014, "canceling statement due to user request").  Nothing is timed: a call that finished
# instead of being cancelled fails, however long it took.  test/cancellation.sql does the same
# with statement_timeout,
# and also for a cohort grid (too quick, at its 10-million-cell limit, to be caught reliably from
# another session here).
set -uo pipefail
cd "$(dirname "$0")/.."

db=omni_cancel
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || exit 1
psql -q -X -v ON_ERROR_STOP=1 -v customers="${CANCEL_CUSTOMERS:-2000000}" -d "$db" <<'SQL' || exit 1
CREATE EXTENSION omni;
CREATE AGGREGATE fit_state(float8, float8, float8) (
    SFUNC = omni.bgnbd_fit_trans, STYPE = omni.btyd_fit_state, COMBINEFUNC = omni.btyd_fit_combine);
-- 2 million distinct customers (CANCEL_CUSTOMERS): the fit runs for many seconds
CREATE TABLE states AS
SELECT fit_state(f, CASE WHEN f = 0 THEN 0 ELSE f + g % 1000 * 0.0371 END, 60 + g % 997 * 0.013) AS bgnbd
FROM (SELECT g, (g % 23)::float8 AS f FROM generate_series(1, :customers) g) x;
SQL

status=0
# cancel_one NAME SQL: start SQL, wait until its backend runs it, cancel it, check the error
cancel_one() {
    local name=$1 sql=$2 out pid i tag
    tag="omni-cancel-$name"
    out=$(mktemp)
    PGAPPNAME=$tag psql -q -X -d "$db" -c "$sql" >"$out" 2>&1 &
    pid=$!
    for i in $(seq 1 600); do
        # active for a moment, so the call has left parsing and planning and is in omni's loop
        if [ "$(psql -qtAX -d "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$tag' AND state = 'active' AND now() - query_start > interval '300 ms'")" = 1 ]; then
            break
        fi
        sleep 0.1
    done
    psql -qtAX -d "$db" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '$tag'" >/dev/null
    wait "$pid"
    if grep -q 'canceling statement due to user request' "$out"; then
        echo "ok - $name ends with the cancel error after pg_cancel_backend"
    else
        echo "not ok - $name was not cancelled: $(cat "$out")"
        status=1
    fi
    rm -f "$out"
}

cancel_one "BG/NBD fit over ${CANCEL_CUSTOMERS:-2000000} customers" "SELECT omni.bgnbd_fit_final(bgnbd) FROM states"
cancel_one "identity resolution over a billion rows" "SELECT count(*) FROM omni.resolve_identities('SELECT (g % 1000)::text, ''email'', (g % 5000)::text FROM generate_series(1, 1000000000) g')"

psql -q -X -d postgres -c "DROP DATABASE $db"
exit "$status"
