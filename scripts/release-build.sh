#!/usr/bin/env bash
# Builds the release binaries a server runs, with the flags install.sh and
# bench.sh share, and passes any further arguments to `swift build`
# (e.g. --show-bin-path, --product koppelingd).
#
#   scripts/release-build.sh [SWIFT-BUILD-ARGS...]
#
# - --static-swift-stdlib: the server needs libc and libsqlite3, no toolchain.
# - Linked by the toolchain's lld with packed relative relocations
#   (DT_RELR, glibc >= 2.36) and without exporting every symbol: the dynamic
#   loader then reads some 40 KiB of relocations instead of 2.2 MiB, and
#   the 1.6 MiB of exported symbol tables are gone. Both programs start
#   faster and koppelingd's idle RSS is 2.7 MiB lower (docs/performance.md).
#   Without ld.lld beside swift the default linker is used.
#
# Scratch path: $RELEASE_SCRATCH (default .build-release in the clone).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
scratch=${RELEASE_SCRATCH:-$root/.build-release}
cmd=(swift build -c release --static-swift-stdlib --scratch-path "$scratch")

swift_bin=$(command -v swift) || { echo "release-build: no swift in PATH" >&2; exit 1; }
lld=$(dirname "$(readlink -f "$swift_bin")")/ld.lld
if [[ -x $lld ]]; then
    mkdir -p "$scratch"
    toolset=$scratch/lld-toolset.json
    printf '{"schemaVersion": "1.0", "linker": {"path": "%s"}}\n' "$lld" >"$toolset.new"
    # Rewritten only when it changes: a new file would rebuild everything.
    if cmp -s "$toolset.new" "$toolset"; then rm "$toolset.new"; else mv "$toolset.new" "$toolset"; fi
    cmd+=(--toolset "$toolset" -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic)
fi
cd "$root"
exec "${cmd[@]}" "$@"
