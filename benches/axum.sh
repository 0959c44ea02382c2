#!/usr/bin/env bash
# An axum hello-world (benches/axum/server.rs) on weave and on Tokio, loaded
# the same way by wrk: 2 threads, 50 connections, 10 s per run, runs
# alternating weave/Tokio so that drift on the machine (other load, thermal
# state) hits both. Prints a markdown table of every run and the medians,
# with weave/Tokio ratios.
#
#   bash benches/axum.sh                  # 3 rounds
#   ROUNDS=5 DURATION=30s bash benches/axum.sh
#
# Knobs (environment): ROUNDS (3), DURATION (10s), WARMUP (2s),
# CONNECTIONS (50), THREADS (2, wrk's), PORT (18080; run i uses PORT+i, so
# no run can hit a socket left over by the previous server), QUIET_WAIT
# (120: before each run, wait up to this many seconds for the machine to go
# idle, for shared machines; 0 to skip),
# CARGO_TARGET_DIR (default: the repository's target/; the servers are built
# in its axum-weave/ and axum-tokio/, separate because both binaries are
# named `server`).
#
# wrk and the server share the machine's cores: the numbers compare the
# runtimes under the same conditions, not the machine's peak. For the same
# reason each run also reports the server's CPU time (a server that burns
# more leaves wrk less) and the CPU time used by everything else on the
# machine during the run (a compile, say, makes runs incomparable; the
# medians are then also given for the quiet runs alone). Full wrk output
# goes to $CARGO_TARGET_DIR/axum-bench-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
QUIET_WAIT=${QUIET_WAIT:-120}
target_base=${CARGO_TARGET_DIR:-$root/target}
logs=$target_base/axum-bench-logs
mkdir -p "$logs"

say() { printf '%s\n' "$*" >&2; }

if ! command -v wrk >/dev/null; then
    say "==> installing wrk (Debian package)"
    apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }
fi

# The comparison is meaningless unless on-weave's `tokio` really is weave:
# with crates.io's Tokio also in the graph `cargo tree -i tokio` fails as
# ambiguous, so one line naming compat/tokio proves the whole tree is on it.
say "==> checking that on-weave's tokio is compat/tokio"
weave_tree=$(cd benches/axum/on-weave && cargo tree -i tokio)
printf '%s\n' "$weave_tree" >&2
if ! head -n 1 <<<"$weave_tree" | grep -q '^tokio v1\.99\.0 (.*/compat/tokio)$'; then
    say "benches/axum/on-weave: tokio is not compat/tokio"
    exit 1
fi
for dependent in axum hyper hyper-util; do
    if ! grep -q "^[│├└ ─]*$dependent v" <<<"$weave_tree"; then
        say "benches/axum/on-weave: $dependent does not depend on compat/tokio"
        exit 1
    fi
done
tokio_first=$(cd benches/axum/on-tokio && cargo tree -i tokio)
tokio_first=$(head -n 1 <<<"$tokio_first")
if ! grep -q '^tokio v1\.[0-9]*\.[0-9]*$' <<<"$tokio_first"; then
    say "benches/axum/on-tokio: tokio is not crates.io's Tokio: $tokio_first"
    exit 1
fi
say "on-tokio: $tokio_first"

# Not --locked: weave's own dependencies change, and on-weave's lock file
# follows them; what it pins for the comparison (axum, hyper, the rest of
# the tree but `tokio`) cargo only updates when asked.
for rt in weave tokio; do
    say "==> building the $rt server (release)"
    (cd "benches/axum/on-$rt" && CARGO_TARGET_DIR="$target_base/axum-$rt" cargo build --release >&2)
done

server_pid=
stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
trap stop_server EXIT

# wrk prints latencies as 512.00us, 8.38ms, 1.02s or 1.50m.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        else if (u != "ms") { print "bad unit: " v > "/dev/stderr"; exit 1 }
        printf "%.3f", n
    }'
}

# User + system CPU time of a process so far, in seconds.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}

# CPU time the whole machine spent busy so far (all cores), in seconds.
busy_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat
}

# Waits until the machine has been idle for 2 s (under a tenth of a core
# busy), or QUIET_WAIT seconds have passed.
wait_quiet() {
    local deadline=$((SECONDS + QUIET_WAIT)) a b
    while ((SECONDS < deadline)); do
        a=$(busy_seconds)
        sleep 2
        b=$(busy_seconds)
        if awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a < 0.2) }'; then return; fi
    done
    if ((QUIET_WAIT > 0)); then
        say "the machine is still busy after ${QUIET_WAIT}s; measuring anyway (see 'other CPU')"
    fi
}

# One line per run: runtime req/s p50 p99 server-cpu per-cpu other-cpu.
data=$logs/runs.txt
: >"$data"
rows=()
run=0
for ((round = 1; round <= ROUNDS; round++)); do
    for rt in weave tokio; do
        run=$((run + 1))
        port=$((PORT + run))
        wait_quiet
        url=http://127.0.0.1:$port/
        "$target_base/axum-$rt/release/server" "$port" >"$logs/server-$run-$rt.log" 2>&1 &
        server_pid=$!
        up=
        for _ in $(seq 200); do
            if ! kill -0 "$server_pid" 2>/dev/null; then
                say "the $rt server exited early:"; cat "$logs/server-$run-$rt.log" >&2
                exit 1
            fi
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
            sleep 0.05
        done
        [[ -n $up ]] || { say "the $rt server did not answer on port $port"; exit 1; }

        say "==> round $round/$ROUNDS, $rt: warm-up $WARMUP, then $DURATION"
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
        cpu0=$(cpu_seconds "$server_pid")
        busy0=$(busy_seconds)
        out=$(
            TIMEFORMAT='%3U %3S'
            { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" 2>&1; } 2>"$logs/wrk-time"
        )
        busy=$(busy_seconds)
        # The server's CPU time during the run: with the cores shared, a
        # server that burns more (spinning, extra syscalls) leaves less for
        # wrk, which lowers its own score.
        cpu=$(awk -v a="$cpu0" -v b="$(cpu_seconds "$server_pid")" 'BEGIN { printf "%.2f", b - a }')
        wrk_cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$logs/wrk-time")
        # Whatever else ran meanwhile; more than a few tenths of a second
        # means the run competed with something and is not comparable.
        other=$(awk -v t="$busy" -v t0="$busy0" -v s="$cpu" -v w="$wrk_cpu" 'BEGIN { printf "%.2f", t - t0 - s - w }')
        printf '%s\n' "$out" >"$logs/wrk-$run-$rt.txt"
        stop_server

        r=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
        l50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
        l99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
        if [[ -z $r || -z $l50 || -z $l99 ]]; then
            say "could not parse wrk's output:"; say "$out"
            exit 1
        fi
        # Errors would make a fast server look faster (a refused request is
        # cheap), so they are shown next to the numbers rather than dropped.
        errors=$(grep -E '^ *(Socket errors|Non-2xx)' <<<"$out" | sed 's/^ *//' | paste -sd ';' || true)
        # Requests per CPU-second of the server: how much work each request
        # costs the runtime, which other load on the machine hardly moves
        # (unlike requests/s).
        per_cpu=$(awk -v c="$cpu" '/ requests in / { printf "%.0f", $1 / c }' <<<"$out")
        echo "$rt $r $(to_ms "$l50") $(to_ms "$l99") $cpu $per_cpu $other" >>"$data"
        rows+=("| $run | $rt | $r | $(to_ms "$l50") | $(to_ms "$l99") | $cpu | $wrk_cpu | $other | $per_cpu | ${errors:-none} |")
        say "$rt: $r req/s, p50 $l50, p99 $l99, CPU s: server $cpu, wrk $wrk_cpu, other $other${errors:+, $errors}"
    done
done

# Medians per runtime of the runs whose 'other CPU' is at most $2 seconds,
# then the weave/tokio ratios; $1 labels the table.
summary() {
    awk -v label="$1" -v max_other="$2" '
        function median(rt, col,    n, i, j, t, v) {
            n = 0
            for (i = 1; i <= runs; i++) if (rt_of[i] == rt) v[++n] = val[i, col]
            for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
            count[rt] = n
            if (n == 0) return ""
            return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        }
        $7 <= max_other { runs++; rt_of[runs] = $1; for (c = 2; c <= 6; c++) val[runs, c] = $c }
        END {
            for (c = 2; c <= 6; c++) { w[c] = median("weave", c); t[c] = median("tokio", c) }
            if (count["weave"] == 0 || count["tokio"] == 0) {
                printf "(%s: no runs of both runtimes)\n", label
                exit
            }
            printf "| %s | requests/s | p50 (ms) | p99 (ms) | server CPU (s) | requests per server CPU-s |\n", label
            print "|---|---:|---:|---:|---:|---:|"
            printf "| weave (%d runs) | %.0f | %.3f | %.3f | %.2f | %.0f |\n", count["weave"], w[2], w[3], w[4], w[5], w[6]
            printf "| tokio (%d runs) | %.0f | %.3f | %.3f | %.2f | %.0f |\n", count["tokio"], t[2], t[3], t[4], t[5], t[6]
            printf "| weave/tokio | %.3f | %.3f | %.3f | %.3f | %.3f |\n", w[2] / t[2], w[3] / t[3], w[4] / t[4], w[5] / t[5], w[6] / t[6]
        }' "$data"
}

echo
echo "axum hello-world, wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), $(nproc) CPUs shared by server and wrk"
echo
echo "| run | runtime | requests/s | p50 (ms) | p99 (ms) | server CPU (s) | wrk CPU (s) | other CPU (s) | requests per server CPU-s | errors |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
summary "median, all runs" 1e9
busy_runs=$(awk '$7 > 1 { n++ } END { print n + 0 }' "$data")
if ((busy_runs > 0)); then
    echo
    echo "WARNING: $busy_runs run(s) shared the machine with more than 1 CPU-second of other work ('other CPU'); their numbers are not comparable. The runs without:"
    echo
    summary "median, quiet runs" 1
fi
echo
echo "(requests/s and requests per CPU-s: higher is better, weave/tokio >= 1 means weave serves more; latency: lower is better, <= 1 means weave is no slower. wrk output: $logs)"
