#!/usr/bin/env bash
# System test: installs the project's own .deb into a booted Debian (systemd
# as PID 1 in a systemd-nspawn container on a debootstrap tree) and uses it
# there as an administrator would: install, use, reboot, backup and restore,
# a missing secret, upgrade, a second daemon, remove. Every check prints a
# PASS or FAIL line (SKIP for one that an earlier failure makes meaningless);
# the exit code is non-zero if any check failed, or if the test could not run
# at all (not root, no debootstrap or systemd-nspawn, a container that does
# not boot). It never passes silently.
#
#   sudo scripts/system-test.sh
#
# Phases: a release build (scripts/release-build.sh, several minutes, in
# .build-release), three packages from those binaries (scripts/build-deb.sh,
# into .build-system-test/debs: the sources' version and two higher ones for
# the upgrades), a Debian tree (debootstrap, about a minute, cached outside
# the clone), then the checks in a fresh copy of that tree (under a minute).
# docs/install.md ("System test") lists the checks.
#
# Settings (environment):
#   SYSTEM_TEST_DEB_DIR  folder with the three koppelingd_*.deb of an earlier
#                        run (it prints the folder); skips the build
#   BINARIES             folder with prebuilt koppelingd and koppelingctl;
#                        skips the release build, still builds the packages
#   SYSTEM_TEST_CACHE    where the Debian tree is kept as a tar
#                        (/var/cache/koppelingd-system-test)
#   SYSTEM_TEST_SUITE    Debian suite (bookworm: the release the binaries
#                        are built on; they need its libc)
#   SYSTEM_TEST_MIRROR   Debian mirror for debootstrap (default: the first
#                        one this machine's apt sources name, else
#                        debootstrap's own default)
#   SYSTEM_TEST_KEEP=1   keep the container's tree after the run, for a look
#
# Needs: root, debootstrap, systemd-nspawn (package systemd-container),
# nsenter. The host need not run systemd: the container is driven with
# nsenter, not machinectl. The container has its own network namespace with
# only a loopback device, so nothing inside reaches the network: the package's
# dependencies must already be in the tree, or the install fails.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SYSTEM_TEST_CACHE:-/var/cache/koppelingd-system-test}
suite=${SYSTEM_TEST_SUITE:-bookworm}
# The mirror this machine's apt already uses (deb822 or one-line sources).
host_mirror() {
    awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1
    awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit } $1 == "deb" { print $3; exit }' /etc/apt/sources.list 2>/dev/null | head -n1
}
mirror=${SYSTEM_TEST_MIRROR:-$(host_mirror | head -n1)}
# What the package needs and what a booted system needs; nothing else.
include=systemd,systemd-sysv,dbus,libsqlite3-0

script_start=$SECONDS
passed=0
failed=0
skipped=0
failures=()
phases=()

say() { printf 'system-test: %s\n' "$*"; }
pass() { printf 'PASS: %s\n' "$*"; passed=$((passed + 1)); }
fail() { printf 'FAIL: %s\n' "$*"; failed=$((failed + 1)); failures+=("$*"); }
# A check that cannot mean anything after an earlier failure: neither passed
# nor failed, but shown.
skip() { printf 'SKIP: %s\n' "$*"; skipped=$((skipped + 1)); }
# The test cannot go on: say why, tear down (trap), exit non-zero.
abort() { printf 'FAIL: %s\n' "$*"; failed=$((failed + 1)); failures+=("$*"); summary; exit 1; }
summary() {
    echo
    echo "== timings"
    printf '  %s\n' "${phases[@]}"
    printf '  total: %d s\n' $((SECONDS - script_start))
    if ((failed)); then
        echo "== failed checks"
        printf '  %s\n' "${failures[@]}"
    fi
    echo "system-test: $passed passed, $failed failed$( ((skipped)) && printf ', %d not checked' "$skipped")"
}
phase_start=$SECONDS
phase_name=
phase() { # phase NAME: ends the previous phase, starts the next
    [[ -n $phase_name ]] && phases+=("$(printf '%-34s %4d s' "$phase_name" $((SECONDS - phase_start)))")
    phase_name=$1
    phase_start=$SECONDS
    echo
    echo "== $1"
}

# --- can it run here? ----------------------------------------------------------
[[ $EUID -eq 0 ]] || { echo "system-test: needs root (debootstrap and systemd-nspawn); run it with sudo" >&2; exit 2; }
for tool in debootstrap systemd-nspawn nsenter tar timeout sha256sum dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 \
        || { echo "system-test: $tool not found; install debootstrap and systemd-container (apt-get install debootstrap systemd-container)" >&2; exit 2; }
done

work=$(mktemp -d /var/tmp/koppelingd-system-test.XXXXXX)
tree=$work/root
nspawn_pid=
cpid=

# --- the container -------------------------------------------------------------
# Runs a command inside the booted container, in all its namespaces, with a
# clean environment and a time limit (CIN_TIMEOUT seconds, default 120).
# Standard input is passed through.
cin() {
    local t=${CIN_TIMEOUT:-120}
    [[ -n $cpid ]] || { echo "system-test: no container running" >&2; return 125; }
    timeout -k 5 $((t + 15)) nsenter -t "$cpid" -a -- /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 HOME=/root TERM=dumb SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 DEBIAN_FRONTEND=noninteractive \
        /usr/bin/timeout -k 5 "$t" "$@"
}

# run CMD...: runs it in the container, shows the command and its output
# (indented), and leaves the output in $out and the exit code in $rc.
run() {
    printf '  $ %s\n' "$*"
    out=$(cin "$@" 2>&1 </dev/null)
    rc=$?
    [[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/    /'
    printf '    [exit %d]\n' "$rc"
}
# run_stdin TEXT CMD...: the same, with TEXT as standard input.
run_stdin() {
    local text=$1
    shift
    printf '  $ %s  (standard input: one line)\n' "$*"
    out=$(printf '%s\n' "$text" | cin "$@" 2>&1)
    rc=$?
    [[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/    /'
    printf '    [exit %d]\n' "$rc"
}
# as USER CMD...: run as that user in the container (runuser takes its groups
# from /etc/group, as a login would).
as() { local user=$1; shift; run runuser -u "$user" -- "$@"; }

expect_rc() { # WANT DESCRIPTION: checks $rc
    if [[ $rc == "$1" ]]; then pass "$2"; else fail "$2 (exit $rc, expected $1)"; fi
}
expect_out() { # TEXT DESCRIPTION: $out contains TEXT
    if [[ $out == *"$1"* ]]; then pass "$2"; else fail "$2 (output lacks '$1')"; fi
}
expect_no_out() { # TEXT DESCRIPTION: $out does not contain TEXT
    if [[ $out != *"$1"* ]]; then pass "$2"; else fail "$2 (output contains '$1')"; fi
}
# A command that must succeed, with a description.
ok() { local desc=$1; shift; run "$@"; expect_rc 0 "$desc"; }
value() { cin "$@" 2>/dev/null </dev/null; } # just the output, for comparisons

children_of() { # PID: the pids whose parent it is
    local p st ppid
    for p in /proc/[0-9]*; do
        st=$(cat "$p/stat" 2>/dev/null) || continue
        read -r _ ppid _ <<<"${st##*) }"
        [[ $ppid == "$1" ]] && printf '%s\n' "${p#/proc/}"
    done
}

start_container() {
    local log=$work/nspawn-$1.log deadline pid opts=()
    # Without a systemd on the host there is nobody to make a scope unit for
    # the container: it stays in the caller's cgroup.
    [[ -d /run/systemd/system ]] || opts+=(--keep-unit)
    # --private-network: a network namespace of its own with only "lo", so
    # the test proves nothing needs the network. It also keeps CAP_NET_ADMIN
    # in the container, so the service's PrivateNetwork= can set up its
    # loopback device as it does on a real server (sharing the host's network
    # namespace, it could not, and logged "Failed to configure loopback
    # network device").
    systemd-nspawn --register=no "${opts[@]}" --console=passive --private-network \
        --machine=koppelingd-test -b -D "$tree" >"$log" 2>&1 &
    nspawn_pid=$!
    cpid=
    deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)) && [[ -z $cpid ]]; do
        kill -0 "$nspawn_pid" 2>/dev/null || break
        for pid in $(children_of "$nspawn_pid"); do
            if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == systemd &&
                $(readlink "/proc/$pid/ns/pid") != $(readlink /proc/self/ns/pid) ]]; then
                cpid=$pid
            fi
        done
        [[ -n $cpid ]] || sleep 0.2
    done
    if [[ -z $cpid ]]; then
        sed 's/^/    /' "$log"
        abort "boot $1: systemd-nspawn started no systemd in a PID namespace of its own (nspawn cannot run here?)"
    fi
    # running, or degraded when some unit of the minimal tree failed: either
    # means the boot is finished and the units are up.
    # systemctl can only ask once PID 1 listens on its private socket; until
    # then it fails with "Failed to connect to bus".
    local state=
    deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        state=$(CIN_TIMEOUT=10 cin systemctl is-system-running 2>&1 </dev/null)
        [[ $state == *"Failed to connect"* || -z $state ]] || break
        sleep 0.5
    done
    state=$(CIN_TIMEOUT=180 cin systemctl is-system-running --wait 2>&1 </dev/null)
    if [[ $state == running || $state == degraded ]]; then
        pass "boot $1: systemd is PID 1 in the container and the system is up ($state, after $((SECONDS - phase_start)) s)"
        [[ $state == degraded ]] && run systemctl --failed --no-pager
    else
        sed 's/^/    /' "$log"
        abort "boot $1: the container did not finish booting (is-system-running: '${state:-no answer}')"
    fi
}

stop_container() {
    [[ -n $nspawn_pid ]] || return 0
    if kill -0 "$nspawn_pid" 2>/dev/null; then
        # systemd-nspawn turns SIGTERM into a clean shutdown of the container.
        if [[ -n $cpid ]]; then
            CIN_TIMEOUT=20 cin systemctl poweroff >/dev/null 2>&1 </dev/null
        else
            kill -TERM "$nspawn_pid" 2>/dev/null
        fi
        local deadline=$((SECONDS + 60))
        while kill -0 "$nspawn_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
        if kill -0 "$nspawn_pid" 2>/dev/null; then
            say "the container did not power off within 60 s; killing systemd-nspawn ($nspawn_pid)"
            kill -TERM "$nspawn_pid" 2>/dev/null
            sleep 5
            kill -KILL "$nspawn_pid" 2>/dev/null
        fi
    fi
    wait "$nspawn_pid" 2>/dev/null
    nspawn_pid=
    cpid=
}

cleanup() {
    stop_container
    if [[ ${SYSTEM_TEST_KEEP:-0} == 1 ]]; then
        say "kept the container's tree: $tree"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'echo "system-test: interrupted" >&2; exit 130' INT TERM

# --- packages ------------------------------------------------------------------
phase "packages"
deb_version() { dpkg-deb -f "$1" Version; }
if [[ -n ${SYSTEM_TEST_DEB_DIR:-} ]]; then
    debdir=$(cd "$SYSTEM_TEST_DEB_DIR" 2>/dev/null && pwd) || abort "SYSTEM_TEST_DEB_DIR=$SYSTEM_TEST_DEB_DIR is not a folder"
    say "using the packages in $debdir (SYSTEM_TEST_DEB_DIR)"
else
    version=$(sed -n 's/.*daemonVersion = "\([^"]*\)".*/\1/p' "$root"/Sources/KoppelingProtocol/*.swift | head -n1)
    [[ -n $version ]] || abort "cannot find daemonVersion in Sources/KoppelingProtocol"
    if [[ -n ${BINARIES:-} ]]; then
        bin=$BINARIES
        say "using the binaries in $bin (BINARIES)"
    else
        say "release build (scripts/release-build.sh)"
        (cd "$root" && scripts/release-build.sh) || abort "the release build failed"
        bin=$(cd "$root" && scripts/release-build.sh --show-bin-path) || abort "the release build failed"
    fi
    debdir=$root/.build-system-test/debs
    rm -rf "$debdir"
    mkdir -p "$debdir"
    # The same binaries three times: the first install, an upgrade from the
    # sources' version, and one from a later version (for the "disable
    # survives an upgrade" check).
    for v in "$version" "$version+systemtest2" "$version+systemtest3"; do
        BINARIES=$bin VERSION=$v "$root/scripts/build-deb.sh" "$debdir" >"$work/build-deb.log" 2>&1 \
            || { cat "$work/build-deb.log"; abort "scripts/build-deb.sh failed for version $v"; }
    done
    say "packages in $debdir; rerun without building: SYSTEM_TEST_DEB_DIR=$debdir $0"
fi
# Oldest first.
mapfile -t debs < <(for f in "$debdir"/koppelingd_*.deb; do [[ -f $f ]] && printf '%s %s\n' "$(deb_version "$f")" "$f"; done |
    sort -V | cut -d' ' -f2-)
((${#debs[@]} == 3)) || abort "expected three koppelingd_*.deb in $debdir, found ${#debs[@]}"
v1=$(deb_version "${debs[0]}") v2=$(deb_version "${debs[1]}") v3=$(deb_version "${debs[2]}")
dpkg --compare-versions "$v1" lt "$v2" && dpkg --compare-versions "$v2" lt "$v3" \
    || abort "the packages' versions are not three different ones: $v1 $v2 $v3"
for f in "${debs[@]}"; do say "$(basename "$f"): Depends: $(dpkg-deb -f "$f" Depends)"; done

# --- the Debian tree -----------------------------------------------------------
phase "Debian tree"
key=$(printf '%s %s %s' "$suite" "$include" "$mirror" | sha256sum | cut -c1-12)
tarball=$cache/$suite-minbase-$key.tar
if [[ -s $tarball ]]; then
    say "cached tree: $tarball"
else
    say "debootstrap $suite into a new tree (cached afterwards as $tarball)"
    mkdir -p "$cache" || abort "cannot create $cache"
    timeout 1200 debootstrap --variant=minbase --include="$include" "$suite" "$work/bootstrap" ${mirror:+"$mirror"} \
        >"$work/debootstrap.log" 2>&1 \
        || { tail -n 30 "$work/debootstrap.log"; abort "debootstrap $suite failed (no access to $mirror?)"; }
    rm -f "$work/bootstrap"/var/cache/apt/archives/*.deb
    tar --numeric-owner --xattrs --xattrs-include='*' -C "$work/bootstrap" -cf "$tarball.tmp.$$" . \
        && mv "$tarball.tmp.$$" "$tarball" || abort "cannot write $tarball"
    rm -rf "$work/bootstrap"
fi
# Each run starts from a pristine copy.
mkdir "$tree" && tar --numeric-owner --xattrs --xattrs-include='*' -C "$tree" -xpf "$tarball" \
    || abort "cannot unpack $tarball"
# The packages go where apt's unprivileged download user can read them.
mkdir -p "$tree/var/tmp/debs" && cp "${debs[@]}" "$tree/var/tmp/debs/" && chmod -R a+rX "$tree/var/tmp/debs"
pkg1=/var/tmp/debs/$(basename "${debs[0]}")
pkg2=/var/tmp/debs/$(basename "${debs[1]}")
pkg3=/var/tmp/debs/$(basename "${debs[2]}")
pass "a pristine $suite tree with systemd ($(du -sh "$tree" | cut -f1))"

phase "boot 1"
start_container 1

db=/var/lib/koppelingd/koppelingd.db
secret=/var/lib/koppelingd/koppelingd.secret
school=21QW00

# --- 1. install ----------------------------------------------------------------
phase "1. install"
# No network in the container: a dependency missing from the tree fails here.
run apt-get install -y "$pkg1"
expect_rc 0 "apt-get install $pkg1"
((rc == 0)) || abort "the package did not install; the other steps need it"
expect_out "0 upgraded, 1 newly installed" "apt installed koppelingd alone: its dependencies were in the tree"
run dpkg-query -W -f '${Status} ${Version}\n' koppelingd
expect_out "install ok installed $v1" "dpkg: koppelingd $v1 is installed"
ok "apt-get check: every dependency is satisfied" apt-get check
run dpkg --audit
if [[ $rc == 0 && -z $out ]]; then pass "dpkg --audit: no half-installed package"; else fail "dpkg --audit reports problems"; fi
for u in koppelingd.socket koppelingd.service; do
    run systemctl is-enabled "$u"
    expect_out enabled "$u is enabled on first install"
    run systemctl is-active "$u"
    expect_out active "$u is running after install"
done
ok "user koppelingd exists" getent passwd koppelingd
ok "group koppelingbeheer exists" getent group koppelingbeheer
ok "group koppelinginzage exists" getent group koppelinginzage

# --- 2. an administrator --------------------------------------------------------
phase "2. administrator"
ok "useradd beheerder in group koppelingbeheer" useradd --create-home --groups koppelingbeheer beheerder
ok "useradd leerkracht (in neither group)" useradd --create-home leerkracht
ok "useradd fg in group koppelinginzage (the privacy officer)" useradd --create-home --groups koppelinginzage fg
as beheerder koppelingctl school add "$school" "OBS De Test"
expect_rc 0 "beheerder: school add $school"
expect_out "$school" "school add names the school"
as beheerder koppelingctl verification-code generate --school "$school"
expect_rc 0 "beheerder: verification-code generate"
code=$(printf '%s\n' "$out" | grep -E "^$school[A-Za-z0-9]{14,44}\$" | head -n1)
if [[ -n $code ]]; then pass "the generated code starts with $school and is letters and digits only"; else
    fail "no code of the form ${school}… in the output; using a fixed one"
    code=${school}Abc7Def8Ghj9Kmn2Pq4Rst5
fi
printf '  (verification code: %s…, %d characters)\n' "${code:0:6}" "${#code}"
run_stdin "$code" runuser -u beheerder -- koppelingctl activate --school "$school" --koppeling topdossier-eckid \
    --name "B. Heerder" --agree --code-stdin
expect_rc 0 "beheerder: activate topdossier-eckid with --code-stdin"
expect_no_out "${code:6}" "the activation's output does not show the code"
run_stdin "$code" runuser -u beheerder -- koppelingctl eckid set-key --school "$school" --key-stdin
expect_rc 0 "beheerder: eckid set-key --key-stdin (the activation's code)"
as beheerder koppelingctl --json school show "$school"
expect_rc 0 "beheerder: school show $school"
expect_out topdossier-eckid "school show lists the topdossier-eckid activation"
as beheerder koppelingctl status
expect_rc 0 "beheerder: status"

as beheerder koppelingctl register controller set --name "Stichting De Test" --number 41234 \
    --address "Schoolstraat 1, 1234 AB Test" --contact "030 123 45 67" --fg-name "R. de Groot" --fg-email fg@test.nl
expect_rc 0 "beheerder: register controller set"

# --- 3. the privacy officer: reads everything, changes nothing -----------------
phase "3. reader (koppelinginzage)"
run stat -c '%a %U %G' /run/koppelingd/koppelingd.sock
expect_out "660 koppelingd koppelingbeheer" "the socket stays mode 0660, group koppelingbeheer"
as fg koppelingctl status
expect_rc 0 "fg (in koppelinginzage only): status"
as fg koppelingctl --json register export --include-ended
expect_rc 0 "fg: register export"
expect_out '"audit_head"' "the export names where the audit trail stood"
expect_out "Stichting De Test" "the export is headed by the controller"
expect_out '"accepted_record" : "at_acceptance"' "the row shows the whole that was accepted"
as fg koppelingctl register changes --from 2000-01-01 --to 2099-12-31
expect_rc 0 "fg: register changes"
as fg koppelingctl audit verify
expect_rc 0 "fg: audit verify"
as fg koppelingctl school add 21QW09 "OBS Van De FG"
expect_rc 1 "fg: school add is refused (exit 1)"
expect_out "geen rechten" "the refusal says the reader has no rights to change"
as fg koppelingctl register controller set --name X --number 12345 --address Y --contact Z --fg-name Q --fg-email q@x.nl
expect_rc 1 "fg: register controller set is refused"
as beheerder koppelingctl --json audit --limit 3
expect_out '"permission_denied"' "the reader's refused change is in the audit trail"

# --- 3b. someone in neither group ----------------------------------------------
phase "3b. non-member"
as leerkracht koppelingctl status
expect_rc 3 "leerkracht (in neither group): status exits with 3"
expect_out koppelingbeheer "the message names the group koppelingbeheer"
expect_out "usermod -aG koppelingbeheer" "the message shows 'usermod -aG koppelingbeheer'"
expect_out koppelinginzage "the message names the reader group koppelinginzage too"
expect_no_out "Draait koppelingd" "the message does not blame a stopped daemon"
as leerkracht koppelingctl --json register export
expect_rc 3 "leerkracht: register export exits with 3"
expect_no_out "$school" "leerkracht gets nothing of the register"

# --- 4. power off and boot again ----------------------------------------------
phase "4. power off, boot again"
stop_container
start_container 2
# Before anything connects: started by the boot, not by the socket.
run systemctl is-active koppelingd.service
expect_out active "koppelingd.service is active after boot, before any connection"
run systemctl show koppelingd.service -p NRestarts -p ActiveState -p SubState
run journalctl -b -u koppelingd.service --no-pager -o short-monotonic
journal=$out
# This boot's start, warnings and worse: none expected.
run journalctl -b -u koppelingd.service -p warning --no-pager -q -o short-monotonic
if [[ $rc == 0 && $(printf '%s\n' "$out" | grep -c .) == 0 ]]; then
    pass "the journal of this boot's start holds no warning or error"
else
    fail "the journal of this boot's start holds warnings or errors (above)"
fi
# No libdispatch in the daemon (DESIGN §7): its worker and manager threads
# were what logged "Failed to set thread priority" (the manager asks for
# nice -4), in a container at every start. None, whatever the container's
# capabilities; and none of its threads (named after its queues, e.g.
# "oot.default-qos", "-qos.overcommit") in /proc/PID/task.
noise=$(printf '%s\n' "$journal" | grep -ci 'thread priority' || true)
if ((noise == 0)); then pass "no 'thread priority' line in the journal of this boot's start"
else fail "$noise 'thread priority' lines in the journal of this boot's start (above)"; fi
run sh -c 'cat /proc/$(systemctl show -p MainPID --value koppelingd.service)/task/*/comm'
if [[ $rc == 0 ]] && ! printf '%s\n' "$out" | grep -qE 'qos|dispatch|com\.apple'; then
    pass "no libdispatch thread in the daemon: $(printf '%s\n' "$out" | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=", "}')"
else
    fail "the daemon's threads (above) include libdispatch's, or could not be listed"
fi
as beheerder koppelingctl school list
expect_rc 0 "beheerder: school list after the reboot"
expect_out "$school" "the school is still registered"
# The reader group's ACL entry is the daemon's, added at every start: a new
# boot's socket has it again.
as fg koppelingctl school list
expect_rc 0 "fg (koppelinginzage): school list after the reboot"
expect_out "$school" "fg reads the register after the reboot"
as leerkracht koppelingctl school list
expect_rc 3 "leerkracht (in neither group): still cannot connect after the reboot"
as beheerder koppelingctl --json school show "$school"
expect_out topdossier-eckid "the activation is still there"

# --- 5. backup and restore -----------------------------------------------------
phase "5. backup, restore"
as beheerder koppelingctl backup
expect_rc 0 "beheerder: backup"
backup=$(printf '%s\n' "$out" | grep -oE '/var/lib/koppelingd/backups/[^ ]+\.db' | head -n1)
if [[ -n $backup ]] && cin test -s "$backup" </dev/null; then pass "backup prints the path of a file that exists ($backup)"; else
    fail "no backup file named in the output"
fi
as beheerder koppelingctl school add 21QW01 "OBS Na De Back-up"
expect_rc 0 "beheerder: school add 21QW01 after the backup"
restored=
if [[ -z $backup ]]; then
    fail "koppelingd restore not tried: no backup"
else
    run koppelingd restore "$backup"
    # 64 is the argument parser's usage error: an unknown subcommand is no refusal.
    if [[ $rc != 0 && $rc != 64 && $rc != 124 ]]; then pass "koppelingd restore refuses while the service runs (exit $rc)"; else
        fail "koppelingd restore did not refuse while the service runs (exit $rc)"
    fi
    as beheerder koppelingctl school list
    expect_out 21QW01 "the refused restore changed nothing"
    ok "systemctl stop koppelingd.service koppelingd.socket" systemctl stop koppelingd.service koppelingd.socket
    # Root never follows what the daemon's user planted (DESIGN §4): a link
    # to /etc/shadow at each name the restore (and the daemon started by
    # hand as root) opens, creates, renames or hands over; /etc/shadow keeps
    # its contents, owner and mode whatever they answer.
    shadow_before=$(value sh -c 'sha256sum /etc/shadow; stat -c "%U:%G %a" /etc/shadow')
    for name in koppelingd.db.lock koppelingd.secret koppelingd.db-wal koppelingd.db-shm koppelingd.db.restoring; do
        # The file that is there (the lock, the secret) is set aside by root
        # first and put back after, so the link really stands in its place.
        run sh -c "test ! -e /var/lib/koppelingd/$name || mv /var/lib/koppelingd/$name /root/aside-$name"
        as koppelingd ln -s /etc/shadow "/var/lib/koppelingd/$name"
        expect_rc 0 "koppelingd plants a link to /etc/shadow at $name"
        run koppelingd restore "$backup"
        restore_rc=$rc
        restore_out=$out
        # Where the restore refused, the daemon started as root must refuse
        # too (elsewhere it would serve, and run the day's timer as root).
        daemon_rc=-
        if [[ $restore_rc != 0 ]]; then
            run timeout 10 koppelingd --socket /run/koppelingd-probe.sock
            daemon_rc=$rc
            [[ $daemon_rc == 78 ]] || fail "the daemon started as root with a link at $name did not refuse with 78 (exit $daemon_rc)"
        fi
        if [[ $(value sh -c 'sha256sum /etc/shadow; stat -c "%U:%G %a" /etc/shadow') == "$shadow_before" ]]; then
            pass "a link to /etc/shadow at $name: restore (exit $restore_rc) and the daemon as root (exit $daemon_rc) leave /etc/shadow as it was"
        else
            fail "a link to /etc/shadow at $name: /etc/shadow changed (restore exit $restore_rc, daemon exit $daemon_rc)"
        fi
        if [[ $restore_rc != 0 && $restore_out != *"symbolische koppeling"* ]]; then
            fail "the refused restore with a link at $name does not name the link"
        fi
        # The lock is written and handed over, the secret read as the key:
        # a link there is refused outright (elsewhere it is moved or
        # removed, never followed).
        if [[ $name == koppelingd.db.lock || $name == koppelingd.secret ]]; then
            if [[ $restore_rc == 1 && $daemon_rc == 78 ]]; then
                pass "a link at $name: the restore refuses (1) and so does the daemon as root (78)"
            else
                fail "a link at $name: restore exit $restore_rc, daemon exit $daemon_rc (expected 1 and 78)"
            fi
        fi
        run find /var/lib/koppelingd -type l -print -delete
        run sh -c "test ! -e /root/aside-$name || mv /root/aside-$name /var/lib/koppelingd/$name"
        run rm -f /run/koppelingd-probe.sock
    done
    run ls -la /var/lib/koppelingd
    before=$(value sha256sum "$db" | cut -d' ' -f1)
    run koppelingd restore "$backup"
    expect_rc 0 "koppelingd restore $backup (units stopped)"
    restored=$rc
fi
if [[ -n $backup && $restored == 0 ]]; then
    run stat -c '%U:%G %a' "$db"
    expect_out "koppelingd:koppelingd 600" "the restored register is owned by koppelingd, mode 0600"
    run sh -c "ls -la /var/lib/koppelingd; ls ${db}-wal ${db}-shm 2>/dev/null | wc -l"
    if [[ $(printf '%s\n' "$out" | tail -n1) == 0 ]]; then pass "no -wal or -shm file beside the restored register"; else
        fail "a -wal or -shm file is left beside the restored register"
    fi
    kept=$(value sh -c "find /var/lib/koppelingd -type f ! -path '$db' -exec sha256sum {} + | awk '\$1 == \"$before\" { print \$2 }'")
    if [[ -n $before && -n $kept ]]; then pass "the register before the restore is kept aside ($(printf '%s' "$kept" | head -n1))"; else
        fail "no copy of the register before the restore under /var/lib/koppelingd"
    fi
fi
ok "systemctl start koppelingd.socket koppelingd.service" systemctl start koppelingd.socket koppelingd.service
as beheerder koppelingctl school list
expect_rc 0 "beheerder: school list after the restore"
expect_out "$school" "$school is there"
if [[ -n $backup && $restored == 0 ]]; then
    expect_no_out 21QW01 "21QW01 (added after the backup) is gone"
else
    skip "the restored register's owner and mode, -wal/-shm, the copy kept aside, 21QW01 gone: no restore"
fi

# --- 6. the secret missing -----------------------------------------------------
phase "6. missing secret"
ok "systemctl stop koppelingd.service koppelingd.socket" systemctl stop koppelingd.service koppelingd.socket
sum_before=$(value sha256sum "$db" | cut -d' ' -f1)
ok "move $secret away" mv "$secret" /root/koppelingd.secret.away
cursor=$(value journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p')
run systemctl start koppelingd.service
start_rc=$rc
sleep 2
run systemctl is-active koppelingd.service
if [[ $start_rc != 0 || $out == failed ]] && [[ $out != active ]]; then
    pass "without its secret the service does not start (start exit $start_rc, state $out)"
else
    fail "the service started without its secret (start exit $start_rc, state $out)"
fi
run journalctl -u koppelingd.service --after-cursor "$cursor" --no-pager -o short-monotonic
expect_out koppelingd.secret "the journal names koppelingd.secret"
# A refusal to start exits 78, which RestartPreventExitStatus= keeps systemd
# from retrying: one attempt, one message.
run systemctl show koppelingd.service -p NRestarts --value
if [[ $out == 0 ]]; then pass "the refusal was not retried (NRestarts=0)"; else fail "the refusal was retried $out times"; fi
run systemctl show koppelingd.service -p ExecMainStatus --value
expect_out 78 "the daemon exited 78 (EX_CONFIG)"
ok "systemctl stop koppelingd.service koppelingd.socket" systemctl stop koppelingd.service koppelingd.socket
sum_after=$(value sha256sum "$db" | cut -d' ' -f1)
if [[ -n $sum_before && $sum_before == "$sum_after" ]]; then pass "the register is unchanged (sha256 ${sum_before:0:16}…)"; else
    fail "the register changed: sha256 ${sum_before:0:16}… before, ${sum_after:0:16}… after"
fi
ok "put the secret back" mv -f /root/koppelingd.secret.away "$secret"
ok "systemctl reset-failed" systemctl reset-failed koppelingd.service koppelingd.socket
ok "systemctl start koppelingd.socket koppelingd.service" systemctl start koppelingd.socket koppelingd.service
as beheerder koppelingctl school list
expect_rc 0 "beheerder: school list with the secret back"
expect_out "$school" "$school is there"

# --- 7. upgrade ----------------------------------------------------------------
phase "7. upgrade"
pid_before=$(value systemctl show koppelingd.service -p MainPID --value)
since_before=$(value systemctl show koppelingd.service -p ActiveEnterTimestampMonotonic --value)
run apt-get install -y "$pkg2"
expect_rc 0 "apt-get install $pkg2 (upgrade $v1 → $v2)"
run dpkg-query -W -f '${Version}\n' koppelingd
expect_out "$v2" "dpkg: koppelingd $v2 is installed"
pid_after=$(value systemctl show koppelingd.service -p MainPID --value)
since_after=$(value systemctl show koppelingd.service -p ActiveEnterTimestampMonotonic --value)
printf '  MainPID %s → %s, ActiveEnterTimestampMonotonic %s → %s\n' "$pid_before" "$pid_after" "$since_before" "$since_after"
if [[ $pid_after != 0 && ($pid_after != "$pid_before" || $since_after != "$since_before") ]]; then
    pass "the upgrade restarted the daemon"
else
    fail "the upgrade did not restart the daemon"
fi
run systemctl is-active koppelingd.service
expect_out active "koppelingd.service is active after the upgrade"
for u in koppelingd.socket koppelingd.service; do
    run systemctl is-enabled "$u"
    expect_out enabled "$u is still enabled after the upgrade"
done
as beheerder koppelingctl status
expect_rc 0 "beheerder: status after the upgrade"
as beheerder koppelingctl --json school show "$school"
expect_out topdossier-eckid "the school and its activation are kept"

# An administrator's disable survives an upgrade from a version that already
# enabled the service.
ok "systemctl disable koppelingd.service" systemctl disable koppelingd.service
run apt-get install -y "$pkg3"
expect_rc 0 "apt-get install $pkg3 (upgrade $v2 → $v3)"
run systemctl is-enabled koppelingd.service
expect_out disabled "the administrator's disable survived the upgrade"
ok "systemctl enable koppelingd.service" systemctl enable koppelingd.service
run systemctl is-active koppelingd.service
expect_out active "koppelingd.service is active after the second upgrade"

# --- 8. a second daemon on the same register ----------------------------------
phase "8. second daemon"
main_pid=$(value systemctl show koppelingd.service -p MainPID --value)
t0=$SECONDS
CIN_TIMEOUT=15 run runuser -u koppelingd -- koppelingd --database "$db" --socket /tmp/x.sock
took=$((SECONDS - t0))
if [[ $rc != 0 && $rc != 124 && $rc != 137 ]] && ((took <= 10)); then
    pass "a second koppelingd on the same database exits non-zero (exit $rc, after $took s)"
else
    fail "a second koppelingd on the same database did not refuse quickly (exit $rc, after $took s)"
fi
if [[ -n $main_pid && $main_pid != 0 ]] && printf '%s\n' "$out" | grep -qw -- "$main_pid"; then
    pass "it names the running daemon (pid $main_pid)"
else
    fail "it does not name the running daemon (pid $main_pid)"
fi
run systemctl is-active koppelingd.service
expect_out active "the running service is undisturbed"
as beheerder koppelingctl school list
expect_out "$school" "and still answers"

# --- 9. remove -----------------------------------------------------------------
phase "9. remove"
run apt-get remove -y koppelingd
expect_rc 0 "apt-get remove koppelingd"
run dpkg-query -W -f '${Status}\n' koppelingd
expect_no_out "install ok installed" "the package is no longer installed"
run systemctl is-active koppelingd.service koppelingd.socket
if printf '%s\n' "$out" | grep -qx active; then fail "a unit is still active"; else pass "neither unit is active"; fi
run sh -c 'ls /lib/systemd/system/koppelingd.* /etc/systemd/system/koppelingd.* /etc/systemd/system/*.wants/koppelingd.* 2>/dev/null | wc -l'
if [[ $(printf '%s\n' "$out" | tail -n1) == 0 ]]; then pass "the unit files and their enable links are gone"; else
    fail "unit files or enable links are left"
fi
run sh -c 'grep -lx koppelingd /proc/[0-9]*/comm 2>/dev/null | wc -l'
if [[ $(printf '%s\n' "$out" | tail -n1) == 0 ]]; then pass "no koppelingd process runs"; else fail "a koppelingd process still runs"; fi
run ls -la /var/lib/koppelingd
ok "the register $db is still there" test -s "$db"
ok "the secret is still there" test -s "$secret"

phase "power off"
stop_container
phase "done"
summary
((failed == 0))
