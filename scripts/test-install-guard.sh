#!/usr/bin/env bash
# Runs inside pg_virtualenv (from scripts/test-in-cluster.sh): CREATE EXTENSION omni refuses a
# schema omni that another role prepared (schema squatting), and one that already holds objects,
# and installs into an empty schema of the installer's own.
set -uo pipefail
cd "$(dirname "$0")/.."

db=omni_install_guard
status=0
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
fresh_db() {
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || exit 1
}
expect_refusal() {   # what, expected message fragment
    local out
    if out=$(sql -c 'CREATE EXTENSION omni' 2>&1); then
        echo "install guard: FAIL: $1: CREATE EXTENSION succeeded"; status=1; return
    fi
    if [[ $out != *"$2"* ]]; then
        echo "install guard: FAIL: $1: unexpected error: $out"; status=1; return
    fi
    if [ "$(sql -At -c "SELECT count(*) FROM pg_extension WHERE extname = 'omni'")" != 0 ]; then
        echo "install guard: FAIL: $1: the extension exists after the refusal"; status=1; return
    fi
    echo "install guard: ok: $1 is refused: ${out%%$'\n'*}"
}

psql -X -q -d postgres -c "DROP ROLE IF EXISTS omni_squatter" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE ROLE omni_squatter" || exit 1

# 1. a role with CREATE on the database prepares schema omni and plants omni.value(text)
fresh_db
sql -c "GRANT CREATE ON DATABASE $db TO omni_squatter" \
    -c "SET ROLE omni_squatter" \
    -c "CREATE SCHEMA omni" \
    -c "CREATE FUNCTION omni.value(text) RETURNS float8 LANGUAGE sql AS 'SELECT 0.5'" || exit 1
expect_refusal "a schema omni owned by another role" 'schema omni is owned by role omni_squatter, not by'

# 2. the installer's own schema, but a role it granted CREATE planted a function in it
fresh_db
sql -c "CREATE SCHEMA omni" -c "GRANT CREATE, USAGE ON SCHEMA omni TO omni_squatter" \
    -c "SET ROLE omni_squatter" \
    -c "CREATE FUNCTION omni.value(text) RETURNS float8 LANGUAGE sql AS 'SELECT 0.5'" || exit 1
expect_refusal "a schema omni that already holds a function" 'schema omni is not empty: it holds 1 functions, tables, types or operators'

# 3. an empty schema of the installer's own (as pg_restore prepares it): installs, and works
fresh_db
if sql -c "CREATE SCHEMA omni" -c "CREATE EXTENSION omni" &&
   [ "$(sql -At -c "SELECT omni.value('12/340') = 12.0 / 340")" = t ]; then
    echo "install guard: ok: an empty schema of the installer's own is used"
else
    echo "install guard: FAIL: CREATE EXTENSION into an empty own schema"; status=1
fi

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS omni_squatter" >/dev/null
exit "$status"
