#!/usr/bin/env bash
# Builds a .deb from the same files scripts/install.sh installs.
#
#   scripts/build-deb.sh [OUTPUT-DIR]      (default: .build-deb/ in the clone)
#
# Settings (environment): VERSION (default: the daemon's version in the
# sources), DEB_MAINTAINER, and BINARIES / SWIFT_BUILD_FLAGS as for install.sh.
# The package puts binaries in /usr/bin and units in /lib/systemd/system, as a
# Debian package should; install.sh's /usr/local and /etc/systemd/system are
# for hand installs. Use one or the other on a server, not both: units in
# /etc/systemd/system would override the package's.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/.build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

die() { printf 'build-deb: %s\n' "$*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (Debian/Ubuntu only)"

version=${VERSION:-$(sed -n 's/.*daemonVersion = "\([^"]*\)".*/\1/p' "$root"/Sources/KoppelingProtocol/*.swift 2>/dev/null | head -n1)}
[[ -n $version ]] || die "cannot find the version; set VERSION="
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-koppelingd maintainers <root@localhost>}

pkg=$(mktemp -d)
trap 'rm -rf "$pkg"' EXIT
# mktemp makes it 0700, and the package root's mode ends up in the archive.
chmod 0755 "$pkg"

DESTDIR=$pkg PREFIX=/usr UNITDIR=/lib/systemd/system \
    SYSUSERSDIR=/usr/lib/sysusers.d TMPFILESDIR=/usr/lib/tmpfiles.d \
    "$root/scripts/install.sh"

# Depends: the package of every shared library the binaries load. A library
# that no package owns means the Swift runtime was not linked statically, and
# the server would not have it.
depends=()
while read -r lib; do
    owner=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null) \
        || die "$lib belongs to no Debian package; was the build made with --static-swift-stdlib?"
    depends+=("${owner%%:*}")
done < <(ldd "$pkg/usr/bin/koppelingd" "$pkg/usr/bin/koppelingctl" | awk '$3 ~ /^\// { print $3 }' | sort -u)
# Neither program carries Foundation proper or ICU (only FoundationEssentials;
# time zones come from the system's TZif files): their names stay in a
# static binary's type metadata even when stripped (`10Foundation` is the
# mangled module name, not part of `20FoundationEssentials`).
for b in koppelingd koppelingctl; do
    for marker in FoundationInternationalization _FoundationICU 10Foundation libFoundation.so; do
        if grep -qaF "$marker" "$pkg/usr/bin/$b"; then
            die "$b links Foundation or ICU ('$marker' is in the binary)"
        fi
    done
done
# Packed relative relocations (scripts/release-build.sh) need glibc 2.36.
if readelf -d "$pkg/usr/bin/koppelingd" | grep -q RELR; then
    for i in "${!depends[@]}"; do [[ ${depends[$i]} == libc6 ]] && depends[$i]="libc6 (>= 2.36)"; done
fi
# tzdata: the daemon reads its time zone from /usr/share/zoneinfo.
depends+=(libsqlite3-0 tzdata "systemd (>= 247)")
depends_line=$(printf '%s\n' "${depends[@]}" | sort -u | paste -sd, - | sed 's/,/, /g')

mkdir -p "$pkg/DEBIAN"
cat >"$pkg/DEBIAN/control" <<EOF
Package: koppelingd
Version: $version
Architecture: $arch
Maintainer: $maintainer
Depends: $depends_line
Section: admin
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
Description: register of koppelingen between ESIS and TOP dossier ECKiD
 koppelingd keeps, per school, which koppelingen are activated and enables
 ECKiD imports daily. It runs as a hardened systemd service, started at
 boot and socket-activated; koppelingctl is its command-line client.
 Administrators are the members of the group koppelingbeheer; the privacy
 officer, who reads everything and changes nothing, of koppelinginzage.
EOF

cat >"$pkg/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    systemd-sysusers /usr/lib/sysusers.d/koppelingd.conf
    systemd-tmpfiles --create /usr/lib/tmpfiles.d/koppelingd.conf || true
    # The service starts at boot (the daily run must happen on a server nobody
    # logs in to); the socket also starts it on a connection before that.
    # Both are enabled on first install. Packages up to 0.1.0 enabled only the
    # socket, so an upgrade from one of those enables the service too, unless
    # the administrator had disabled the socket. Otherwise an upgrade enables
    # nothing, so an administrator's "disable" survives it. enable works
    # without a running systemd (it makes symlinks).
    start=
    if [ -z "$2" ]; then
        systemctl --quiet enable koppelingd.socket koppelingd.service
        start=yes
    elif dpkg --compare-versions "$2" le 0.1.0 && systemctl --quiet is-enabled koppelingd.socket 2>/dev/null; then
        systemctl --quiet enable koppelingd.service
        start=yes
    fi
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        if [ -n "$2" ]; then
            # A running daemon still has the old binary.
            systemctl try-restart koppelingd.service
        fi
        if [ -n "$start" ]; then
            systemctl start koppelingd.socket koppelingd.service
        fi
    fi
fi
exit 0
EOF

cat >"$pkg/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
# On upgrade the daemon keeps running until postinst restarts it.
if [ "$1" = remove ]; then
    if [ -d /run/systemd/system ]; then
        systemctl stop koppelingd.service koppelingd.socket || true
    fi
    systemctl --quiet disable koppelingd.socket koppelingd.service || true
fi
exit 0
EOF

# The register in /var/lib/koppelingd is kept even on purge: it is the
# schools' data, not the package's. The user and group stay too.
cat >"$pkg/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
exit 0
EOF
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"

deb=$out/koppelingd_${version}_${arch}.deb
# xz at level 9: its 64 MiB window spans both static binaries, which share
# the Swift runtime and libraries (10.2 MB at dpkg's default level 6, 7.4 MB
# at 9); unpacking then needs about 65 MiB of memory.
dpkg-deb --build --root-owner-group -Zxz -z9 "$pkg" "$deb"

# The man pages are in the package, gzipped, mode 0644, and render with the
# programs' own help texts, the Dutch ones with their accents.
listing=$(dpkg-deb -c "$deb")
check=$(mktemp -d)
trap 'rm -rf "$pkg" "$check"' EXIT
# A package that fails a check is not left behind.
bad() { rm -f "$deb"; die "$@"; }
for page in usr/share/man/man1/koppelingctl.1.gz usr/share/man/man8/koppelingd.8.gz; do
    grep -Eq "^-rw-r--r-- root/root .* \./$page\$" <<<"$listing" \
        || bad "$deb lacks ./$page with mode 0644 (scripts/man-pages.sh makes it; it needs swift in PATH, or set MANPAGES=DIR)"
    dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./$page" >"$check/${page##*/}"
    gzip -t "$check/${page##*/}" || bad "./$page in $deb is not gzip"
done
render() { # PAGE.gz: the page as text, on one line
    if command -v man >/dev/null 2>&1; then
        LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$1"
    else
        zcat "$1" | groff -mandoc -Tutf8 -P-cbou
    fi | tr -s ' \n' '  '
}
if command -v man >/dev/null 2>&1 || command -v groff >/dev/null 2>&1; then
    expect_text() { # PAGE.gz TEXT...
        local page=$1 text
        shift
        text=$(render "$check/$page")
        for want in "$@"; do
            [[ $text == *"$want"* ]] || bad "$page in $deb does not show '$want'"
        done
    }
    expect_text koppelingctl.1.gz "KOPPELINGCTL(1)" "koppelingctl — Beheer de koppelingen van uw scholen (ESIS ↔ TOP dossier ECKiD)" \
        "Activeer een koppeling voor een school (stap 3–4)" "Beëindig een geactiveerde koppeling." "koppelingd(8)"
    expect_text koppelingd.8.gz "KOPPELINGD(8)" "koppelingd — Keeps the register of koppelingen" \
        "Restore the register from a backup" "koppelingctl(1)"
    echo "build-deb: the man pages are in the package and render"
else
    echo "build-deb: neither man nor groff is installed: the man pages in the package are not rendered"
fi
echo "build-deb: $deb"
