#!/usr/bin/env bash
# Checks the files in systemd/ without systemd running as PID 1:
#   - systemd-analyze verify on the socket and service unit,
#   - systemd-analyze security --offline: overall exposure at most 1.0,
#   - sysusers.d and tmpfiles.d entries applied to a scratch root.
#
# Usage: scripts/check-units.sh [PATH-TO-koppelingd]
# verify insists that ExecStart= names an existing executable, and the
# installed /usr/local/bin/koppelingd is usually absent where this runs, so
# ExecStart= is pointed at a built binary: the argument, else the first of
# .build-release/release, .build/release, .build/debug that exists, else a
# stub (the checks are about the unit files, not the binary).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
units=$root/systemd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

binary=${1:-}
if [[ -z $binary ]]; then
    for candidate in .build-release/release .build/release .build/debug; do
        if [[ -x $root/$candidate/koppelingd ]]; then
            binary=$root/$candidate/koppelingd
            break
        fi
    done
fi
if [[ -z $binary ]]; then
    binary=$tmp/bin/koppelingd
    mkdir -p "$tmp/bin"
    printf '#!/bin/sh\nexit 0\n' >"$binary"
    chmod 755 "$binary"
    echo "check-units: no built koppelingd found, verifying against a stub"
fi
[[ -x $binary ]] || { echo "check-units: $binary is not executable" >&2; exit 2; }
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

failed=0
fail() { echo "check-units: FAIL: $*" >&2; failed=1; }

cp "$units/koppelingd.service" "$units/koppelingd.socket" "$tmp/"
grep -q '^ExecStart=/usr/local/bin/koppelingd$' "$tmp/koppelingd.service" \
    || fail "koppelingd.service: ExecStart= is not /usr/local/bin/koppelingd (install.sh rewrites that path)"
sed -i "s|^ExecStart=/usr/local/bin/koppelingd|ExecStart=$binary|" "$tmp/koppelingd.service"

echo "== systemd-analyze verify (ExecStart=$binary)"
# verify prints problems but does not always fail on them, so any output is
# treated as a failure too.
if ! out=$(cd "$tmp" && systemd-analyze verify koppelingd.socket koppelingd.service 2>&1); then
    fail "systemd-analyze verify exited non-zero"
fi
if [[ -n $out ]]; then
    echo "$out"
    fail "systemd-analyze verify reported problems"
else
    echo "ok"
fi

echo "== systemd-analyze security --offline=true --threshold=10"
# --threshold is in tenths: 10 means an overall exposure of 1.0.
security_ok=1
systemd-analyze security --offline=true --threshold=10 --no-pager "$units/koppelingd.service" >"$tmp/security.txt" 2>&1 \
    || security_ok=0
grep -E '✗|Overall exposure|rror' "$tmp/security.txt" || cat "$tmp/security.txt"
((security_ok)) || fail "systemd-analyze security: exposure above 1.0"

echo "== sysusers.d and tmpfiles.d in a scratch root"
mkdir -p "$tmp/root/etc" "$tmp/root/var/lib"
if systemd-sysusers --root="$tmp/root" "$units/koppelingd.sysusers" >"$tmp/sysusers.txt" 2>&1; then
    grep -q '^koppelingd:' "$tmp/root/etc/passwd" || fail "sysusers: no user koppelingd"
    grep -q '^koppelingbeheer:' "$tmp/root/etc/group" || fail "sysusers: no group koppelingbeheer"
    grep -q '^koppelinginzage:' "$tmp/root/etc/group" || fail "sysusers: no group koppelinginzage"
else
    cat "$tmp/sysusers.txt"
    fail "systemd-sysusers rejected koppelingd.sysusers"
fi
if systemd-tmpfiles --root="$tmp/root" --create "$units/koppelingd.tmpfiles" >"$tmp/tmpfiles.txt" 2>&1; then
    uid=$(awk -F: '$1 == "koppelingd" { print $3 }' "$tmp/root/etc/passwd")
    [[ $(stat -c '%u %a' "$tmp/root/var/lib/koppelingd") == "$uid 700" ]] \
        || fail "tmpfiles: /var/lib/koppelingd is not 0700 koppelingd"
else
    cat "$tmp/tmpfiles.txt"
    fail "systemd-tmpfiles rejected koppelingd.tmpfiles"
fi

# The names that must agree across files.
grep -q '^SocketGroup=koppelingbeheer$' "$units/koppelingd.socket" || fail "socket: SocketGroup is not koppelingbeheer"
grep -q '^ListenStream=/run/koppelingd/koppelingd.sock$' "$units/koppelingd.socket" || fail "socket: unexpected ListenStream"
grep -q '^User=koppelingd$' "$units/koppelingd.service" || fail "service: User is not koppelingd"
grep -q '^RuntimeDirectory=' "$units/koppelingd.service" \
    && fail "service: RuntimeDirectory= would chown the socket away from koppelingbeheer"

if ((failed)); then
    echo "check-units: failed" >&2
    exit 1
fi
echo "check-units: all checks passed"
