#!/usr/bin/env bash
# Render one of dbt/models/*.sql the way dbt would for PostgreSQL, for the tests:
#   render-dbt.sh MODEL.sql full|incremental TARGET_SCHEMA [AS_OF]
# It expands the Jinja these models use, and nothing else: config() is dropped, ref('m')
# becomes TARGET_SCHEMA.m, source('crm', 't') becomes raw.t, this becomes
# TARGET_SCHEMA.<model>, var("as_of") becomes AS_OF, and {% if is_incremental() %} blocks
# are kept only in incremental mode.  Anything else in {{ }} or {% %} is an error, so a
# model cannot silently use a construct the tests do not render.
set -euo pipefail
model_file=$1 mode=$2 schema=$3 as_of=${4:-2026-07-01 00:00:00+00}
model=$(basename "$model_file" .sql)
case "$mode" in full|incremental) ;; *) echo "render-dbt: mode must be full or incremental" >&2; exit 2;; esac

awk -v mode="$mode" -v schema="$schema" -v model="$model" -v as_of="$as_of" '
    BEGIN { keep = 1; in_config = 0 }
    /\{\{ *config\(/ { in_config = 1 }
    in_config { if ($0 ~ /\) *\}\}/) in_config = 0; next }
    /\{% *if is_incremental\(\) *%\}/ { keep = (mode == "incremental"); next }
    /\{% *endif *%\}/ { keep = 1; next }
    !keep { next }
    {
        line = $0
        while (match(line, /\{\{ *ref\(\x27[a-z_]+\x27\) *\}\}/)) {
            token = substr(line, RSTART, RLENGTH); name = token
            sub(/^\{\{ *ref\(\x27/, "", name); sub(/\x27\) *\}\}$/, "", name)
            line = substr(line, 1, RSTART - 1) schema "." name substr(line, RSTART + RLENGTH)
        }
        while (match(line, /\{\{ *source\(\x27crm\x27, *\x27[a-z_]+\x27\) *\}\}/)) {
            token = substr(line, RSTART, RLENGTH); name = token
            sub(/^\{\{ *source\(\x27crm\x27, *\x27/, "", name); sub(/\x27\) *\}\}$/, "", name)
            line = substr(line, 1, RSTART - 1) "raw." name substr(line, RSTART + RLENGTH)
        }
        gsub(/\{\{ *this *\}\}/, schema "." model, line)
        gsub(/\{\{ *var\("as_of"\) *\}\}/, as_of, line)
        if (line ~ /\{\{|\{%/) { print "render-dbt: unsupported Jinja: " line > "/dev/stderr"; exit 3 }
        print line
    }
' "$model_file"
