#!/usr/bin/env bash
# Runs inside pg_virtualenv (see scripts/demo.sh): database omni_demo with omni, the seeded
# sample (schema demo), then the demo queries.  The output is the same on every run.
set -euo pipefail
cd "$(dirname "$0")/.."

psql -q -X -v ON_ERROR_STOP=1 -d postgres -c 'SET client_min_messages = warning' \
    -c 'DROP DATABASE IF EXISTS omni_demo' -c 'CREATE DATABASE omni_demo'
psql -q -X -v ON_ERROR_STOP=1 -d omni_demo -c 'CREATE EXTENSION omni'

echo "omni: loading the sample (demo/sample.sql) into database omni_demo"
psql -q -X -v ON_ERROR_STOP=1 -d omni_demo -f demo/sample.sql

psql -X -v ON_ERROR_STOP=1 -P pager=off -d omni_demo -f demo/demo.sql
