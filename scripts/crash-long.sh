#!/usr/bin/env bash
# The long run of the crash harness: 1,000 iterations of
# "start koppelingd on the same files, 4-8 concurrent writers, SIGKILL at a
# random moment, restart, check every acknowledged change". CI runs 30 (the
# default of Tests/EndToEndTests/CrashTests.swift).
#
# Usage: scripts/crash-long.sh [ITERATIONS] [SEED]
#   ITERATIONS  default 1000 (env KOPPELING_CRASH_ITERATIONS)
#   SEED        replay a run; the seed is printed at the start and the end
#               (env KOPPELING_CRASH_SEED)
#   SCRATCH     env: the build directory (default .build)
# The summary line ("crash: seed ...: N SIGKILLs and restarts in S s ...")
# holds the figures for docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."

export KOPPELING_CRASH_ITERATIONS=${1:-${KOPPELING_CRASH_ITERATIONS:-1000}}
if [ -n "${2:-}" ]; then export KOPPELING_CRASH_SEED=$2; fi
scratch=${SCRATCH:-.build}

swift build --build-tests --scratch-path "$scratch"
start=$(date +%s)
set +e
swift test --skip-build --scratch-path "$scratch" --filter CrashTests 2>&1 | tee "${TMPDIR:-/tmp}/koppelingd-crash-long.log"
status=${PIPESTATUS[0]}
set -e
echo "crash-long: $KOPPELING_CRASH_ITERATIONS iterations, exit $status, $(( $(date +%s) - start )) s wall clock" \
     "(log: ${TMPDIR:-/tmp}/koppelingd-crash-long.log)"
exit "$status"
