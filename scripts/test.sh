#!/usr/bin/env bash
# make test: build, install, then pg_regress and pgTAP against a throwaway cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

bash scripts/deps.sh
build_and_install
# pg_virtualenv makes a temporary cluster, exports PGHOST/PGPORT/PGUSER/PGPASSWORD, runs the
# command and removes the cluster whatever the outcome; its exit code is the command's.
# -t: a temporary directory even as root, so no leftover cluster in /etc/postgresql can collide
# pg_virtualenv hands PGPORT and friends to the new cluster: do not inherit a caller's
unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD
pg_virtualenv -t -v "$PG_MAJOR" bash scripts/test-in-cluster.sh
