#!/usr/bin/env bash
# Measures koppelingd beside the local anchors it is judged by, in one run,
# and writes docs/performance.md:
#   - koppelingd's `school.get` loop (koppeling-bench, 16 connections)
#     against redis-server's GET on a Unix socket (redis-benchmark -c 16),
#     and its read and write mixes;
#   - its durable `school.add` loop against the raw one-row-per-transaction
#     commit rate of SQLite with the same pragmas on the same disk
#     (scripts/sqlite-commit-rate.c);
#   - idle and peak RSS, start-up to the first reply on a register of
#     10,000 schools and 100,000 activations and on one of 20,000 schools
#     (against `sqlite3 DB 'select 1'` on it), `koppelingctl status`
#     against `sqlite3 DB 'select 1'`, the daily run over 100,000 pending
#     imports, and the sizes of the stripped daemon and of the .deb.
#
#   scripts/bench.sh            # everything, about 8 minutes after the build
#
# Settings (environment): BENCH_SECONDS (measured seconds per load run, 20),
# BENCH_OUTPUT (docs/performance.md), BENCH_KEEP=1 keeps the temporary
# directory. Installs what it needs from Debian's packages (redis-server,
# redis-tools, sqlite3, libsqlite3-dev, gcc, hyperfine). Everything it starts
# listens on Unix sockets in a temporary directory (redis with --port 0) and
# is stopped when the script ends, however it ends.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${BENCH_SECONDS:-20}
output=${BENCH_OUTPUT:-$root/docs/performance.md}
connections=16
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# --- packages -------------------------------------------------------------------
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v gcc >/dev/null || missing+=(gcc)
command -v hyperfine >/dev/null || missing+=(hyperfine)
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    sudo=()
    [[ $EUID -ne 0 ]] && sudo=(sudo)
    "${sudo[@]}" apt-get update -q
    install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends)
    if ! "${install[@]}" "${missing[@]}"; then
        # hyperfine is a nicety (the status timing falls back to a loop).
        required=()
        for p in "${missing[@]}"; do [[ $p == hyperfine ]] || required+=("$p"); done
        ((${#required[@]} == 0)) || "${install[@]}" "${required[@]}"
    fi
fi

# --- build ----------------------------------------------------------------------
# The same flags as scripts/install.sh: the figures are those of the binary
# a server runs (the static Swift runtime changes RSS and start-up).
say "building (release)"
build=(env RELEASE_SCRATCH="$root/.build-release" "$root/scripts/release-build.sh")
"${build[@]}" >&2
bin=$("${build[@]}" --show-bin-path)
for b in koppelingd koppelingctl koppeling-bench; do [[ -x $bin/$b ]] || die "$bin/$b was not built"; done

# --- scratch directory and clean-up ---------------------------------------------
# Under /tmp, which here is the disk the daemon's database would be on; the
# raw SQLite loop writes beside the daemon's database so both see one disk.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/koppeling-bench.XXXXXX")
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts koppelingd on DIR; sets daemon_pid once it answers.
start_daemon() {
    local dir=$1
    mkdir -p "$dir"
    # The caller's own group as admin group: the default one need not exist
    # here, and its warning would only clutter the log checked below.
    "$bin/koppelingd" --database "$dir/koppelingd.db" --socket "$dir/koppelingd.sock" --keep-backups 0 \
        --admin-group "$(id -gn)" \
        >>"$dir/daemon.log" 2>&1 &
    daemon_pid=$!
    pids+=("$daemon_pid")
    for _ in $(seq 300); do
        "$bin/koppelingctl" --socket "$dir/koppelingd.sock" status >/dev/null 2>&1 && return 0
        kill -0 "$daemon_pid" 2>/dev/null || { cat "$dir/daemon.log" >&2; die "koppelingd exited at start-up"; }
        sleep 0.05
    done
    die "koppelingd did not answer on $dir/koppelingd.sock"
}

stop_daemon() {
    kill -TERM "$daemon_pid"
    wait "$daemon_pid" || die "koppelingd did not stop cleanly (exit $?)"
}

# VmRSS or VmHWM of a process, in KiB.
proc_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# A numeric field of one of koppeling-bench's JSON lines.
field() { grep -o "\"$2\":[-0-9.e+]*" <<<"$1" | head -n1 | cut -d: -f2; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
mib() { calc "%.1f" "$1 / 1024"; }

# koppeling-bench NAME ARGS…: its JSON line on stdout; the error replies it
# saw (printed on stderr) kept in $tmp/NAME.errors for the report.
bench() {
    local name=$1
    shift
    local rc=0
    "$bin/koppeling-bench" "$@" --json 2>"$tmp/$name.errors" || rc=$?
    cat "$tmp/$name.errors" >&2
    return $rc
}

# --- koppelingd: read and write mixes --------------------------------------------
main=$tmp/main
sock=$main/koppelingd.sock
say "koppelingd: start"
start_daemon "$main"
sleep 1
idle_rss=$(proc_kib "$daemon_pid" VmRSS)

say "koppelingd: school.get, $connections connections, depth 1, ${seconds}s"
get1=$(bench get1 load --socket "$sock" --mix get --connections $connections --depth 1 --warmup 2 --duration "$seconds" --daemon-pid "$daemon_pid")
say "koppelingd: school.add, $connections connections, depth 1, ${seconds}s"
add1=$(bench add1 load --socket "$sock" --mix add --connections $connections --depth 1 --warmup 2 --duration "$seconds" --school-block 14 --daemon-pid "$daemon_pid")
say "koppelingd: read mix, $connections connections, depth 1, ${seconds}s"
read1=$(bench read1 load --socket "$sock" --mix read --connections $connections --depth 1 --warmup 2 --duration "$seconds" --daemon-pid "$daemon_pid")
say "koppelingd: write mix, $connections connections, depth 1, ${seconds}s"
write1=$(bench write1 load --socket "$sock" --mix write --connections $connections --depth 1 --warmup 2 --duration "$seconds" --school-block 11 --daemon-pid "$daemon_pid")
say "koppelingd: read mix pipelined, depth 8, 10s"
read8=$(bench read8 load --socket "$sock" --mix read --connections $connections --depth 8 --warmup 1 --duration 10 --daemon-pid "$daemon_pid")
say "koppelingd: write mix pipelined, depth 8, 10s"
write8=$(bench write8 load --socket "$sock" --mix write --connections $connections --depth 8 --warmup 1 --duration 10 --school-block 12 --daemon-pid "$daemon_pid")

served=0
for run in "$get1" "$add1" "$read1" "$write1" "$read8" "$write8"; do
    served=$((served + $(field "$run" requests) + $(field "$run" warmup_requests)))
done
# The RSS target is stated after a million requests: top up with the
# mixed load (pipelined, to be quick) until the daemon has served that many.
soak=""
if ((served < 1000000)); then
    say "koppelingd: mixed load, $((1000000 - served)) requests to reach 1,000,000"
    soak=$(bench soak load --socket "$sock" --mix mixed --connections $connections --depth 8 --requests $((1000000 - served)) --school-block 13 --daemon-pid "$daemon_pid")
    served=$((served + $(field "$soak" requests)))
fi
after_rss=$(proc_kib "$daemon_pid" VmRSS)
peak_rss=$(proc_kib "$daemon_pid" VmHWM)
stop_daemon
daemon_log_problems=$(grep -ciE 'error|critical|warning' "$main/daemon.log" || true)
daemon_log_sample=$(grep -iE 'error|critical|warning' "$main/daemon.log" | head -n5 || true)

# --- redis ---------------------------------------------------------------------------
say "redis: GET/SET, $connections connections"
redis_dir=$tmp/redis
mkdir -p "$redis_dir"
redis-server --port 0 --unixsocket "$redis_dir/redis.sock" --unixsocketperm 700 --save "" --appendonly no \
    --dir "$redis_dir" --daemonize no --logfile "$redis_dir/redis.log" &
redis_pid=$!
pids+=("$redis_pid")
for _ in $(seq 100); do redis-cli -s "$redis_dir/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
# --csv gives the percentiles as well as the rate of the same run.
redis_csv=$(redis-benchmark -s "$redis_dir/redis.sock" -t get,set -c $connections -n 200000 --csv)
# Columns: test, rps, avg, min, p50, p95, p99, max (ms).
redis_column() { awk -F, -v t="$1" -v c="$2" '{ gsub(/"/, "") } $1 == t { print $c }' <<<"$redis_csv"; }
redis_set=$(redis_column SET 2)
redis_get=$(redis_column GET 2)
redis_get_p50=$(redis_column GET 5)
redis_get_p99=$(redis_column GET 7)
redis_version=$(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2)
kill -TERM "$redis_pid"
wait "$redis_pid" || true
[[ -n $redis_get ]] || die "could not read redis-benchmark's output: $redis_csv"

# --- raw SQLite commits ---------------------------------------------------------------
say "sqlite: raw durable commits, 10s"
gcc -O2 -o "$tmp/sqlite-commit-rate" "$root/scripts/sqlite-commit-rate.c" -lsqlite3
raw=$("$tmp/sqlite-commit-rate" "$main/commit-rate.db" 10)
raw_rate=$(grep -o 'commits_per_second=[0-9.]*' <<<"$raw" | cut -d= -f2)
raw_p50=$(grep -o 'p50_us=[0-9]*' <<<"$raw" | cut -d= -f2)
raw_p99=$(grep -o 'p99_us=[0-9]*' <<<"$raw" | cut -d= -f2)
sqlite_version=$(sqlite3 --version | cut -d' ' -f1)

# --- the daily timer over 100,000 pending imports -----------------------------------------
say "koppelingd: daily ECKiD pass over 100,000 pending imports"
timer=$(bench timer timer --imports 100000 --directory "$main/timer")
timer_ms=$(field "$timer" pass_ms)

# --- start-up with 10,000 schools and 100,000 activations --------------------------------
big=$tmp/big
say "koppelingd: populating 10,000 schools and 100,000 activations"
start_daemon "$big"
populate=$(bench populate populate --socket "$big/koppelingd.sock" --schools 10000 --activations 100000)
stop_daemon
say "koppelingd: timing start-up"
startup=$(bench startup startup --daemon "$bin/koppelingd" --database "$big/koppelingd.db" --socket "$big/koppelingd.sock" \
    --runs 7 --daemon-log "$big/startup.log")
db_size=$(du -k "$big/koppelingd.db" | cut -f1)
# The full check koppelingd runs right after READY=1, alone: what a
# start-up would cost if it still waited for it.
quick_check_ms=$( { TIMEFORMAT=%R; time sqlite3 "$big/koppelingd.db" 'PRAGMA quick_check' >/dev/null; } 2>&1 )
quick_check_ms=$(calc "%.0f" "$quick_check_ms * 1000")

wide=$tmp/wide
say "koppelingd: populating 20,000 schools"
start_daemon "$wide"
populate_wide=$(bench populate_wide populate --socket "$wide/koppelingd.sock" --schools 20000 --activations 40000 --school-block 30)
stop_daemon
say "koppelingd: timing start-up on 20,000 schools"
startup_wide=$(bench startup_wide startup --daemon "$bin/koppelingd" --database "$wide/koppelingd.db" \
    --socket "$wide/koppelingd.sock" --runs 7 --daemon-log "$wide/startup.log")

# --- koppelingctl status against sqlite3 'select 1' ---------------------------------------
say "koppelingctl status against sqlite3 'select 1'"
start_daemon "$big"
status_cmd="$bin/koppelingctl --socket $big/koppelingd.sock status"
select_cmd="sqlite3 $big/koppelingd.db 'select 1'"
select_wide_cmd="sqlite3 $wide/koppelingd.db 'select 1'"
# koppelingctl's own start-up, without the daemon, to read the status time by.
help_cmd="$bin/koppelingctl --help"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 5 --runs 100 --export-csv "$tmp/status.csv" "$status_cmd" "$select_cmd" "$help_cmd" \
        "$select_wide_cmd" >&2
    status_ms=$(awk -F, 'NR == 2 { printf "%.2f", $4 * 1000 }' "$tmp/status.csv")
    select_ms=$(awk -F, 'NR == 3 { printf "%.2f", $4 * 1000 }' "$tmp/status.csv")
    help_ms=$(awk -F, 'NR == 4 { printf "%.2f", $4 * 1000 }' "$tmp/status.csv")
    select_wide_ms=$(awk -F, 'NR == 5 { printf "%.2f", $4 * 1000 }' "$tmp/status.csv")
    timing_tool="hyperfine $(hyperfine --version | cut -d' ' -f2), median of 100 runs after 5 warm-up runs"
else
    median_ms() {
        local t0 t1
        for _ in $(seq 50); do
            t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
            echo $(((t1 - t0) / 1000))
        done | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1000 }'
    }
    status_ms=$(median_ms "$bin/koppelingctl" --socket "$big/koppelingd.sock" status)
    select_ms=$(median_ms sqlite3 "$big/koppelingd.db" 'select 1')
    help_ms=$(median_ms "$bin/koppelingctl" --help)
    select_wide_ms=$(median_ms sqlite3 "$wide/koppelingd.db" 'select 1')
    timing_tool="a shell loop with date +%s%N, median of 50 runs"
fi
stop_daemon

# --- sizes: the stripped daemon and the .deb -------------------------------------------------
say "sizes: stripped koppelingd and the .deb"
strip -o "$tmp/koppelingd.stripped" "$bin/koppelingd"
daemon_bytes=$(stat -c %s "$tmp/koppelingd.stripped")
BINARIES=$bin "$root/scripts/build-deb.sh" "$tmp/deb" >&2
deb_file=$(ls "$tmp"/deb/*.deb | head -n1)
deb_bytes=$(stat -c %s "$deb_file")
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# Before the build nothing of this script runs: a 1-minute load above 1
# then means other work shared the CPUs.
if awk -v l="${load_start%% *}" 'BEGIN { exit !(l > 1) }'; then
    load_note="The machine was shared with other work while this ran (a load average
above $(nproc) means processes were waiting for a CPU), so the absolute
figures are noisy. Each ratio compares runs made a few minutes apart under
that same load."
else
    load_note="Nothing else ran on the machine: the load average at the start, taken
before the build, is that of an idle machine; later it is the load of the
build and of the runs themselves (the load generator and the daemon share
the $(nproc) CPUs)."
fi

# --- docs/performance.md -------------------------------------------------------------------
say "writing $output"
# Only replies with a result count towards the rates compared.
get_rate=$(field "$get1" ok_per_second)
add_rate=$(field "$add1" ok_per_second)
get_p99_us=$(calc "%.0f" "$(field "$get1" p99_ms) * 1000")
read_ratio=$(calc "%.2f" "$get_rate / $redis_get")
write_ratio=$(calc "%.2f" "$add_rate / $raw_rate")
ready_ms=$(field "$startup" ready_ms_median)
first_reply_ms=$(field "$startup" first_reply_ms_median)
first_reply_wide_ms=$(field "$startup_wide" first_reply_ms_median)
startup_ratio=$(calc "%.2f" "$first_reply_wide_ms / $select_wide_ms")
status_ratio=$(calc "%.2f" "$status_ms / $select_ms")
daemon_mb=$(calc "%.1f" "$daemon_bytes / 1000000")
deb_mb=$(calc "%.1f" "$deb_bytes / 1000000")
idle_mib=$(mib "$idle_rss")
peak_mib=$(mib "$peak_rss")
after_mib=$(mib "$after_rss")

# "met" or "not met", and the margin or shortfall against the target.
# verdict VALUE TARGET higher|lower
verdict() {
    awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN {
        if (dir == "higher") {
            if (v >= t) printf "**met**, %.0f %% above", (v / t - 1) * 100
            else printf "**not met**, %.0f %% short", (1 - v / t) * 100
        } else {
            if (v <= t) printf "**met**, %.0f %% below", (1 - v / t) * 100
            else printf "**not met**, %.0f %% over", (v / t - 1) * 100
        }
    }'
}

row() { # label json
    local j=$2
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "$1" \
        "$(calc "%.0f" "$(field "$j" throughput)")" "$(field "$j" requests)" "$(field "$j" errors)" \
        "$(calc "%.3f" "$(field "$j" p50_ms)")" "$(calc "%.3f" "$(field "$j" p99_ms)")" \
        "$(calc "%.3f" "$(field "$j" p99_9_ms)")" "$(calc "%.2f" "$(field "$j" max_ms)")" \
        "$(calc "%.1f" "$(field "$j" bench_cpu_s)")" "$(calc "%.1f" "$(field "$j" daemon_cpu_s)")"
}

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
disk_source=$(findmnt -no SOURCE,FSTYPE -T "$tmp")
disk_dev=$(findmnt -no SOURCE -T "$tmp")
disk_rota=$(lsblk -dno ROTA "$disk_dev" 2>/dev/null | tr -d ' ' || true)
disk_model=$(lsblk -dno MODEL "$disk_dev" 2>/dev/null | sed 's/ *$//' || true)
case $disk_rota in 0) disk_kind="non-rotational";; 1) disk_kind="rotational as the kernel reports it";; *) disk_kind="kind unknown";; esac

{
cat <<EOF
# Performance

Figures from one run of \`scripts/bench.sh\` (started $started_at), which
builds the release binaries, measures koppelingd and the two local anchors
it is compared with one after the other on the same machine, and writes
this file. The ratios compare figures from that one run; re-run the script
to reproduce them.

## Machine

| | |
|---|---|
| CPU | $cpu_model, $(nproc) logical CPUs |
| Kernel | $(uname -sr) |
| Disk | $disk_source${disk_model:+, $disk_model}, $disk_kind (database, WAL and the raw SQLite loop on it) |
| Memory | $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |
| Load average (1, 5, 15 min) | $load_start at the start, $load_end at the end |
| Versions | Swift $(swift --version 2>/dev/null | grep -o 'Swift version [0-9.]*' | cut -d' ' -f3), SQLite $sqlite_version, redis $redis_version |

$load_note

## Ratios

| comparison | koppelingd | anchor | ratio | target |
|---|---:|---:|---:|---|
| \`school.get\` ÷ redis GET (16 connections, no pipelining) | $(calc "%.0f" "$get_rate") req/s | $(calc "%.0f" "$redis_get") req/s | **${read_ratio}×** | ≥ 0.5×: $(verdict "$read_ratio" 0.5 higher) |
| durable \`school.add\` ÷ raw SQLite commits (16 connections) | $(calc "%.0f" "$add_rate") writes/s | $(calc "%.0f" "$raw_rate") commits/s | **${write_ratio}×** | ≥ 2.5×: $(verdict "$write_ratio" 2.5 higher) |
| start-up to the first reply ÷ \`sqlite3 DB 'select 1'\`, 20,000 schools | $first_reply_wide_ms ms | $select_wide_ms ms | **${startup_ratio}×** | ≤ 10×: $(verdict "$startup_ratio" 10 lower) |
| \`koppelingctl status\` ÷ \`sqlite3 DB 'select 1'\` (wall time) | $status_ms ms | $select_ms ms | **${status_ratio}×** | ≤ 2×: $(verdict "$status_ratio" 2 lower) |

## Targets

| target | measured | verdict |
|---|---|---|
| reads (\`school.get\`) ≥ 0.5× redis GET requests/s | ${read_ratio}× | $(verdict "$read_ratio" 0.5 higher) |
| read p99 ≤ 500 µs | $get_p99_us µs (redis GET p99 in this run: $redis_get_p99 ms) | $(verdict "$get_p99_us" 500 lower) |
| durable writes (\`school.add\`) ≥ 2.5× raw one-row-per-commit SQLite | ${write_ratio}× | $(verdict "$write_ratio" 2.5 higher) |
| start-up to the first reply ≤ 10× \`sqlite3 DB 'select 1'\` (20,000 schools) | ${startup_ratio}× | $(verdict "$startup_ratio" 10 lower) |
| start-up to the first reply ≤ 100 ms with 10,000 schools and 100,000 activations | $first_reply_ms ms (median of 7; \`READY=1\` at $ready_ms ms) | $(verdict "$first_reply_ms" 100 lower) |
| \`koppelingctl status\` ≤ 2× \`sqlite3 DB 'select 1'\` | ${status_ratio}× | $(verdict "$status_ratio" 2 lower) |
| idle RSS ≤ 12 MiB | $idle_mib MiB | $(verdict "$idle_mib" 12 lower) |
| RSS ≤ 16 MiB after 1,000,000 requests | peak $peak_mib MiB (now $after_mib MiB) after $served requests | $(verdict "$peak_mib" 16 lower) |
| stripped daemon ≤ 25 MB | $daemon_mb MB ($daemon_bytes bytes) | $(verdict "$daemon_mb" 25 lower) |
| \`.deb\` ≤ 10 MB | $deb_mb MB ($deb_bytes bytes, $(basename "$deb_file")) | $(verdict "$deb_mb" 10 lower) |
| the daily run over 100,000 pending imports ≤ 250 ms | $timer_ms ms (\`koppeling-bench timer\`) | $(verdict "$timer_ms" 250 lower) |

Where the time goes, what was changed and what each change gave, and why
the targets still missed are missed: [optimisation.md](optimisation.md).

## koppelingd under load

\`koppeling-bench\` (Sources/koppeling-bench): one OS thread and one
connection per client, each keeping *depth* requests in flight; latency is
from just before a request is sent to just after its reply line arrives,
in a log-linear histogram (under 0.2 % error). Every reply is checked for
\`result\`; error replies count as errors. Warm-up requests (2 s, 1 s for the
pipelined runs) are not counted.

- **school.get**: \`school.get\` alone, on 100 schools registered first;
  **school.add**: \`school.add\` alone, each a fresh school, a durable
  change (\`synchronous=FULL\`) whose reply waits for its commit.
- **read**: \`hello\`, \`school.get\` and \`koppeling.overview\` in turn on 100
  schools registered first.
- **write**: per fresh school \`school.add\`, two \`koppeling.activate\` with
  fresh valid codes, two \`koppeling.deactivate\` — each request a durable
  change (\`synchronous=FULL\`) whose reply waits for its commit.

| run (16 connections) | req/s | requests | errors | p50 ms | p99 ms | p99.9 ms | max ms | CPU s, bench / daemon |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
$(row "school.get, depth 1, ${seconds} s" "$get1")
$(row "school.add, depth 1, ${seconds} s" "$add1")
$(row "read, depth 1, ${seconds} s" "$read1")
$(row "write, depth 1, ${seconds} s" "$write1")
$(row "read, depth 8, 10 s" "$read8")
$(row "write, depth 8, 10 s" "$write8")
$([[ -z $soak ]] || row "mixed (3 reads : 1 write), depth 8, to 1,000,000 requests" "$soak")

The last column is the CPU time (user + system, warm-up included) the
load generator and the daemon used during the run: on $(nproc) CPUs they compete
for the same cores, as redis-benchmark and redis do.

Memory (VmRSS, VmHWM from /proc): idle after start-up $idle_mib MiB;
after $served requests $after_mib MiB, peak $peak_mib MiB.
EOF
for name in get1 add1 read1 write1 read8 write8 soak; do
    if [[ -s $tmp/$name.errors ]]; then
        echo
        echo "Error replies in the $name run (warm-up included), first few:"
        echo
        echo '```'
        head -n 12 "$tmp/$name.errors"
        echo '```'
    fi
done
if [[ $daemon_log_problems != 0 ]]; then
    echo
    echo "The daemon logged $daemon_log_problems warning or error lines during the load runs; the first:"
    echo
    echo '```'
    echo "$daemon_log_sample"
    echo '```'
fi
cat <<EOF

## Anchors

- **redis** $redis_version, \`redis-server --port 0 --unixsocket … --save "" --appendonly no\`,
  measured with \`redis-benchmark -s SOCK -t get,set -c 16 -n 200000 --csv\`:
  GET $(calc "%.0f" "$redis_get") req/s (p50 $redis_get_p50 ms, p99 $redis_get_p99 ms),
  SET $(calc "%.0f" "$redis_set") req/s. No persistence: it is the anchor for
  a small request answered from memory, which is what a koppelingd read is.
- **raw SQLite** $sqlite_version, \`scripts/sqlite-commit-rate.c\`: one
  \`INSERT\` per \`BEGIN IMMEDIATE … COMMIT\`, \`journal_mode=WAL\`,
  \`synchronous=FULL\`, \`foreign_keys=ON\`, one connection, 10 s, in the same
  directory as koppelingd's database: $(calc "%.0f" "$raw_rate") commits/s
  (p50 $raw_p50 µs, p99 $raw_p99 µs per commit). A daemon that commits once
  per write cannot beat this; koppelingd coalesces the write requests that
  queue up into one transaction with a savepoint each (group commit) and
  sends no reply before that commit is durable.

## Start-up and status

- Register for the start-up figure: $(field "$populate" schools) schools and
  $(field "$populate" activations) activations ($((2 * $(field "$populate" schools))) still active, the rest ended), written through the daemon
  by \`koppeling-bench populate\` ($(field "$populate" writes) writes in $(field "$populate" seconds) s,
  $(field "$populate" errors) error replies); database file $(mib "$db_size") MiB.
- Start-up (\`koppeling-bench startup\`, 7 starts): from exec to the daemon's
  \`READY=1\` on \`NOTIFY_SOCKET\` median $ready_ms ms (min $(field "$startup" ready_ms_min), max $(field "$startup" ready_ms_max));
  to the first \`hello\` reply $(field "$startup" first_reply_ms_median) ms; RSS once ready $(mib "$(field "$startup" rss_kib_after_ready)") MiB.
  \`sqlite3 DB 'PRAGMA quick_check'\`, the full check koppelingd runs right
  after \`READY=1\` (not before it), takes $quick_check_ms ms on its own on this file (one run).
- Register of $(field "$populate_wide" schools) schools ($(field "$populate_wide" activations) activations, database file
  $(mib "$(du -k "$wide/koppelingd.db" | cut -f1)") MiB): first \`hello\` reply after a start $first_reply_wide_ms ms (median of 7,
  \`READY=1\` at $(field "$startup_wide" ready_ms_median) ms); \`sqlite3 DB 'select 1'\` on it $select_wide_ms ms.
- \`koppelingctl status\` against the same register: $status_ms ms; \`sqlite3 DB 'select 1'\`:
  $select_ms ms; \`koppelingctl --help\`, which starts the program and
  talks to no daemon: $help_ms ms ($timing_tool; koppelingctl is
  $(calc "%.0f" "$(stat -c %s "$bin/koppelingctl") / 1048576") MiB, the Swift runtime and FoundationEssentials linked in statically).
- Sizes: the daemon stripped (\`strip\`, as scripts/install.sh installs it) $daemon_bytes bytes;
  the package built by \`scripts/build-deb.sh\` $deb_bytes bytes.

## Command

\`\`\`
scripts/bench.sh
\`\`\`

It installs what is missing (redis-server, redis-tools, sqlite3,
libsqlite3-dev, gcc, hyperfine), builds with \`scripts/release-build.sh\`
(as scripts/install.sh does: static Swift runtime, lld with packed
relative relocations), and runs, in order:

\`\`\`
koppeling-bench load --mix get   --connections 16 --depth 1 --warmup 2 --duration $seconds --daemon-pid PID
koppeling-bench load --mix add   --connections 16 --depth 1 --warmup 2 --duration $seconds --daemon-pid PID
koppeling-bench load --mix read  --connections 16 --depth 1 --warmup 2 --duration $seconds --daemon-pid PID
koppeling-bench load --mix write --connections 16 --depth 1 --warmup 2 --duration $seconds --daemon-pid PID
koppeling-bench load --mix read  --connections 16 --depth 8 --warmup 1 --duration 10
koppeling-bench load --mix write --connections 16 --depth 8 --warmup 1 --duration 10
koppeling-bench load --mix mixed --connections 16 --depth 8 --requests N   # up to 1,000,000 served
redis-benchmark -s SOCK -t get,set -c 16 -n 200000 --csv
sqlite-commit-rate DIR/commit-rate.db 10
koppeling-bench populate --schools 10000 --activations 100000
koppeling-bench startup --runs 7
koppeling-bench populate --schools 20000 --activations 40000
koppeling-bench startup --runs 7
hyperfine -N --warmup 5 --runs 100 'koppelingctl status' "sqlite3 DB 'select 1'" 'koppelingctl --help' "sqlite3 DB20K 'select 1'"
koppeling-bench timer --imports 100000
strip; scripts/build-deb.sh
\`\`\`

\`BENCH_SECONDS\` changes the length of the depth-1 runs. The long runs are
not part of CI.
EOF
} >"$output.tmp"
mv "$output.tmp" "$output"
say "done: $output"
