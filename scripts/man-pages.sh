#!/usr/bin/env bash
# Writes the man pages koppelingctl.1.gz and koppelingd.8.gz into OUTPUT-DIR,
# generated from the programs' own ArgumentParser command trees, and lints
# them.
#
#   scripts/man-pages.sh OUTPUT-DIR
#
# Settings (environment):
#   BINARIES        folder with the koppelingd and koppelingctl to document
#                   (default: a debug build of both, in .build)
#   MAN_DATE        the pages' date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH if
#                   set, else the date of the last commit, else today)
#
# The pages come from swift-argument-parser's generate-manual: the tool its
# GenerateManual plugin (`swift package plugin generate-manual`) runs, built
# from the same pinned checkout. The script runs that tool itself rather than
# through the plugin, for two reasons:
#   - the tool drops every non-ASCII character (String+Escaping.swift in
#     Tools/generate-manual, `where character.isASCII`): "Beëindig" became
#     "Beindig", "stap 3–4" "stap 34". A shim between the tool and the
#     program swaps each such character in the program's
#     --experimental-dump-help JSON for an ASCII placeholder, and the
#     placeholders become groff escapes (\[u00EB]) afterwards. The plugin
#     has no place for such a shim: it hands the tool the built product.
#   - the plugin builds every product of the package first (release by
#     default) and documents those; this documents the binaries that are
#     installed or packaged (BINARIES), and builds only the tool.
# koppelingd is a system daemon, so its page is in section 8 (the tool's
# --section); koppelingctl's is in section 1. Each is one page with all
# subcommands (the tool's --multi-page would name them koppelingctl.school.add.1,
# which no one types), so `man koppelingctl` shows everything.
#
# The pages are gzipped with -9n (Debian policy; no name or time stamp in the
# header, so the same sources give the same bytes), then checked with
# `man --warnings=w -l` (man-db; w: all of groff's warnings), else
# `groff -mandoc -ww -z`, else not at all (the script says so).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'man-pages: %s\n' "$*"; }
die() { printf 'man-pages: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 OUTPUT-DIR"
mkdir -p "$1"
out=$(cd "$1" && pwd)
command -v swift >/dev/null 2>&1 || die "no swift in PATH (the generator is built from swift-argument-parser)"
command -v perl >/dev/null 2>&1 || die "perl not found"

if [[ -n ${MAN_DATE:-} ]]; then
    date=$MAN_DATE
elif [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
    date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
elif date=$(TZ=UTC git -C "$root" log -1 --format=%cd --date=format-local:%F 2>/dev/null) && [[ -n $date ]]; then
    :
else
    date=$(date -u +%F)
fi
# Before the cd: BINARIES may be relative to where the script was started.
progs=
if [[ -n ${BINARIES:-} ]]; then
    progs=$(cd "$BINARIES" && pwd) || die "BINARIES=$BINARIES is not a folder"
fi

cd "$root"
# swift-argument-parser's executable product; a dependency's product builds
# on its own.
swift build --product generate-manual
bin=$(swift build --show-bin-path)
generate=$bin/generate-manual
if [[ -z $progs ]]; then
    swift build --product koppelingd
    swift build --product koppelingctl
    progs=$bin
fi
for p in koppelingd koppelingctl; do
    [[ -x $progs/$p ]] || die "$progs/$p is missing or not executable"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The shim is the program generate-manual runs (with --experimental-dump-help).
# In the JSON it writes: a non-ASCII character becomes @@Uxxxx@@, and a text
# line that starts with ' or . (roff control characters; the tool escapes
# them only at the start of a whole text) gets @@ZW@@ before it.
cat >"$work/to-ascii.pl" <<'EOF'
s/([^\x00-\x7F])/sprintf('@@U%04X@@', ord $1)/ge;
s/\\n(?=['.])/\\n\@\@ZW\@\@/g;
EOF
# In the page: the placeholders become groff escapes (\[u00EB], and \& the
# zero-width space), and the page ends with a newline (the tool leaves it out).
cat >"$work/from-ascii.pl" <<'EOF'
s/\@\@U([0-9A-F]{4,6})\@\@/\\[u$1]/g;
s/\@\@ZW\@\@/\\&/g;
die "a placeholder was mangled: $_" if /\@\@/;
$_ .= "\n" if eof && !/\n\z/;
EOF

# page PROGRAM SECTION SEE-ALSO...: writes $out/PROGRAM.SECTION.gz; each
# SEE-ALSO is "name section".
page() {
    local prog=$1 section=$2
    shift 2
    local shim=$work/$prog
    printf '#!/usr/bin/env bash\nset -o pipefail\n"%s" "$@" | perl -CSD -p "%s"\n' \
        "$progs/$prog" "$work/to-ascii.pl" >"$shim"
    chmod 0755 "$shim"
    mkdir -p "$work/$prog.out"
    # LC_ALL=C: the tool names the month in .Dd with the locale's word.
    LC_ALL=C "$generate" "$shim" --section "$section" --date "$date" --output-directory "$work/$prog.out"
    local src=$work/$prog.out/$prog.$section
    [[ -f $src ]] || die "generate-manual wrote no $prog.$section"
    {
        perl -p "$work/from-ascii.pl" "$src"
        echo '.Sh "SEE ALSO"'
        local i=0 ref
        for ref in "$@"; do
            i=$((i + 1))
            printf '.Xr %s %s%s\n' "${ref% *}" "${ref#* }" "$( ((i < $#)) && echo ' ,')"
        done
    } >"$work/$prog.$section"
    gzip -9n -c "$work/$prog.$section" >"$out/.$prog.$section.gz.tmp"
    chmod 0644 "$out/.$prog.$section.gz.tmp"
    mv -f "$out/.$prog.$section.gz.tmp" "$out/$prog.$section.gz"
    say "wrote $out/$prog.$section.gz"
}
page koppelingctl 1 "koppelingd 8"
page koppelingd 8 "koppelingctl 1" "systemd.socket 5"

# --- lint -----------------------------------------------------------------------
lint_failed=0
for f in "$out/koppelingctl.1.gz" "$out/koppelingd.8.gz"; do
    if command -v man >/dev/null 2>&1; then
        how="man --warnings=w -l"
        warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$f" 2>&1 >/dev/null) || warnings+=" (exit $?)"
    elif command -v groff >/dev/null 2>&1; then
        how="groff -mandoc -ww -z"
        warnings=$(zcat "$f" | groff -mandoc -ww -z -Tutf8 2>&1) || warnings+=" (exit $?)"
    else
        say "neither man nor groff is installed: $(basename "$f") not linted"
        continue
    fi
    if [[ -n $warnings ]]; then
        printf '%s\n' "$warnings" | sed "s|^|man-pages: $(basename "$f"): |" >&2
        lint_failed=1
    else
        say "$(basename "$f"): $how: no warnings"
    fi
done
((lint_failed == 0)) || die "the pages have warnings"
