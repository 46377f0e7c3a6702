#!/usr/bin/env bash
# Make sure Citus 13.2 is installed in the PostgreSQL that $PG_CONFIG names, for make test-citus.
# Debian has no Citus package, so the tests build it from the unmodified source release kept
# beside the repository, in ../shared/vendor/citus/ (install.sh builds and installs it, a few
# minutes on 2 cores; OMNI_CITUS_INSTALL names another copy of that script).  Users install
# Citus from its own packages instead (docs/scaling.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

libdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
if [ -f "$libdir/citus.so" ] && grep -q "default_version = '13.2-" "$sharedir/extension/citus.control" 2>/dev/null; then
    exit 0
fi

installer=${OMNI_CITUS_INSTALL:-$(cd .. && pwd)/shared/vendor/citus/install.sh}
if [ ! -f "$installer" ]; then
    echo "omni: Citus 13.2 is not installed in $libdir and there is no $installer to build it from" >&2
    echo "      install Citus 13.2 from its packages, or set OMNI_CITUS_INSTALL to the vendored install.sh" >&2
    exit 1
fi
# The build is CPU-heavy: lowest priority, and never at the same time as a benchmark.
echo "omni: building Citus 13.2 from source with $installer (a few minutes)"
as_root env PG_CONFIG="$PG_CONFIG" flock /tmp/omni-bench.lock nice -n 19 bash "$installer"
