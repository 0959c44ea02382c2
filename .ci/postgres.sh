#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for tests/ecosystem's postgres
# test and db example.
#
#     DATABASE_URL=$(bash .ci/postgres.sh)    # start; prints the URL last
#     bash .ci/postgres.sh stop               # stop it and delete its data
#
# Installs Debian's `postgresql` if the server binaries are missing, then
# runs initdb in a fresh temporary directory, with trust authentication (no
# password: it only listens on 127.0.0.1, and lives as long as the CI run),
# on port 5432 if free, another one otherwise. Progress goes to stderr; the
# only line on stdout is the DATABASE_URL. Re-running it first stops and
# deletes the server the previous run started, so it is idempotent.
set -euo pipefail

# Where the running instance's directory is recorded, so that a re-run or
# `stop` finds the server without any other bookkeeping.
STATE=${WEAVE_POSTGRES_STATE:-/tmp/weave-postgres.current}
PGUSER_NAME=postgres
SELF=$(readlink -f "$0")

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

# The directory holding initdb, pg_ctl and postgres together: initdb finds
# `postgres` beside itself, so all three must come from one installation.
find_bindir() {
    local initdb dir
    if initdb=$(command -v initdb 2>/dev/null); then
        dir=$(dirname "$(readlink -f "$initdb")")
        if [[ -x $dir/pg_ctl && -x $dir/postgres ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    # Debian keeps them off PATH, one directory per major version: take the
    # newest.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done
    return 1
}

# Runs a command as the unprivileged owner of the data directory: postgres
# refuses to run as root. As another user, it runs as that user.
as_owner() {
    if [[ $(id -u) -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null; then
        runuser -u "$PGUSER_NAME" -- "$@"
    else
        su -s /bin/sh "$PGUSER_NAME" -c "$(printf '%q ' "$@")"
    fi
}

# Stops the server recorded in $STATE, if any, and deletes its directory.
stop_previous() {
    [[ -f $STATE ]] || return 0
    local inst pid
    inst=$(cat "$STATE")
    if [[ -n $inst && -f $inst/data/postmaster.pid ]]; then
        log "stopping the previous server in $inst"
        if ! (cd / && as_owner "$BINDIR/pg_ctl" stop -D "$inst/data" -m immediate -w -t 30) >&2; then
            # pg_ctl could not do it (its binaries gone, say): the first line of
            # postmaster.pid is the postmaster's pid.
            pid=$(head -n 1 "$inst/data/postmaster.pid")
            [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    # Only delete what this script made.
    if [[ $inst == */weave-postgres.* && -d $inst ]]; then
        rm -rf "$inst"
    fi
    rm -f "$STATE"
}

# True if nothing accepts connections on 127.0.0.1:$1. Bash's /dev/tcp
# rather than ss or netstat, which a minimal Debian lacks. A port that is
# bound but not accepting slips through; start_on retries for that.
port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

BINDIR=$(find_bindir || true)

if [[ ${1:-} == stop ]]; then
    if [[ -z $BINDIR ]]; then
        BINDIR=/nonexistent
    fi
    stop_previous
    exit 0
elif [[ $# -gt 0 ]]; then
    die "usage: $0 [stop]"
fi

if [[ -z $BINDIR ]]; then
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed, and installing it needs root"
    log "installing Debian's postgresql"
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
    BINDIR=$(find_bindir) || die "postgresql installed, but initdb/pg_ctl/postgres not found"
fi
log "using $BINDIR"

if [[ $(id -u) -eq 0 ]] && ! id "$PGUSER_NAME" >/dev/null 2>&1; then
    log "creating the $PGUSER_NAME system user"
    useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin "$PGUSER_NAME"
fi

stop_previous

# Short path: the Unix socket lives in it, and socket paths are limited to
# about 100 bytes.
inst=$(mktemp -d "${TMPDIR:-/tmp}/weave-postgres.XXXXXX")
printf '%s\n' "$inst" >"$STATE"
if [[ $(id -u) -eq 0 ]]; then
    chown "$PGUSER_NAME:" "$inst"
fi
# The owner must be able to reach the directory, and postgres changes into
# the cwd it was given: / is readable by everyone, the caller's cwd may not be.
cd /

log "initdb in $inst/data"
as_owner "$BINDIR/initdb" -D "$inst/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C >"$inst/initdb.log" 2>&1 ||
    die "initdb failed: $(cat "$inst/initdb.log")"

# Starts the server on port $1; fails if it does not come up (port taken).
start_on() {
    # Its own socket directory, so it neither needs /var/run/postgresql nor
    # clashes with a system cluster's socket. fsync off: the data is
    # thrown away, durability only costs time.
    as_owner "$BINDIR/pg_ctl" start -D "$inst/data" -l "$inst/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $1 -c unix_socket_directories=$inst -c fsync=off" >&2
}

port=""
for candidate in 5432 $(shuf -i 20000-60000 -n 10); do
    port_free "$candidate" || continue
    if start_on "$candidate"; then
        port=$candidate
        break
    fi
    log "could not start on port $candidate, trying another"
done
if [[ -z $port ]]; then
    die "the server did not start: $(tail -n 20 "$inst/server.log" 2>/dev/null)"
fi

# pg_ctl -w saw the postmaster ready; check that a client really gets in
# over TCP with trust auth, which is what the tests do.
pg_isready=$BINDIR/pg_isready
[[ -x $pg_isready ]] || pg_isready=$(command -v pg_isready || true)
psql=$BINDIR/psql
[[ -x $psql ]] || psql=$(command -v psql || true)
ready=""
for _ in $(seq 1 60); do
    if [[ -n $pg_isready ]] && ! "$pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
        sleep 0.5
        continue
    fi
    if [[ -z $psql ]] || [[ $("$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -w -Atc 'SELECT 1' 2>/dev/null) == 1 ]]; then
        ready=1
        break
    fi
    sleep 0.5
done
[[ -n $ready ]] || die "the server on 127.0.0.1:$port does not answer: $(tail -n 20 "$inst/server.log")"

log "PostgreSQL $("$BINDIR/postgres" --version | sed "s/.*(PostgreSQL) //") ready on 127.0.0.1:$port (data in $inst; stop with: bash $SELF stop)"
printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$port"
