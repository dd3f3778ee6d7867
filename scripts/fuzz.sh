#!/usr/bin/env bash
# libFuzzer over the line decoder, request parsing and the domain rules
# (Fuzz/Sources/KoppelingFuzz/FuzzTarget.swift). Built as a package of its own
# in Fuzz/, with `-sanitize=fuzzer`, so the main build is never touched.
#
# Usage: scripts/fuzz.sh [extra libFuzzer flags]
#   FUZZ_RUNS      inputs to run (default 20000, the CI run; the long run:
#                  FUZZ_RUNS=1000000)
#   FUZZ_SANITIZE  fuzzer (default) or fuzzer,address to add AddressSanitizer
#   FUZZ_SEED      libFuzzer's -seed, to replay a run's mutations
#   FUZZ_JOBS      fuzzing processes side by side (default 1); FUZZ_RUNS is
#                  then split between them, which share the grown corpus,
#                  and each writes its log to $FUZZ_SCRATCH/jobs/
#   FUZZ_SCRATCH   build directory (default .build-fuzz; .build-fuzz-asan
#                  with address)
#
# The seeds in Fuzz/corpus/ are read, never written; the corpus libFuzzer
# grows lives in $FUZZ_SCRATCH/corpus and carries over to the next run. A
# crash leaves its input in $FUZZ_SCRATCH/crashes/; replay it with
#   $FUZZ_SCRATCH/release/KoppelingFuzz $FUZZ_SCRATCH/crashes/crash-...
# and turn it into a regression test in Tests/KoppelingDaemonTests or
# Tests/KoppelingCoreTests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

runs=${FUZZ_RUNS:-20000}
sanitize=${FUZZ_SANITIZE:-fuzzer}
case $sanitize in
    fuzzer) default_scratch=.build-fuzz ;;
    *) default_scratch=.build-fuzz-${sanitize#fuzzer,} ;;
esac
scratch=${FUZZ_SCRATCH:-$default_scratch}
case $scratch in /*) ;; *) scratch=$root/$scratch ;; esac
# `--sanitize fuzzer --sanitize address` reaches swiftc as two flags, the
# last one wins and the Swift code gets no coverage; so SwiftPM is told about
# the fuzzer (it then links libFuzzer's main) and swiftc about them all at once.
sanitizers=(--sanitize fuzzer)
[ "$sanitize" != fuzzer ] && sanitizers+=(-Xswiftc "-sanitize=$sanitize")

echo "fuzz: building Fuzz/ (release, ${sanitize}) in $scratch"
build_start=$(date +%s)
# -enable-testing: the target reaches the daemon's internal LineDecoder and
# Dispatcher through @testable import.
(cd Fuzz && swift build -c release --scratch-path "$scratch" "${sanitizers[@]}" -Xswiftc -enable-testing)
echo "fuzz: built in $(( $(date +%s) - build_start )) s"

work=$scratch/corpus
crashes=$scratch/crashes
mkdir -p "$work" "$crashes"
flags=(
    -runs="$runs"
    -dict="$root/Fuzz/koppeling.dict"
    -max_len=4096
    -timeout=20          # one input taking this long is a hang
    -rss_limit_mb=2048
    -artifact_prefix="$crashes/"
    -print_final_stats=1
)
[ -n "${FUZZ_SEED:-}" ] && flags+=(-seed="$FUZZ_SEED")

jobs=${FUZZ_JOBS:-1}
if [ "$jobs" -gt 1 ]; then
    # Each job runs its share; libFuzzer writes job N's log to fuzz-N.log
    # in the working directory.
    flags=("${flags[@]/#-runs=*/-runs=$(( (runs + jobs - 1) / jobs ))}" -jobs="$jobs" -workers="$jobs")
fi
mkdir -p "$scratch/jobs"
rm -f "$scratch"/jobs/fuzz-*.log

start=$(date +%s)
set +e
# Swift's own crash handler would end the process before libFuzzer's saves
# the input: leave crashes to libFuzzer.
if [ "$jobs" -gt 1 ]; then
    (cd "$scratch/jobs" && SWIFT_BACKTRACE=enable=no "$scratch/release/KoppelingFuzz" "${flags[@]}" "$@" \
        "$work" "$root/Fuzz/corpus")
else
    mkdir -p "$scratch/jobs"
    SWIFT_BACKTRACE=enable=no "$scratch/release/KoppelingFuzz" "${flags[@]}" "$@" "$work" Fuzz/corpus \
        2> >(tee "$scratch/jobs/fuzz-0.log" >&2)
fi
status=$?
set -e
seconds=$(( $(date +%s) - start ))
# libFuzzer's own count ("Done N runs"): the corpus it loads first counts
# too. A job that ends without it crashed or was stopped.
done_runs=$(cat "$scratch"/jobs/fuzz-*.log | sed -n 's/^Done \([0-9]*\) runs.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
finished=$(grep -l '^Done ' "$scratch"/jobs/fuzz-*.log 2>/dev/null | wc -l)
[ "$finished" -eq "$jobs" ] || { [ $status -ne 0 ] || status=1; }
runs=$done_runs
[ "$jobs" -gt 1 ] && runs="$done_runs (in $jobs jobs)"
if [ $status -eq 0 ]; then
    echo "fuzz: $runs inputs in $seconds s, 0 crashes (corpus: $(ls "$work" | wc -l) files in $work)"
else
    echo "fuzz: FAILED after $seconds s (exit $status); the input is in $crashes/" >&2
fi
exit $status
