#!/usr/bin/env bash
# Client test: omni's results as BI tools (pgjdbc) and Python (psycopg2) receive them.
# Runs inside a cluster whose libpq environment is set (pg_virtualenv, see scripts/test.sh):
#   pg_virtualenv -v 15 bash scripts/test-clients.sh
# Needs omni installed, Java 17+ with the PostgreSQL JDBC driver (Debian: default-jre-headless,
# libpostgresql-jdbc-java) and psycopg2 for /usr/bin/python3 (python3-psycopg2).
# The fixture, queries and expected types and values are in clients/queries.sql.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

JDBC_JAR=${JDBC_JAR:-/usr/share/java/postgresql.jar}
PYTHON=${PYTHON:-/usr/bin/python3}
DB=omni_clients

missing=()
command -v java >/dev/null 2>&1 || missing+=("java (default-jre-headless)")
[ -r "$JDBC_JAR" ] || missing+=("$JDBC_JAR (libpostgresql-jdbc-java)")
"$PYTHON" -c 'import psycopg2' >/dev/null 2>&1 || missing+=("psycopg2 for $PYTHON (python3-psycopg2)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'omni clients: missing %s\n' "${missing[@]}" >&2
    echo "omni clients: FAILED (run scripts/deps.sh with the client packages)" >&2
    exit 1
fi

psql -q -X -v ON_ERROR_STOP=1 -d postgres -c 'SET client_min_messages = warning' -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" || exit 1
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -c 'CREATE EXTENSION omni' || exit 1

status=0
results=()

echo "== pgjdbc ($JDBC_JAR)"
if PGDATABASE=$DB java -cp "$JDBC_JAR" clients/jdbc/OmniClientTest.java clients/queries.sql; then
    results+=("jdbc ok")
else
    results+=("jdbc FAILED")
    status=1
fi

echo "== psycopg2"
if PGDATABASE=$DB "$PYTHON" clients/python/test_psycopg2.py clients/queries.sql; then
    results+=("psycopg2 ok")
else
    results+=("psycopg2 FAILED")
    status=1
fi

echo "== omni clients: ${results[0]}, ${results[1]}"
if [ "$status" -ne 0 ]; then
    echo "omni clients: TESTS FAILED" >&2
fi
exit "$status"
