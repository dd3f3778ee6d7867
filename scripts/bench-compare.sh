#!/usr/bin/env bash
# Side by side: koppelingd of two builds under the same load loops, in
# turns (A B A B …), each on a fresh register, so both see the same machine
# state. For comparing a change with the commit before it; the full set of
# targets is scripts/bench.sh.
#
#   scripts/bench-compare.sh BEFORE_BIN_DIR AFTER_BIN_DIR [ROUNDS] [SECONDS]
#
# Each BIN_DIR holds a release build's koppelingd and koppeling-bench
# (scripts/release-build.sh --show-bin-path; for the commit before, build
# it in a worktree with RELEASE_SCRATCH set). Per round and build: the
# `get` loop (school.get) and the `add` loop (durable school.add), 16
# connections, depth 1. Prints one line per run: build, mix, requests/s,
# p50 and p99 in ms, and the load average at the start.
set -euo pipefail

before=${1:?before bin dir}
after=${2:?after bin dir}
rounds=${3:-3}
seconds=${4:-10}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/koppeling-compare.XXXXXX")
daemon_pid=
cleanup() {
    [[ -n $daemon_pid ]] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

field() { grep -o "\"$2\":[-0-9.e+]*" <<<"$1" | head -n1 | cut -d: -f2; }

run() {
    local name=$1 bin=$2 mix=$3 dir
    dir=$(mktemp -d "$tmp/$name.XXXX")
    "$bin/koppelingd" --database "$dir/k.db" --socket "$dir/k.sock" --keep-backups 0 \
        --admin-group "$(id -gn)" >"$dir/log" 2>&1 &
    daemon_pid=$!
    for _ in $(seq 200); do [[ -S $dir/k.sock ]] && break; sleep 0.05; done
    sleep 0.5
    local load out
    load=$(cut -d' ' -f1 /proc/loadavg)
    out=$("$bin/koppeling-bench" load --socket "$dir/k.sock" --mix "$mix" --connections 16 --depth 1 \
        --warmup 2 --duration "$seconds" --daemon-pid "$daemon_pid" --json 2>/dev/null)
    kill -TERM "$daemon_pid"
    wait "$daemon_pid" || true
    daemon_pid=
    printf '%-6s %-4s %10.0f req/s  p50 %6.3f ms  p99 %6.3f ms  errors %s  load %s\n' \
        "$name" "$mix" "$(field "$out" ok_per_second)" "$(field "$out" p50_ms)" "$(field "$out" p99_ms)" \
        "$(field "$out" errors)" "$load"
}

for round in $(seq "$rounds"); do
    for mix in get add; do
        run before "$before" "$mix"
        run after "$after" "$mix"
    done
done
