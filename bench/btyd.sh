#!/usr/bin/env bash
# Benchmark: omni.bgnbd_fit vs the same likelihood minimised by scipy's Nelder-Mead, as the
# lifetimes package fits BG/NBD, on the same rows.  Self-contained: it uses the server that
# PGHOST/PGPORT/... point at (omni must be installed there), or runs itself in a throwaway
# cluster with pg_virtualenv (omni installed into the local PostgreSQL 15, e.g. make install).
#
#   bash bench/btyd.sh [customers]        (default 1000000)
#
# Default planner settings, no enable_* switches.  Needs /usr/bin/python3 with numpy, scipy
# and psycopg2 (Debian: python3-scipy python3-psycopg2).
set -euo pipefail
cd "$(dirname "$0")/.."

# the reference side's packages (installed only when missing)
if [ -z "${OMNI_BTYD_BENCH_CLUSTER:-}" ]; then
    DEPS_EXTRA="python3-numpy python3-scipy python3-psycopg2" bash scripts/deps.sh
fi

if [ -z "${OMNI_BTYD_BENCH_CLUSTER:-}" ] && ! psql -X -q -c 'SELECT 1' >/dev/null 2>&1; then
    export OMNI_BTYD_BENCH_CLUSTER=1
    unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD
    exec pg_virtualenv -t -v "${PG_MAJOR:-15}" bash "$0" "$@"
fi

customers=${1:-1000000}
echo "omni btyd bench: generating $customers BG/NBD customers (seeded) ..."
start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -v customers="$customers" -f bench/btyd_generate.sql
echo "  generated in $(( $(date +%s) - start )) s"
/usr/bin/python3 bench/btyd_compare.py
psql -X -q -c 'DROP TABLE IF EXISTS btyd_bench'
