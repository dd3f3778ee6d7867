#!/usr/bin/env bash
# The long run of the memory check in docs/reliability.md: starts the built
# koppelingd, sends it a warm-up of 20,000 requests, then REQUESTS more (a
# mix of reads, writes, refusals and malformed lines on 8 pipelining
# connections that reconnect every 2,000 requests), and prints the daemon's
# RSS (VmRSS from /proc) before and after, and the time taken.
#
#   scripts/soak.sh                      1,000,000 requests, debug build
#   REQUESTS=200000 scripts/soak.sh
#   CONFIGURATION=release scripts/soak.sh
#   SCRATCH_PATH=.build-soak scripts/soak.sh   (a separate build directory)
#
# It is the test LimitsTests/soak, enabled by KOPPELING_SOAK_REQUESTS; it
# fails when RSS grew by 4 MiB or more, or any reply was missing or wrong.
set -euo pipefail
cd "$(dirname "$0")/.."

requests=${REQUESTS:-1000000}
configuration=${CONFIGURATION:-debug}
scratch=(${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})

swift build --build-tests -c "$configuration" "${scratch[@]}"
start=$(date +%s)
KOPPELING_SOAK_REQUESTS=$requests swift test --skip-build -c "$configuration" "${scratch[@]}" \
    --filter 'LimitsTests/soak' 2>&1 | tee /dev/stderr | grep -oE 'memory: .*' || {
    echo "soak: the run failed or printed no figures" >&2
    exit 1
}
echo "soak: $requests requests, $(( $(date +%s) - start )) s wall clock in all"
