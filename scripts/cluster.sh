# Throwaway PostgreSQL instances on loopback ports, for the multi-node tests (scripts/test-citus.sh).
# Sourced after scripts/common.sh.  Each instance lives in a directory under one temporary
# directory, runs as the postgres user when we are root, listens on 127.0.0.1 and on a Unix
# socket in that directory, and is stopped and removed by cluster_cleanup (set it as an EXIT trap;
# with OMNI_CLUSTER_KEEP=1 the instances are left running, to look into a failure).
# shellcheck shell=bash

PG_BIN=$("$PG_CONFIG" --bindir)
cluster_dir=
cluster_started=()

# Run a command as the user the servers run as (postgres when we are root).
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cluster_init() {
    cluster_dir=$(mktemp -d /tmp/omni-cluster.XXXXXX)
    chmod 755 "$cluster_dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$cluster_dir"; fi
}

cluster_cleanup() {
    local name
    if [ -n "${OMNI_CLUSTER_KEEP:-}" ] && [ -n "$cluster_dir" ]; then
        echo "omni: OMNI_CLUSTER_KEEP is set: the instances keep running in $cluster_dir (stop them with pg_ctl -D $cluster_dir/NAME stop)"
        return
    fi
    for name in "${cluster_started[@]}"; do
        as_server_user "$PG_BIN/pg_ctl" -D "$cluster_dir/$name" -m immediate -w stop >/dev/null 2>&1 || true
    done
    cluster_started=()
    [ -n "$cluster_dir" ] && rm -rf "$cluster_dir"
    cluster_dir=
}

# True when nothing listens on 127.0.0.1:$1.
port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first of the bases $OMNI_CLUSTER_PORT (default 58601), +20, +40 ... whose $1 consecutive
# ports are all free: far from 5432 and the ports pg_virtualenv takes.
cluster_pick_ports() {
    local count=$1 base=${OMNI_CLUSTER_PORT:-58601} try i ok
    for try in 0 1 2 3 4 5 6 7 8 9; do
        ok=1
        for ((i = 0; i < count; i++)); do
            port_free $((base + 20 * try + i)) || { ok=0; break; }
        done
        if [ "$ok" = 1 ]; then echo $((base + 20 * try)); return 0; fi
    done
    echo "omni: no $count free consecutive ports from $base (set OMNI_CLUSTER_PORT)" >&2
    return 1
}

# instance_start NAME PORT [postgresql.conf line ...]: a new instance, started and waited for.
instance_start() {
    local name=$1 port=$2 dir
    shift 2
    dir="$cluster_dir/$name"
    as_server_user "$PG_BIN/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >"$cluster_dir/$name.initdb.log" 2>&1 \
        || { cat "$cluster_dir/$name.initdb.log"; return 1; }
    {
        echo "port = $port"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$cluster_dir'"
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
        echo "shared_buffers = 64MB"
        echo "max_connections = 100"
        echo "timezone = 'UTC'"
        echo "log_min_messages = warning"
        local line
        for line in "$@"; do echo "$line"; done
    } | as_server_user tee -a "$dir/postgresql.conf" >/dev/null
    cluster_started+=("$name")
    as_server_user "$PG_BIN/pg_ctl" -D "$dir" -l "$cluster_dir/$name.log" -w -t 60 start >/dev/null \
        || { cat "$cluster_dir/$name.log"; return 1; }
}

# psql on an instance: pg PORT [psql arguments ...]
pg() {
    local port=$1
    shift
    psql -X -q -v ON_ERROR_STOP=1 -h "$cluster_dir" -p "$port" -U postgres "$@"
}
