#!/usr/bin/env bash
# pg-test.sh - a throwaway PostgreSQL server for tests.
#
#   scripts/pg-test.sh start <dir> [port]   init a cluster in <dir>/data, start it on 127.0.0.1:port
#                                           (default 55432), create role fiscalhub and database
#                                           fiscalhub_test, print its URL as the only stdout line
#   scripts/pg-test.sh restart <dir>        restart the server (every connection is closed)
#   scripts/pg-test.sh stop <dir>           stop the server and remove <dir>
#
# Built for speed, not durability (fsync off). Trust authentication on 127.0.0.1 and on the unix
# socket, which lives in <dir> (mode 0700). initdb refuses to run as root, so as root the server
# runs as the system user fhpg (created if missing); as any other user it runs as that user.
# The PostgreSQL server packages must already be installed (the dependency installer does that).
set -euo pipefail

MARKER=.fh-pg-test
ROLE=fiscalhub
DB=fiscalhub_test
SERVER_USER=fhpg

die() {
    echo "pg-test: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start <dir> [port] | restart <dir> | stop <dir>" >&2
    exit 2
}

find_bindir() {
    local d
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        if [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]]; then
            echo "$d"
            return
        fi
    fi
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [[ -n $d && -x $d/initdb ]]; then
        echo "$d"
        return
    fi
    d=$(command -v initdb 2>/dev/null || true)
    [[ -n $d ]] || die "initdb not found: install the PostgreSQL server packages"
    dirname "$d"
}

# Runs a command as the server user (root) or directly (anyone else).
as_server() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u "$SERVER_USER" -- "$@"
    else
        "$@"
    fi
}

ensure_server_user() {
    [[ $EUID -eq 0 ]] || return 0
    if ! id -u "$SERVER_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVER_USER"
    fi
}

# Refuses to touch a directory that this script did not create.
check_ours() {
    local dir=$1
    [[ -d $dir ]] || return 0
    [[ -e $dir/$MARKER ]] && return 0
    [[ -z $(ls -A "$dir") ]] && return 0
    die "$dir exists and was not made by pg-test.sh; refusing to touch it"
}

stop_server() {
    local dir=$1 bindir=$2
    if [[ -f $dir/data/postmaster.pid ]]; then
        as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
}

cmd_start() {
    local dir=$1 port=$2 bindir
    if ! [[ $port =~ ^[0-9]+$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
        die "bad port: $port"
    fi
    [[ $dir != *"'"* && $dir != *"\\"* ]] || die "the directory name must not contain quotes"
    bindir=$(find_bindir)
    check_ours "$dir"
    stop_server "$dir" "$bindir"
    rm -rf "$dir"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    touch "$dir/$MARKER"
    ensure_server_user
    if [[ $EUID -eq 0 ]]; then
        chown "$SERVER_USER" "$dir"
    fi
    chmod 0700 "$dir"
    as_server test -w "$dir" || die "$SERVER_USER cannot write $dir (check the parent directories)"

    as_server "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth=trust >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    }
    # shellcheck disable=SC2016 # $1 is expanded by the inner sh
    as_server sh -c 'cat > "$1"' sh "$dir/data/pg_hba.conf" <<EOF
# pg-test.sh: trust on the unix socket in $dir and on 127.0.0.1 only
local all all trust
host  all all 127.0.0.1/32 trust
EOF
    # shellcheck disable=SC2016
    as_server sh -c 'cat >> "$1"' sh "$dir/data/postgresql.conf" <<EOF

# pg-test.sh: a throwaway server for tests
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
    as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1 || {
        tail -n 20 "$dir/server.log" >&2 || true
        die "the server did not start (is port $port in use?)"
    }
    local i
    for ((i = 0; i < 60; i++)); do
        "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
        sleep 0.5
    done
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" || die "the server is not accepting connections"

    local psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres)
    "${psql[@]}" -c "CREATE ROLE $ROLE LOGIN CREATEDB" >/dev/null || die "cannot create role $ROLE"
    "${psql[@]}" -c "CREATE DATABASE $DB OWNER $ROLE" >/dev/null || die "cannot create database $DB"
    echo "postgres://$ROLE@127.0.0.1:$port/$DB"
}

cmd_restart() {
    local dir=$1
    [[ -e $dir/$MARKER && -f $dir/data/postmaster.pid ]] || die "no pg-test.sh server runs in $dir"
    as_server "$(find_bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 \
        restart >/dev/null 2>&1 || die "the server did not restart"
}

cmd_stop() {
    local dir=$1
    [[ -d $dir ]] || return 0
    check_ours "$dir"
    stop_server "$dir" "$(find_bindir)"
    rm -rf "$dir"
}

[[ $# -ge 2 ]] || usage
case $1 in
start)
    [[ $# -le 3 ]] || usage
    cmd_start "$2" "${3:-55432}"
    ;;
restart)
    [[ $# -eq 2 ]] || usage
    cmd_restart "$2"
    ;;
stop)
    [[ $# -eq 2 ]] || usage
    cmd_stop "$2"
    ;;
*) usage ;;
esac
