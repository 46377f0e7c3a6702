#!/usr/bin/env bash
# Runs inside a cluster that has omni installed (make fuzz, make test, make valgrind): builds the
# fuzzing client test/fuzz/omni_fuzz.c against libpq and feeds every omni type FUZZ_CASES random
# and mutated values (FUZZ_SEED makes a run reproducible; a failure prints the input to replay).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

cases=${FUZZ_CASES:-2000}
seed=${FUZZ_SEED:-1}
bin=$(mktemp -d /tmp/omni-fuzz.XXXXXX)
trap 'rm -rf "$bin"' EXIT
gcc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -I"$("$PG_CONFIG" --includedir)" \
    -o "$bin/omni_fuzz" test/fuzz/omni_fuzz.c -L"$("$PG_CONFIG" --libdir)" -lpq

db=omni_fuzz
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -q -X -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION omni'
echo "omni: fuzzing every omni type with $cases cases (seed $seed)"
status=0
"$bin/omni_fuzz" -n "$cases" -s "$seed" -f test/fuzz/seeds.sql -d "dbname=$db" ${FUZZ_TYPE:+-t "$FUZZ_TYPE"} || status=1
psql -q -X -d postgres -c "DROP DATABASE IF EXISTS $db" || true
exit "$status"
