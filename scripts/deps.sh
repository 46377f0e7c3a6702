#!/usr/bin/env bash
# Install the Debian packages omni needs to build, test and demo — only those that are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

packages=(
    make gcc
    "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" libpq-dev "postgresql-$PG_MAJOR-pgtap"
    libtap-parser-sourcehandler-pgtap-perl postgresql-common
    "postgresql-$PG_MAJOR-pgrouting"
    python3 python3-psycopg2 default-jre-headless libpostgresql-jdbc-java
)
# Extra packages a caller asks for (e.g. DEPS_EXTRA=valgrind).
read -r -a extra <<<"${DEPS_EXTRA:-}"
packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
    [ -n "$p" ] || continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "omni: installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
