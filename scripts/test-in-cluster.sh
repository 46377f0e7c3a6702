#!/usr/bin/env bash
# Runs inside pg_virtualenv (see scripts/test.sh): the regression suite, then the pgTAP suite.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

status=0
rm -rf results regression.diffs regression.out
if ! make -s PG_CONFIG="$PG_CONFIG" installcheck; then
    status=1
    [ -f regression.diffs ] && cat regression.diffs
fi

# every relative link and #anchor of the README and docs/ resolves
bash scripts/check-doc-links.sh || status=1

# CREATE EXTENSION refuses a schema omni prepared by someone else (schema squatting)
bash scripts/test-install-guard.sh || status=1

# ALTER EXTENSION UPDATE from every released version
bash scripts/test-upgrade.sh || status=1

# every type's text input and binary receive, fed mutated values (make fuzz runs a million a type)
bash scripts/fuzz-in-cluster.sh || status=1

# the README's table of bad inputs, run as written
bash scripts/check-bad-input.sh || status=1

# a long fit and identity resolution stop at pg_cancel_backend
bash scripts/test-cancel.sh || status=1

# what BI tools (JDBC) and notebooks (psycopg2) receive
bash scripts/test-clients.sh || status=1

# pgTAP last, so its summary ends the output: one database with both extensions; every file in test/ is a plan of its own.
psql -q -X -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS omni_tap' -c 'CREATE DATABASE omni_tap' || exit 1
psql -q -X -v ON_ERROR_STOP=1 -d omni_tap -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION omni' || exit 1
if ! pg_prove -d omni_tap test/*.sql; then
    status=1
fi

if [ "$status" -ne 0 ]; then
    echo "omni: TESTS FAILED" >&2
else
    echo "omni: all tests passed"
fi
exit "$status"
