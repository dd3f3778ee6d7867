#!/usr/bin/env bash
# Installs koppelingd from a clone onto a Debian/Ubuntu server, or stages the
# same files under $DESTDIR (for packaging and for testing).
#
#   sudo env PATH="$PATH" scripts/install.sh           # install and enable
#   DESTDIR=/tmp/stage scripts/install.sh              # stage only
#
# Settings (environment):
#   PREFIX        where binaries and docs go                   (/usr/local)
#   DESTDIR       staging root; when set nothing on this machine is changed
#   UNITDIR       systemd units                                (/etc/systemd/system)
#   SYSUSERSDIR   sysusers.d                                   (/usr/lib/sysusers.d)
#   TMPFILESDIR   tmpfiles.d                                   (/usr/lib/tmpfiles.d)
#   BINARIES      folder with prebuilt koppelingd and koppelingctl; skips the build
#   MANPAGES      folder with koppelingctl.1.gz and koppelingd.8.gz made by
#                 scripts/man-pages.sh; without it they are made here (needs swift)
#   STRIP=0       install the binaries unstripped
#   SWIFT_BUILD_FLAGS  extra flags for swift build
#
# The release build (scripts/release-build.sh) links the Swift runtime
# statically, so the server needs only libc and libsqlite3, not a Swift
# toolchain.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
PREFIX=${PREFIX%/}
DESTDIR=${DESTDIR:-}
DESTDIR=${DESTDIR%/}
UNITDIR=${UNITDIR:-/etc/systemd/system}
SYSUSERSDIR=${SYSUSERSDIR:-/usr/lib/sysusers.d}
TMPFILESDIR=${TMPFILESDIR:-/usr/lib/tmpfiles.d}
BINDIR=$PREFIX/bin
DOCDIR=$PREFIX/share/doc/koppelingd
MANDIR=$PREFIX/share/man
# Completions go where the shells' packages look on Debian, whatever PREFIX:
# bash-completion and zsh do not read /usr/local by default.
BASHCOMPDIR=${BASHCOMPDIR:-/usr/share/bash-completion/completions}
ZSHCOMPDIR=${ZSHCOMPDIR:-/usr/share/zsh/vendor-completions}
FISHCOMPDIR=${FISHCOMPDIR:-/usr/share/fish/vendor_completions.d}
scratch=$root/.build-release

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

if [[ -z $DESTDIR && $EUID -ne 0 ]]; then
    die "run as root (sudo env PATH=\"\$PATH\" $0), or stage with DESTDIR=/some/dir $0"
fi

# --- binaries -----------------------------------------------------------------
# Under sudo, builds run as the person who owns the clone, so .build,
# .build-release and their ~/.cache do not end up owned by root.
sudo_user=
if [[ $EUID -eq 0 && -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
    sudo_user=$SUDO_USER
fi
as_owner() { # COMMAND...: run it in the clone, as the clone's owner under sudo
    if [[ -n $sudo_user ]]; then
        local home
        home=$(getent passwd "$sudo_user" | cut -d: -f6)
        (cd "$root" && runuser -u "$sudo_user" -- env HOME="$home" PATH="$PATH" "$@")
    else
        (cd "$root" && "$@")
    fi
}
build() {
    local cmd=(env RELEASE_SCRATCH="$scratch" "$root/scripts/release-build.sh")
    # shellcheck disable=SC2206 # word splitting of extra flags is intended
    [[ -n ${SWIFT_BUILD_FLAGS:-} ]] && cmd+=($SWIFT_BUILD_FLAGS)
    say "building: ${cmd[*]}"
    as_owner "${cmd[@]}"
}

if [[ -n ${BINARIES:-} ]]; then
    bindir_src=$BINARIES
elif command -v swift >/dev/null 2>&1; then
    build
    bindir_src=$scratch/release
elif [[ -x $scratch/release/koppelingd && -x $scratch/release/koppelingctl ]]; then
    say "no swift in PATH; using the binaries already built in $scratch/release"
    bindir_src=$scratch/release
else
    die "no swift in PATH and no binaries in $scratch/release. Build first (scripts/release-build.sh), run with sudo env PATH=\"\$PATH\", or set BINARIES=DIR"
fi
for b in koppelingd koppelingctl; do
    [[ -x $bindir_src/$b ]] || die "$bindir_src/$b is missing or not executable"
done

# --- files --------------------------------------------------------------------
# Write to a temporary name and rename, so a running daemon's binary is
# replaced, not overwritten in place (that fails with "Text file busy").
put() { # mode source destination
    local mode=$1 src=$2 dest=$DESTDIR$3
    install -d -m 0755 "$(dirname "$dest")"
    install -m "$mode" "$src" "$dest.tmp.$$"
    mv -f "$dest.tmp.$$" "$dest"
    installed+=("$3")
}
installed=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Stripping drops the symbol tables and debug info (about a third of the
# size); set STRIP=0 to keep them for symbolicated crash backtraces.
for b in koppelingd koppelingctl; do
    if [[ ${STRIP:-1} != 0 ]] && command -v strip >/dev/null 2>&1; then
        strip -o "$work/$b" "$bindir_src/$b"
        put 0755 "$work/$b" "$BINDIR/$b"
    else
        put 0755 "$bindir_src/$b" "$BINDIR/$b"
    fi
done

# The units name /usr/local; point them at PREFIX.
for unit in koppelingd.service koppelingd.socket; do
    sed "s|/usr/local/|$PREFIX/|g" "$root/systemd/$unit" >"$work/$unit"
    put 0644 "$work/$unit" "$UNITDIR/$unit"
done
# sysusers and tmpfiles only read files named *.conf.
put 0644 "$root/systemd/koppelingd.sysusers" "$SYSUSERSDIR/koppelingd.conf"
put 0644 "$root/systemd/koppelingd.tmpfiles" "$TMPFILESDIR/koppelingd.conf"

for doc in install.md protocol.md; do
    [[ -f $root/docs/$doc ]] && put 0644 "$root/docs/$doc" "$DOCDIR/$doc"
done

ctl=$bindir_src/koppelingctl
"$ctl" --generate-completion-script bash >"$work/koppelingctl.bash"
"$ctl" --generate-completion-script zsh >"$work/_koppelingctl"
"$ctl" --generate-completion-script fish >"$work/koppelingctl.fish"
put 0644 "$work/koppelingctl.bash" "$BASHCOMPDIR/koppelingctl"
put 0644 "$work/_koppelingctl" "$ZSHCOMPDIR/_koppelingctl"
put 0644 "$work/koppelingctl.fish" "$FISHCOMPDIR/koppelingctl.fish"

# Man pages from the programs' own command trees (scripts/man-pages.sh, with
# swift-argument-parser's generate-manual), for the binaries just installed.
# MANPAGES=DIR takes koppelingctl.1.gz and koppelingd.8.gz that man-pages.sh
# wrote earlier (for a machine without swift).
mansrc=
if [[ -n ${MANPAGES:-} ]]; then
    mansrc=$MANPAGES
elif command -v swift >/dev/null 2>&1; then
    mansrc=$work/man
    install -d -m 0755 "$mansrc"
    if [[ -n $sudo_user ]]; then
        # man-pages.sh runs as the clone's owner and writes here.
        chmod 0711 "$work"
        chown "$sudo_user" "$mansrc"
    fi
    as_owner env BINARIES="$bindir_src" "$root/scripts/man-pages.sh" "$mansrc"
else
    say "no swift in PATH and no MANPAGES: no man pages (koppelingd --help and koppelingctl --help have the same text)"
fi
if [[ -n $mansrc ]]; then
    for page in koppelingctl.1 koppelingd.8; do
        [[ -f $mansrc/$page.gz ]] || die "$mansrc/$page.gz is missing (scripts/man-pages.sh writes it)"
        put 0644 "$mansrc/$page.gz" "$MANDIR/man${page##*.}/$page.gz"
    done
fi

say "installed into ${DESTDIR:-/}:"
printf '  %s\n' "${installed[@]}"

# --- activation ---------------------------------------------------------------
if [[ -n $DESTDIR ]]; then
    say "staged only (DESTDIR set): no users created, no units enabled"
    exit 0
fi
if [[ ! -d /run/systemd/system ]]; then
    say "systemd is not running here; on the server run:"
    echo "  systemd-sysusers $SYSUSERSDIR/koppelingd.conf"
    echo "  systemd-tmpfiles --create $TMPFILESDIR/koppelingd.conf"
    echo "  systemctl daemon-reload && systemctl enable --now koppelingd.socket koppelingd.service"
    exit 0
fi
systemd-sysusers "$SYSUSERSDIR/koppelingd.conf"
systemd-tmpfiles --create "$TMPFILESDIR/koppelingd.conf"
systemctl daemon-reload
# An upgrade: a daemon that is running still has the old binary.
systemctl try-restart koppelingd.service
# The service starts at boot (the daily run must happen on a server nobody
# logs in to); the socket also starts it on a connection that comes first.
systemctl enable --now koppelingd.socket koppelingd.service
say "koppelingd.socket and koppelingd.service are enabled and running; the daemon starts at boot."
say "Add administrators with: usermod -aG koppelingbeheer NAME (they log in again afterwards)"
say "Add the privacy officer (reads, never changes) with: usermod -aG koppelinginzage NAME"
