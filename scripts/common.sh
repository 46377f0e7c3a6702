# Shared by scripts/*.sh: privilege escalation and the throwaway cluster.
# shellcheck shell=bash

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

# The PostgreSQL major version to build against (15 unless PG_MAJOR says otherwise).
PG_MAJOR=${PG_MAJOR:-15}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}

# Build with warnings as errors and install into the server's directories.
build_and_install() {
    make -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="${PG_CFLAGS:--Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers}"
    as_root make -s PG_CONFIG="$PG_CONFIG" install
}
