#!/bin/sh
# A throwaway PostgreSQL 15 server for tests and benchmarks.
#
#   build/pg.sh start DIR          initdb into DIR/data, start on a free
#                                  127.0.0.1 port, create role and database
#                                  "spintly"; prints "PGPORT=<port>" and
#                                  writes DIR/env (PGHOST, PGPORT, PGUSER,
#                                  PGDATABASE; ". DIR/env" exports them)
#   build/pg.sh stop DIR           fast shutdown; quiet if not running
#   build/pg.sh restart-stop DIR   fast shutdown, keeping data and port
#                                  (fails if the server is not running)
#   build/pg.sh restart-start DIR  start it again on the same port
#   build/pg.sh psql DIR [ARGS]    psql -X as role spintly
#   build/pg.sh pgbench DIR [ARGS] pgbench as role spintly
#
# The server listens on 127.0.0.1 only, with its unix socket in DIR/data
# (or none when that path is too long for a socket), and trusts every
# local connection: it is for tests, never for data anyone wants to keep.
# PostgreSQL will not run as root; when this script is run as root the
# server runs as "postgres" (or a system user "spintly-pg" created for it)
# and DIR is handed to that user.  Otherwise it runs as the caller.
# PG_BIN overrides /usr/lib/postgresql/15/bin.
set -eu

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
me=${0##*/}

die() {
    printf '%s: %s\n' "$me" "$*" >&2
    exit 1
}

usage() {
    cat >&2 <<EOF
usage: $me start|stop|restart-stop|restart-start DIR
       $me psql|pgbench DIR [ARGS...]
EOF
    exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
case $dir in
    '') usage ;;
esac

is_root=false
[ "$(id -u)" -eq 0 ] && is_root=true

# PostgreSQL binaries: install them when root, or say how.
need_pg() {
    [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] &&
        [ -x "$PG_BIN/psql" ] && [ -x "$PG_BIN/pgbench" ] && return 0
    if $is_root && [ "$PG_BIN" = /usr/lib/postgresql/15/bin ]; then
        echo "$me: installing postgresql" >&2
        if ! apt-get update >&2 ||
            ! DEBIAN_FRONTEND=noninteractive apt-get install -y \
                --no-install-recommends postgresql >&2; then
            die "apt-get install postgresql failed"
        fi
        [ -x "$PG_BIN/pg_ctl" ] || die "no $PG_BIN/pg_ctl after installing postgresql"
        return 0
    fi
    echo "$me: PostgreSQL 15 is not installed ($PG_BIN/pg_ctl missing); as root run:" >&2
    echo "apt-get update && apt-get install -y --no-install-recommends postgresql" >&2
    exit 1
}

# The user the server runs as, for a new cluster.
pick_server_user() {
    if ! $is_root; then
        id -un
    elif getent passwd postgres >/dev/null 2>&1; then
        echo postgres
    else
        if ! getent passwd spintly-pg >/dev/null 2>&1; then
            useradd --system --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin spintly-pg >&2 ||
                die "useradd spintly-pg failed"
        fi
        echo spintly-pg
    fi
}

# Run a command as the server user, from DIR (its own working directory
# may be unreadable to that user).
as_server() {
    if $is_root; then
        (cd "$dir" && runuser -u "$server_user" -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

log_tail() {
    for f in "$@"; do
        if [ -s "$f" ]; then
            echo "--- last lines of $f:" >&2
            tail -n 30 "$f" >&2
        fi
    done
}

# A free port on 127.0.0.1 below the kernel's ephemeral range, so that
# no client connection can take it while the server is stopped.
free_port() {
    lo=20000
    hi=32767
    if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
        read -r eph _ </proc/sys/net/ipv4/ip_local_port_range || eph=
        case $eph in
            '' | *[!0-9]*) ;;
            *) [ "$eph" -gt 21000 ] && hi=$((eph - 1)) ;;
        esac
    fi
    perl -MIO::Socket::INET -e '
        my ($lo, $hi) = @ARGV;
        for (1 .. 500) {
            my $p = $lo + int(rand($hi - $lo + 1));
            my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
                                          LocalPort => $p, Listen => 1,
                                          ReuseAddr => 1) or next;
            close $s;
            print "$p\n";
            exit 0;
        }
        exit 1;' "$lo" "$hi"
}

# 0 running, 3 not running, 4 no cluster (pg_ctl status codes).
pg_status() {
    [ -f "$data/PG_VERSION" ] || return 4
    rc=0
    as_server "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1 || rc=$?
    return "$rc"
}

read_port() {
    [ -r "$dir/env" ] || die "no cluster in $dir (no $dir/env): run '$me start $dir' first"
    port=$(sed -n 's/^PGPORT=\([0-9][0-9]*\)$/\1/p' "$dir/env")
    [ -n "$port" ] || die "no PGPORT in $dir/env"
}

write_conf() {
    # The socket path must fit sun_path (107 bytes): DIR/data/.s.PGSQL.NNNNN
    if [ "${#data}" -le 90 ]; then
        sockdir=$data
    else
        sockdir=
        echo "$me: $data is too long for a unix socket; TCP only" >&2
    fi
    sockdir_q=$(printf '%s' "$sockdir" | sed "s/'/''/g")
    tmp="$dir/spintly.conf.tmp"
    cat >"$tmp" <<EOF
# Written by build/pg.sh: a throwaway test server.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir_q'
max_connections = 200
shared_buffers = 32MB
fsync = on
synchronous_commit = on
EOF
    if $is_root; then
        chown "$server_user:" "$tmp"
    fi
    mv "$tmp" "$data/spintly.conf"
}

write_env() {
    tmp="$dir/env.tmp"
    cat >"$tmp" <<EOF
PGHOST=127.0.0.1
PGPORT=$port
PGUSER=spintly
PGDATABASE=spintly
export PGHOST PGPORT PGUSER PGDATABASE
EOF
    chmod 644 "$tmp"
    mv "$tmp" "$dir/env"
}

# pg_ctl start; returns 1 on failure, 2 when the port was taken.
pg_start() {
    if $is_root && [ -e "$dir/postgres.log" ]; then
        chown "$server_user:" "$dir/postgres.log"
    fi
    if as_server "$PG_BIN/pg_ctl" -D "$data" -l "$dir/postgres.log" \
        -w -t 60 start >/dev/null 2>"$dir/pg_ctl.err"; then
        rm -f "$dir/pg_ctl.err"
        return 0
    fi
    if tail -n 20 "$dir/postgres.log" 2>/dev/null |
        grep -q 'could not bind IPv4 address.*Address already in use\|could not create any TCP/IP sockets'; then
        return 2
    fi
    return 1
}

su_psql() {
    PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres \
        PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

fail_start() {
    echo "$me: $*" >&2
    if [ "$cmd" = start ]; then
        log_tail "$dir/initdb.log" "$dir/pg_ctl.err" "$dir/postgres.log"
    else
        log_tail "$dir/pg_ctl.err" "$dir/postgres.log"
    fi
    exit 1
}

cmd_start() {
    need_pg
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd -P)
    data=$dir/data
    if [ -f "$data/PG_VERSION" ]; then
        server_user=$(stat -c %U "$data")
        if ! $is_root && [ "$server_user" != "$(id -un)" ]; then
            die "$data belongs to $server_user"
        fi
        if pg_status; then
            port=
            [ -r "$dir/env" ] && port=$(sed -n 's/^PGPORT=//p' "$dir/env")
            die "a server is already running in $data${port:+ (PGPORT=$port)}: '$me stop $dir' first"
        fi
        rm -rf "$data"
    elif [ -e "$data" ] && [ -n "$(ls -A "$data" 2>/dev/null)" ]; then
        die "$data exists and is not a PostgreSQL cluster; not touching it"
    fi
    server_user=$(pick_server_user)
    rm -f "$dir/env" "$dir/postgres.log" "$dir/initdb.log" "$dir/pg_ctl.err"
    if $is_root; then
        chmod 755 "$dir"
        chown "$server_user:" "$dir"
        if ! runuser -u "$server_user" -- test -w "$dir" ||
            ! runuser -u "$server_user" -- test -x "$dir"; then
            die "$server_user cannot reach $dir (a parent directory is not searchable by others?); use a directory under /tmp"
        fi
    fi
    [ -w "$dir" ] || die "$dir is not writable"

    if ! as_server "$PG_BIN/initdb" -D "$data" -U postgres -A trust \
        -E UTF8 --locale=C --no-sync --no-instructions \
        >"$dir/initdb.log" 2>&1; then
        fail_start "initdb failed"
    fi
    echo "include = 'spintly.conf'" >>"$data/postgresql.conf"

    tries=0
    while :; do
        port=$(free_port) || fail_start "no free port on 127.0.0.1"
        write_conf
        rc=0
        pg_start || rc=$?
        [ "$rc" -eq 0 ] && break
        tries=$((tries + 1))
        if [ "$rc" -ne 2 ] || [ "$tries" -ge 5 ]; then
            fail_start "the server did not start (port $port)"
        fi
    done

    if ! su_psql -c "CREATE ROLE spintly LOGIN" \
        -c "CREATE DATABASE spintly OWNER spintly" >&2; then
        as_server "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || :
        fail_start "creating role and database spintly failed"
    fi
    write_env
    echo "PGPORT=$port"
}

# stop (quiet when not running) / restart-stop (must be running)
cmd_stop() {
    [ -d "$dir" ] || {
        [ "$1" = quiet ] && exit 0
        die "no directory $dir"
    }
    dir=$(cd "$dir" && pwd -P)
    data=$dir/data
    [ -d "$data" ] || {
        [ "$1" = quiet ] && exit 0
        die "no cluster in $dir"
    }
    server_user=$(stat -c %U "$data")
    rc=0
    pg_status || rc=$?
    if [ "$rc" -ne 0 ]; then
        [ "$1" = quiet ] && exit 0
        die "the server in $data is not running"
    fi
    if ! as_server "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>"$dir/pg_ctl.err"; then
        echo "$me: stopping the server in $data failed" >&2
        log_tail "$dir/pg_ctl.err" "$dir/postgres.log"
        exit 1
    fi
    rm -f "$dir/pg_ctl.err"
}

cmd_restart_start() {
    need_pg
    [ -d "$dir" ] || die "no directory $dir"
    dir=$(cd "$dir" && pwd -P)
    data=$dir/data
    [ -f "$data/PG_VERSION" ] || die "no cluster in $dir: run '$me start $dir' first"
    read_port
    server_user=$(stat -c %U "$data")
    if pg_status; then
        echo "$me: the server in $data is already running" >&2
    else
        rm -f "$dir/pg_ctl.err"
        rc=0
        pg_start || rc=$?
        if [ "$rc" -eq 2 ]; then
            fail_start "port $port is taken; cannot restart on it"
        elif [ "$rc" -ne 0 ]; then
            fail_start "the server did not start (port $port)"
        fi
    fi
    echo "PGPORT=$port"
}

cmd_client() {
    prog=$1
    shift
    need_pg
    read_port
    PGHOST=127.0.0.1 PGPORT=$port PGUSER=spintly PGDATABASE=spintly
    export PGHOST PGPORT PGUSER PGDATABASE
    if [ "$prog" = psql ]; then
        exec "$PG_BIN/psql" -X "$@"
    fi
    exec "$PG_BIN/$prog" "$@"
}

case $cmd in
    start) cmd_start ;;
    stop) cmd_stop quiet ;;
    restart-stop) cmd_stop loud ;;
    restart-start) cmd_restart_start ;;
    psql) cmd_client psql "$@" ;;
    pgbench) cmd_client pgbench "$@" ;;
    *) usage ;;
esac
