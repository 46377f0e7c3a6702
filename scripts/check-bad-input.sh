#!/usr/bin/env bash
# Runs inside pg_virtualenv (see scripts/test-in-cluster.sh): every row of the README's table of
# bad inputs (between the bad-input-table markers) is run as written, and what it gets must be
# what the table says: "error `SQLSTATE`: message" (the whole primary message), or "`value`" (the
# one value it returns, NULL written NULL).  So the table cannot drift from what omni does.
set -uo pipefail
cd "$(dirname "$0")/.."

db=omni_bad_input
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d postgres \
    -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || exit 1
psql -q -X -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION omni' || exit 1

rows=$(sed -n '/<!-- bad-input-table -->/,/<!-- \/bad-input-table -->/p' README.md | grep '^| `')
if [ -z "$rows" ]; then
    echo "not ok - no bad-input table found in README.md"
    exit 1
fi
status=0
n=0
while IFS= read -r row; do
    n=$((n + 1))
    # | `SQL` | expected |
    sql=$(printf '%s' "$row" | sed -E 's/^\| `(.*)` \| (.*) \|$/\1/')
    want=$(printf '%s' "$row" | sed -E 's/^\| `(.*)` \| (.*) \|$/\2/')
    out=$(psql -X -q -tA -P null=NULL -v VERBOSITY=verbose -d "$db" -c "SET client_min_messages = error" -c "$sql" 2>&1)
    if printf '%s' "$out" | grep -q '^ERROR:'; then
        line=$(printf '%s\n' "$out" | grep -m1 '^ERROR:')
        code=$(printf '%s' "$line" | sed -E 's/^ERROR:  ([0-9A-Z]{5}): .*/\1/')
        msg=$(printf '%s' "$line" | sed -E 's/^ERROR:  [0-9A-Z]{5}: //')
        got="error \`$code\`: $msg"
    else
        got="\`$out\`"
    fi
    if [ "$got" = "$want" ]; then
        echo "ok $n - $sql"
    else
        echo "not ok $n - $sql"
        echo "#   table says: $want"
        echo "#   omni gives: $got"
        status=1
    fi
done <<< "$rows"
echo "1..$n"
psql -q -X -d postgres -c "DROP DATABASE $db"
exit "$status"
