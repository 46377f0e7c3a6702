#!/usr/bin/env bash
# make demo: install what is missing, build and install omni, then load a seeded sample of a
# shop's customers, contacts, messages and raw message events into a throwaway cluster and
# print what omni makes of them (demo/sample.sql, demo/demo.sql).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

bash scripts/deps.sh
build_and_install
# pg_virtualenv makes a temporary cluster, exports PGHOST/PGPORT/PGUSER/PGPASSWORD, runs the
# command and removes the cluster whatever the outcome; its exit code is the command's.  -t keeps
# the cluster in a temporary directory even as root, so the demo never touches /etc/postgresql
# and does not collide with another pg_virtualenv run (a root one always names its cluster
# 15/regress and refuses to start while that exists).
# pg_virtualenv hands PGPORT and friends to the new cluster: do not inherit a caller's
unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD
pg_virtualenv -t -v "$PG_MAJOR" bash scripts/demo-in-cluster.sh
