#!/usr/bin/env bash
# make fuzz: build and install omni, then fuzz every omni type against a throwaway cluster,
# a million cases a type unless FUZZ_CASES says otherwise (about an hour on two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

bash scripts/deps.sh
build_and_install
export FUZZ_CASES=${FUZZ_CASES:-1000000}
unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD
pg_virtualenv -t -v "$PG_MAJOR" bash scripts/fuzz-in-cluster.sh
