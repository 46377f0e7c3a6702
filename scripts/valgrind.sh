#!/usr/bin/env bash
# make valgrind: the whole suite against a server running under valgrind (memcheck).
# Reports every error whose stack passes through omni.so and exits non-zero if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

DEPS_EXTRA=valgrind bash scripts/deps.sh
build_and_install

bindir=$("$PG_CONFIG" --bindir)
work=$(mktemp -d /tmp/omni-valgrind.XXXXXX)
port=${VALGRIND_PORT:-5498}
# the server must not run as root: use postgres when we are root
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$work"
    run_server() { runuser -u postgres -- "$@"; }
else
    run_server() { "$@"; }
fi

run_server "$bindir/initdb" -A trust -U postgres -D "$work/data" >/dev/null
# known errors outside omni (where the server's user can read them)
cp scripts/valgrind.supp "$work/valgrind.supp"
chmod a+r "$work/valgrind.supp"
# --fullpath-after= prints omni's frames with the full path of their source file (with debug
# info valgrind names a frame by its source, never by omni.so): the check below finds them by it
run_server bash -c "valgrind --quiet --trace-children=yes --track-origins=yes --read-var-info=yes \
    --num-callers=100 --fullpath-after= --suppressions=$work/valgrind.supp --log-file=$work/vg.%p.log \
    $bindir/postgres -D $work/data -p $port -k $work -c max_parallel_workers_per_gather=2 \
    >$work/server.log 2>&1 &"

cleanup() { run_server "$bindir/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

export PGHOST=$work PGPORT=$port PGUSER=postgres
for _ in $(seq 1 120); do
    "$bindir/pg_isready" -q && break
    sleep 1
done

status=0
# the suite's fuzzing pass, shortened: every case is far slower under memcheck
export FUZZ_CASES=${FUZZ_CASES:-300}
# test/spill.sql at 2,000 customers instead of 20,000 (still spills), the cancel test's fit state
# at 200,000 customers instead of 2 million (a fit under memcheck is slower still)
export PGOPTIONS="${PGOPTIONS:-} -c omni_test.customers=2000" CANCEL_CUSTOMERS=${CANCEL_CUSTOMERS:-200000}
bash scripts/test-in-cluster.sh || status=1
cleanup
trap - EXIT

# errors in any process whose stack passes through omni: a frame in omni.so (no debug info) or
# in one of omni's source files (debug info, full paths)
srcdir=$(pwd)/src/
errors=$(grep -lF -e "omni.so" -e "$srcdir" "$work"/vg.*.log 2>/dev/null || true)
if [ -n "$errors" ]; then
    echo "omni: valgrind reported errors in omni code:" >&2
    for f in $errors; do cat "$f" >&2; done
    status=1
else
    echo "omni: valgrind found no errors in omni code ($(ls "$work"/vg.*.log | wc -l) processes checked)"
fi
exit "$status"
