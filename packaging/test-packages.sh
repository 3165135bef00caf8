#!/bin/sh
# packaging/test-packages.sh: tests of how guests install and run the agent (make package-test,
# part of make test). Needs, for every architecture in PACKAGE_ARCHES (default x86_64 aarch64), the
# release binary (make release), the .deb (make deb), the .rpm (make rpm) and the tarball
# (make tarball) in dist/; never installs a package on this machine and never touches its
# services (agents run on unix sockets in a temporary directory, install.sh runs with --root).
# Checks:
#   - one version everywhere: AgentVersion.release, debian/changelog, the .debs, the .rpms;
#   - per architecture: each package holds that architecture's binary, byte for byte, and
#     depends on no shared library (dpkg-deb -I, rpm -qpR): the binary is static;
#   - the tarballs: their exact contents; install.sh into fake roots for each init system
#     and layout (trees, detection, kept settings, refusing foreign files) and --uninstall
#     leaving the root as it was; the OpenRC script's argument building and port check;
#   - make install in both layouts: the exact file tree and modes, no placeholder left;
#   - the systemd unit: systemd-analyze verify; its ExecStart, expanded as systemd does with
#     the shipped settings file, accepted by the agent (-D) with the hook on; the udev rule;
#   - the SysV script under dash and busybox ash: status/start/restart/force-reload/stop on
#     a unix socket, no start without the port; sh -n and checkbashisms on every script;
#   - the .deb: lintian without errors, paths, conffiles, relationships, maintainer scripts;
#   - the .rpm: payload, config files, scriptlets;
#   - the man page: renders without warnings, names every option and config key;
#   - the sample qemu-ga.conf changes nothing.
# The last line is "N passed, N failed"; the exit status is 1 on any failure.
set -u
cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN=$REPO/dist/qemu-ga-swift
[ -x "$BIN" ] || { echo "no $BIN: run make release" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/qga-pkgtest.XXXXXX")
cleanup() {
    for pidfile in "$WORK"/*/qga.pid; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

passed=0
failed=0
# check NAME COMMAND...: one check, passed when COMMAND (a function or program) succeeds;
# its output is shown on failure.
check() {
    name=$1
    shift
    if "$@" >"$WORK/out" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/     | /' "$WORK/out" | head -n 40
    fi
}
# same ACTUAL EXPECTED: equal strings, with a diff when not
same() {
    [ "$1" = "$2" ] && return 0
    printf '%s\n' "$2" >"$WORK/expected"
    printf '%s\n' "$1" >"$WORK/actual"
    diff -u "$WORK/expected" "$WORK/actual"
    return 1
}
# contains TEXT LINE...: every LINE is a whole line of TEXT
contains() {
    text=$1
    shift
    for line in "$@"; do
        printf '%s\n' "$text" | grep -Fqx -- "$line" || { printf 'missing: %s\nin:\n%s\n' "$line" "$text"; return 1; }
    done
}
fails() { ! "$@"; }

VERSION=$(sed -n 's/.*static let release = "\(.*\)".*/\1/p' Sources/Commands/Core/AgentVersion.swift)
ARCH=$(dpkg --print-architecture)
PACKAGE_ARCHES=${PACKAGE_ARCHES:-x86_64 aarch64}
debarch_of() { case "$1" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; *) echo "$1" ;; esac; }
agent_of() { if [ "$1" = x86_64 ]; then echo "$REPO/dist/qemu-ga-swift"; else echo "$REPO/dist/$1/qemu-ga-swift"; fi; }
# The host's own package runs the functional checks (maintainer scripts, unit, SysV script).
DEB=dist/qemu-ga-swift_${VERSION}_$ARCH.deb
RPM=dist/qemu-ga-swift-$VERSION-1.$(uname -m).rpm

# ------------------------------------------------------------------ version
check "AgentVersion.release is a version ($VERSION)" sh -c "printf '%s' '$VERSION' | grep -Eqx '[0-9]+[.][0-9]+[.][0-9]+'"
check "debian/changelog's version is AgentVersion.release" \
    same "$(dpkg-parsechangelog -S Version -l debian/changelog)" "$VERSION"
expected_files() { # expected_files PATTERN: one dist/ name per architecture, sorted
    for a in $PACKAGE_ARCHES; do
        printf "$1\n" "$(debarch_of "$a")" "$a"
    done | sort
}
check "the .debs in dist/: one per architecture ($PACKAGE_ARCHES), named for the version" \
    same "$(ls dist/qemu-ga-swift_*.deb 2>&1)" "$(expected_files "dist/qemu-ga-swift_${VERSION}_%s%.0s.deb")"
check "the .rpms in dist/: one per architecture, named for the version" \
    same "$(ls dist/qemu-ga-swift-*.rpm 2>&1)" "$(expected_files "dist/qemu-ga-swift-$VERSION-1.%.0s%s.rpm")"
check "the tarballs in dist/: one per architecture, named for the version" \
    same "$(ls dist/qemu-ga-swift-*-linux.tar.gz 2>&1)" "$(expected_files "dist/qemu-ga-swift-$VERSION-%.0s%s-linux.tar.gz")"
check "the .deb's version field" same "$(dpkg-deb -f "$DEB" Version 2>&1)" "$VERSION"
check "the .rpm's version" same "$(rpm -qp --qf '%{VERSION}' "$RPM" 2>&1)" "$VERSION"
check "qemu-ga-swift -V names the version" sh -c "'$BIN' -V | grep -q 'qemu-ga-swift $VERSION'"

# ------------------------------------------------------------------ make install
DEBIAN_TREE='/etc/default/qemu-guest-agent 644
/etc/init.d/qemu-guest-agent 755
/etc/qemu/fsfreeze-hook 755
/etc/qemu/fsfreeze-hook.d/ 755
/etc/qemu/qemu-ga.conf 644
/lib/systemd/system/qemu-guest-agent.service 644
/lib/udev/rules.d/60-qemu-guest-agent.rules 644
/usr/sbin/qemu-ga -> qemu-ga-swift
/usr/sbin/qemu-ga-swift 755
/usr/share/doc/qemu-ga-swift/LICENSE 644
/usr/share/doc/qemu-ga-swift/examples/mysql-flush.sh.sample 644
/usr/share/doc/qemu-ga-swift/examples/postgresql-checkpoint.sh.sample 644
/usr/share/doc/qemu-ga-swift/json-c.COPYING 644
/usr/share/doc/qemu-ga-swift/musl.COPYRIGHT 644
/usr/share/man/man8/qemu-ga-swift.8.gz 644
/usr/share/man/man8/qemu-ga.8.gz -> qemu-ga-swift.8.gz
/var/log/qemu-ga/ 755'
FEDORA_TREE='/etc/qemu-ga/fsfreeze-hook 755
/etc/qemu-ga/fsfreeze-hook.d/ 755
/etc/qemu/qemu-ga.conf 644
/etc/rc.d/init.d/qemu-ga 755
/etc/sysconfig/qemu-ga 644
/usr/bin/qemu-ga -> qemu-ga-swift
/usr/bin/qemu-ga-swift 755
/usr/lib/systemd/system/qemu-guest-agent.service 644
/usr/lib/udev/rules.d/99-qemu-guest-agent.rules 644
/usr/share/licenses/qemu-ga-swift/LICENSE 644
/usr/share/licenses/qemu-ga-swift/json-c.COPYING 644
/usr/share/licenses/qemu-ga-swift/musl.COPYRIGHT 644
/usr/share/man/man8/qemu-ga-swift.8.gz 644
/usr/share/man/man8/qemu-ga.8.gz -> qemu-ga-swift.8.gz
/usr/share/qemu/qemu-ga/mysql-flush.sh.sample 644
/usr/share/qemu/qemu-ga/postgresql-checkpoint.sh.sample 644
/var/log/qemu-ga/ 755'
# The leaves of a tree (files, symlinks, empty directories) with their modes or targets.
tree() {
    (cd "$1" && find . -mindepth 1 \( -type f -o -type l -o -type d -empty \) | LC_ALL=C sort | while read -r f; do
        if [ -L "$f" ]; then echo "${f#.} -> $(readlink "$f")"
        elif [ -d "$f" ]; then echo "${f#.}/ $(stat -c %a "$f")"
        else echo "${f#.} $(stat -c %a "$f")"; fi
    done)
}
no_placeholder() { ! grep -rIn '@[A-Z]*@' "$1"; }
for layout in debian fedora; do
    check "make install LAYOUT=$layout: exit 0" make -s install LAYOUT=$layout DESTDIR="$WORK/$layout"
    if [ $layout = debian ]; then expected=$DEBIAN_TREE; else expected=$FEDORA_TREE; fi
    check "make install LAYOUT=$layout: the file tree" same "$(tree "$WORK/$layout")" "$expected"
    check "make install LAYOUT=$layout: no @PLACEHOLDER@ left" no_placeholder "$WORK/$layout"
done
install_without_binary() {
    out=$(make -s install DIST="$WORK/nodist" DESTDIR="$WORK/x" 2>&1) && return 1
    printf '%s\n' "$out" | grep -q "run 'make release' first"
}
check "make install without the binary fails and says to run make release" install_without_binary
install_custom() {
    make -s install DESTDIR="$WORK/custom" PREFIX=/opt/q SYSCONFDIR=/opt/q/etc UNITDIR=/opt/q/units &&
        test -x "$WORK/custom/opt/q/sbin/qemu-ga-swift" && test -x "$WORK/custom/opt/q/etc/qemu/fsfreeze-hook" &&
        grep -q '^ExecStart=-/opt/q/sbin/qemu-ga-swift ' "$WORK/custom/opt/q/units/qemu-guest-agent.service" &&
        grep -qx 'EnvironmentFile=-/opt/q/etc/default/qemu-guest-agent' "$WORK/custom/opt/q/units/qemu-guest-agent.service" &&
        grep -qx 'DAEMON=/opt/q/sbin/qemu-ga-swift' "$WORK/custom/opt/q/etc/init.d/qemu-guest-agent"
}
check "make install honours PREFIX, SYSCONFDIR, UNITDIR" install_custom

# ------------------------------------------------------------------ systemd unit and udev rule
UNIT_DEBIAN=$WORK/debian/lib/systemd/system/qemu-guest-agent.service
UNIT_FEDORA=$WORK/fedora/usr/lib/systemd/system/qemu-guest-agent.service
# verify checks that ExecStart's program exists: point it at the staged binary.
verify_unit() { # verify_unit UNIT STAGED-BINARY
    mkdir -p "$WORK/verify"
    sed "s|^ExecStart=-[^ ]*|ExecStart=-$2|" "$1" >"$WORK/verify/qemu-guest-agent.service"
    systemd-analyze verify --man=no "$WORK/verify/qemu-guest-agent.service" >"$WORK/verify.out" 2>&1
    rc=$?
    cat "$WORK/verify.out"
    [ $rc -eq 0 ] && [ ! -s "$WORK/verify.out" ]
}
check "systemd-analyze verify (Debian unit): no error, no warning" verify_unit "$UNIT_DEBIAN" "$WORK/debian/usr/sbin/qemu-ga-swift"
check "systemd-analyze verify (Fedora unit): no error, no warning" verify_unit "$UNIT_FEDORA" "$WORK/fedora/usr/bin/qemu-ga-swift"
broken_unit_fails() {
    printf '[Service]\nExecStart=/nonexistent/qga\n' >"$WORK/broken.service"
    ! systemd-analyze verify --man=no "$WORK/broken.service"
}
check "systemd-analyze verify fails on a broken unit (the check can fail)" broken_unit_fails
for unit in "$UNIT_DEBIAN" "$UNIT_FEDORA"; do
    check "unit ${unit#"$WORK"/}: bound to the port's device, restarts always, at once" \
        contains "$(cat "$unit")" 'BindsTo=dev-virtio\x2dports-org.qemu.guest_agent.0.device' \
        'After=dev-virtio\x2dports-org.qemu.guest_agent.0.device' 'Restart=always' 'RestartSec=0'
    check "unit ${unit#"$WORK"/}: an exit status never marks it failed (ExecStart=-, as Debian's)" \
        grep -q '^ExecStart=-/' "$unit"
done
RULE=$WORK/debian/lib/udev/rules.d/60-qemu-guest-agent.rules
check "the udev rule: the port by name starts the unit (SYSTEMD_WANTS); same rule in both layouts" sh -c "
    cmp '$RULE' '$WORK/fedora/usr/lib/udev/rules.d/99-qemu-guest-agent.rules' &&
    tr -d '\\\\\\n' <'$RULE' | grep -q 'SUBSYSTEM==\"virtio-ports\", ATTR{name}==\"org.qemu.guest_agent.0\", *TAG+=\"systemd\", ENV{SYSTEMD_WANTS}=\"qemu-guest-agent.service\"'"
if udevadm verify --help >/dev/null 2>&1; then
    check "udevadm verify: the rule parses" udevadm verify "$RULE"
fi

# The unit's ExecStart as systemd expands it: ${VAR} is one word (possibly empty), $VAR is
# split on spaces; variables from Environment=, then the settings file, then extra lines.
unit_argv() { # unit_argv UNIT SETTINGS-FILE [LINE...]: one argument per line
    unit=$1
    cp "$2" "$WORK/settings"
    shift 2
    for line in "$@"; do printf '%s\n' "$line" >>"$WORK/settings"; done
    (
        for assignment in $(sed -n 's/^Environment=//p' "$unit"); do export "${assignment?}"; done
        set -a
        . "$WORK/settings"
        set +a
        for word in $(sed -n 's/^ExecStart=//p' "$unit"); do
            case "$word" in
                '${'*) eval "printf '%s\n' \"$word\"" ;;
                '$'*) eval "for w in $word; do printf '%s\n' \"\$w\"; done" ;;
                *) eval "printf '%s\n' \"$word\"" ;;
            esac
        done
    )
}
# unit_dump UNIT SETTINGS-FILE [LINE...]: the agent's -D for that argv (no config file)
unit_dump() {
    unit_argv "$@" >"$WORK/argv" || return 1
    set --
    while IFS= read -r a; do set -- "$@" "$a"; done <"$WORK/argv"
    shift # the unit's binary path; run the one we built
    QGA_CONF=/nonexistent "$BIN" "$@" -D
}
unit_default() { # unit_default UNIT SETTINGS HOOK
    out=$(unit_dump "$1" "$2") || { printf '%s\n' "$out"; return 1; }
    contains "$out" "fsfreeze-hook=$3" "block-rpcs=" "allow-rpcs="
}
check "Debian unit + shipped settings: the agent accepts its argv; hook /etc/qemu/fsfreeze-hook, nothing blocked" \
    unit_default "$UNIT_DEBIAN" "$WORK/debian/etc/default/qemu-guest-agent" /etc/qemu/fsfreeze-hook
check "Fedora unit + shipped settings: hook /etc/qemu-ga/fsfreeze-hook, nothing blocked" \
    unit_default "$UNIT_FEDORA" "$WORK/fedora/etc/sysconfig/qemu-ga" /etc/qemu-ga/fsfreeze-hook
unit_settings() {
    out=$(unit_dump "$UNIT_DEBIAN" "$WORK/debian/etc/default/qemu-guest-agent" \
        BLOCK_RPCS=guest-exec,guest-file-open BLACKLIST_RPC=guest-set-time \
        FSFREEZE_HOOK_PATHNAME=/srv/hook 'DAEMON_ARGS="-v --fsfreeze-timeout=300"') || { printf '%s\n' "$out"; return 1; }
    contains "$out" "block-rpcs=guest-set-time,guest-exec,guest-file-open" "fsfreeze-hook=/srv/hook" \
        "verbose=true" "fsfreeze-timeout=300"
}
check "unit + BLOCK_RPCS, BLACKLIST_RPC, FSFREEZE_HOOK_PATHNAME, DAEMON_ARGS: all reach the agent" unit_settings
unit_allow() {
    out=$(unit_dump "$UNIT_FEDORA" "$WORK/fedora/etc/sysconfig/qemu-ga" 'DAEMON_ARGS="--allow-rpcs=guest-ping,guest-info"') ||
        { printf '%s\n' "$out"; return 1; }
    contains "$out" "allow-rpcs=guest-ping,guest-info" "block-rpcs="
}
check "unit + an allow list in DAEMON_ARGS (empty block lists do not conflict)" unit_allow

# ------------------------------------------------------------------ SysV init script
SCRIPTS="packaging/qemu-guest-agent.init.in hooks/fsfreeze-hook hooks/fsfreeze-hook.d/mysql-flush.sh.sample
hooks/fsfreeze-hook.d/postgresql-checkpoint.sh.sample debian/qemu-ga-swift.postinst debian/qemu-ga-swift.postrm
debian/qemu-ga-swift.preinst packaging/qemu-guest-agent.default.in packaging/test-packages.sh
packaging/test-deb-chroot.sh packaging/install.sh packaging/qemu-guest-agent.openrc.in packaging/qemu-guest-agent.confd.in
scripts/make-tarball.sh scripts/check-agent-binary.sh vm/debian/test.sh
vm/debian/build-image.sh vm/debian/customize.sh"
for script in $SCRIPTS; do
    check "sh -n $script" sh -n "$script"
    check "checkbashisms $script" checkbashisms -f "$script"
done

# A copy of the installed script that runs the built agent and reads SETTINGS instead of
# /etc/default/qemu-guest-agent; each run gets its own directory for socket and pidfile.
sysv_setup() { # sysv_setup DIR SHELL
    mkdir -p "$1"
    sed -e "s|^DAEMON=.*|DAEMON=$BIN|" -e "s|/etc/default/qemu-guest-agent|$1/settings|g" \
        "$WORK/debian/etc/init.d/qemu-guest-agent" >"$1/init"
    printf 'PIDFILE=%s\nDAEMON_ARGS="-m unix-listen -p %s -t %s"\n' "$1/qga.pid" "$1/qga.sock" "$1" >"$1/settings"
}
ping_agent() { # ping_agent SOCKET: the agent answers guest-ping
    out=$(printf '{"execute":"guest-ping"}\n' | socat -t 5 - "UNIX-CONNECT:$1" 2>&1)
    same "$out" '{"return": {}}'
}
pid_of() { cat "$1/qga.pid" 2>/dev/null; }
for shell in dash busybox; do
    if [ $shell = busybox ]; then
        command -v busybox >/dev/null || { check "busybox is installed (busybox-static)" false; continue; }
        SH="busybox sh"
    else
        SH=dash
    fi
    D=$WORK/sysv-$shell
    sysv_setup "$D"
    status_is() { $SH "$D/init" status; [ $? -eq "$1" ]; }
    check "[$shell] status before start: not running (exit 3)" status_is 3
    check "[$shell] start: exit 0" $SH "$D/init" start
    check "[$shell] start: the agent answers on its socket" ping_agent "$D/qga.sock"
    started_right() {
        pid=$(pid_of "$D") && [ -d "/proc/$pid" ] || return 1
        args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
        echo "$args"
        # daemonized with the pidfile, the hook on (-F with the default path)
        case " $args " in *" -d -f $D/qga.pid "*) ;; *) return 1 ;; esac
        case " $args " in *" -F/etc/qemu/fsfreeze-hook "*) ;; *) return 1 ;; esac
        [ "$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$pid/status")" != "$$" ]
    }
    check "[$shell] start: -d -f pidfile -F<hook>, detached" started_right
    check "[$shell] status: running (exit 0)" status_is 0
    first=$(pid_of "$D")
    check "[$shell] start again: exit 0, still the same agent" sh -c "$SH '$D/init' start && [ \"\$(cat '$D/qga.pid')\" = '$first' ]"
    check "[$shell] restart: exit 0" $SH "$D/init" restart
    restarted() { second=$(pid_of "$D"); [ -n "$second" ] && [ "$second" != "$first" ] && [ ! -d "/proc/$first" ]; }
    check "[$shell] restart: the old agent is gone, a new PID in the pidfile" restarted
    check "[$shell] restart: the agent answers again" ping_agent "$D/qga.sock"
    second=$(pid_of "$D")
    check "[$shell] force-reload: exit 0, another new agent that answers" sh -c "
        $SH '$D/init' force-reload && [ \"\$(cat '$D/qga.pid')\" != '$second' ]"
    check "[$shell] force-reload: the agent answers" ping_agent "$D/qga.sock"
    last=$(pid_of "$D")
    check "[$shell] stop: exit 0" $SH "$D/init" stop
    stopped() { [ ! -d "/proc/$last" ] && [ ! -e "$D/qga.pid" ]; }
    check "[$shell] stop: the agent exited, pidfile gone" stopped
    check "[$shell] status after stop: not running (exit 3)" status_is 3
    check "[$shell] stop when stopped: exit 0" $SH "$D/init" stop
    stale_pidfile() { echo 999999 >"$D/qga.pid"; status_is 1; }
    check "[$shell] status with a stale pidfile: exit 1" stale_pidfile
    not_ours() { echo $$ >"$D/qga.pid"; status_is 1 && $SH "$D/init" stop && [ -d "/proc/$$" ]; }
    check "[$shell] a pidfile naming another program: not running, never killed" not_ours
    rm -f "$D/qga.pid"
    # The default method (virtio-serial) with a port that does not exist: not started, exit 0
    # (debhelper's postinst runs "start" on every install).
    printf 'PIDFILE=%s\nDAEMON_ARGS="-p %s -t %s"\n' "$D/qga.pid" "$D/no-such-port" "$D" >"$D/settings"
    no_port() {
        out=$($SH "$D/init" start) || return 1
        echo "$out"
        printf '%s\n' "$out" | grep -q "no org.qemu.guest_agent.0 port, not starting" && [ ! -e "$D/qga.pid" ]
    }
    check "[$shell] start without the port: exit 0, nothing started" no_port
    check "[$shell] unknown action: usage, exit 3" sh -c "$SH '$D/init' bogus 2>&1 | grep -q Usage; $SH '$D/init' bogus 2>/dev/null; [ \$? -eq 3 ]"
done
check "the SysV script has an LSB header with Provides: qemu-guest-agent" \
    grep -q '^# Provides: *qemu-guest-agent' "$WORK/debian/etc/init.d/qemu-guest-agent"

# ------------------------------------------------------------------ the .deb
for a in $PACKAGE_ARCHES; do
    deb=dist/qemu-ga-swift_${VERSION}_$(debarch_of "$a").deb
    check "lintian $deb: no error, no warning (the rest is documented in debian/*.lintian-overrides)" \
        lintian --fail-on error,warning "$deb"
    check "$deb: Architecture $(debarch_of "$a")" same "$(dpkg-deb -f "$deb" Architecture 2>&1)" "$(debarch_of "$a")"
    check "$deb: its binary is dist's $a binary, byte for byte" sh -c "
        dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./usr/sbin/qemu-ga-swift | cmp - '$(agent_of "$a")'"
    # dpkg-deb -I: the control fields; the static binary needs no library, so no Depends at
    # all (Pre-Depends: init-system-helpers is debhelper's, for the maintainer scripts)
    no_shlib_depends() {
        info=$(dpkg-deb -I "$1") || return 1
        printf '%s\n' "$info" | grep -E '^ (Depends|Pre-Depends|Recommends):'
        ! printf '%s\n' "$info" | grep -qE '^ (Depends|Recommends):' &&
            same "$(printf '%s\n' "$info" | sed -n 's/^ Pre-Depends: //p' | sed 's/ (.*//')" init-system-helpers
    }
    check "$deb: dpkg-deb -I: no Depends on any library (static binary), only debhelper's Pre-Depends" no_shlib_depends "$deb"
    rpm=dist/qemu-ga-swift-$VERSION-1.$a.rpm
    check "$rpm: architecture $a" same "$(rpm -qp --qf '%{ARCH}' "$rpm" 2>&1)" "$a"
    check "$rpm: its binary is dist's $a binary, byte for byte" sh -c "
        rpm2cpio '$rpm' | (cd '$WORK' && rm -rf rpmx && mkdir rpmx && cd rpmx && cpio -idm --quiet ./usr/bin/qemu-ga-swift) &&
        cmp '$WORK/rpmx/usr/bin/qemu-ga-swift' '$(agent_of "$a")'"
    # rpm -qpR: only /bin/sh (the scriptlets), its own config() and rpmlib features that
    # rpm 4.11 (RHEL 7) has: no library, no glibc symbol version, no zstd payload
    rpm_requires() {
        reqs=$(rpm -qpR "$1" 2>&1 | sort -u) || return 1
        same "$reqs" "/bin/sh
config(qemu-ga-swift) = $VERSION-1
rpmlib(CompressedFileNames) <= 3.0.4-1
rpmlib(FileDigests) <= 4.6.0-1
rpmlib(PayloadFilesHavePrefix) <= 4.0-1
rpmlib(PayloadIsXz) <= 5.2-1"
    }
    check "$rpm: rpm -qpR: no library, no glibc, nothing RHEL 7's rpm lacks" rpm_requires "$rpm"
done
DEB_PATHS=$(dpkg-deb -c "$DEB" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' | sed 's|^\./|/|; s|/$||' | sort)
check "the .deb holds make install's tree (Debian layout) and its docs" contains "$DEB_PATHS" \
    /usr/sbin/qemu-ga-swift "/usr/sbin/qemu-ga -> qemu-ga-swift" /etc/qemu/fsfreeze-hook /etc/qemu/fsfreeze-hook.d \
    /etc/qemu/qemu-ga.conf /etc/default/qemu-guest-agent /etc/init.d/qemu-guest-agent \
    /lib/systemd/system/qemu-guest-agent.service /lib/udev/rules.d/60-qemu-guest-agent.rules \
    /usr/share/doc/qemu-ga-swift/examples/mysql-flush.sh.sample /usr/share/doc/qemu-ga-swift/examples/postgresql-checkpoint.sh.sample \
    /usr/share/man/man8/qemu-ga-swift.8.gz "/usr/share/man/man8/qemu-ga.8.gz -> qemu-ga-swift.8.gz" \
    /usr/share/doc/qemu-ga-swift/copyright /usr/share/doc/qemu-ga-swift/changelog.gz /var/log/qemu-ga \
    /usr/share/doc/qemu-ga-swift/json-c.COPYING
copyright_names_licences() {
    text=$(dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./usr/share/doc/qemu-ga-swift/copyright) || return 1
    contains "$text" "License: Apache-2.0" "Files: json-c/*" "License: Expat" &&
        dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./usr/share/doc/qemu-ga-swift/json-c.COPYING | cmp - dist/json-c.COPYING
}
check "the .deb's copyright: Apache-2.0, json-c's MIT (Expat) stanza; json-c's COPYING beside it" copyright_names_licences
rm -rf "$WORK/ctl"
dpkg-deb -e "$DEB" "$WORK/ctl"
check "conffiles: the settings, the init script, the hook, qemu-ga.conf" same "$(sort "$WORK/ctl/conffiles")" \
    "/etc/default/qemu-guest-agent
/etc/init.d/qemu-guest-agent
/etc/qemu/fsfreeze-hook
/etc/qemu/qemu-ga.conf"
check "Provides, Conflicts, Replaces: qemu-guest-agent" sh -c "
    [ \"\$(dpkg-deb -f '$DEB' Provides)\" = qemu-guest-agent ] &&
    [ \"\$(dpkg-deb -f '$DEB' Conflicts)\" = qemu-guest-agent ] &&
    [ \"\$(dpkg-deb -f '$DEB' Replaces)\" = qemu-guest-agent ]"
check "postinst: debhelper's update-rc.d/invoke-rc.d and systemd start, then the udev replay" sh -c "
    grep -q 'update-rc.d qemu-guest-agent defaults' '$WORK/ctl/postinst' &&
    grep -q 'invoke-rc.d --skip-systemd-native qemu-guest-agent' '$WORK/ctl/postinst' &&
    grep -q \"deb-systemd-invoke \\\$_dh_action 'qemu-guest-agent.service'\" '$WORK/ctl/postinst' &&
    awk '/deb-systemd-invoke \\\$_dh_action/ { s = NR } /udevadm trigger --subsystem-match=virtio-ports --action=add/ { t = NR } END { exit !(s && t > s) }' '$WORK/ctl/postinst'"
check "prerm stops the service; postrm purges the hook log and debhelper's state" sh -c "
    grep -q \"deb-systemd-invoke stop 'qemu-guest-agent.service'\" '$WORK/ctl/prerm' &&
    grep -q 'rm -f /var/log/qemu-ga/fsfreeze-hook.log' '$WORK/ctl/postrm' &&
    grep -q \"deb-systemd-helper purge 'qemu-guest-agent.service'\" '$WORK/ctl/postrm' &&
    grep -q 'update-rc.d qemu-guest-agent remove' '$WORK/ctl/postrm'"
for script in postinst postrm prerm preinst; do
    [ -f "$WORK/ctl/$script" ] && check "sh -n, checkbashisms: the .deb's $script" sh -c "sh -n '$WORK/ctl/$script' && checkbashisms -f '$WORK/ctl/$script'"
done
# The maintainer scripts' effects without a systemd or a udev (a chroot, an image build):
# postinst configure and postrm purge succeed and the purge removes the hook log.
maint_scripts_offline() {
    mkdir -p "$WORK/fakebin"
    for tool in update-rc.d invoke-rc.d deb-systemd-helper deb-systemd-invoke systemctl udevadm; do
        printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$tool" "$WORK" >"$WORK/fakebin/$tool"
        chmod +x "$WORK/fakebin/$tool"
    done
    PATH=$WORK/fakebin:$PATH sh "$WORK/ctl/postinst" configure "" || return 1
    ! grep -q udevadm "$WORK/calls" 2>/dev/null || [ -d /run/udev ] || { echo "udevadm ran without udev"; return 1; }
    cat "$WORK/calls"
}
check "postinst configure succeeds where nothing runs (no systemd, no udev: no replay)" maint_scripts_offline

# ------------------------------------------------------------------ the .rpm
RPM_PATHS=$(rpm -qlp "$RPM" 2>/dev/null | sort)
rpm_expected() {
    printf '%s\n' "$FEDORA_TREE" | sed 's| .*||; s|/$||'
    printf '%s\n' /etc/qemu /etc/qemu-ga /usr/share/qemu /usr/share/qemu/qemu-ga /usr/share/licenses/qemu-ga-swift
}
check "rpm -qlp: make install's tree in Fedora's layout, with its directories" same "$RPM_PATHS" "$(rpm_expected | sort -u)"
check "rpm config files: sysconfig, qemu-ga.conf, the hook" same "$(rpm -qcp "$RPM" 2>/dev/null | sort)" \
    "/etc/qemu-ga/fsfreeze-hook
/etc/qemu/qemu-ga.conf
/etc/sysconfig/qemu-ga"
RPM_SCRIPTS=$(rpm -qp --scripts "$RPM" 2>/dev/null)
check "rpm scriptlets: %systemd_post/preun/postun_with_restart for the unit, the udev replay" sh -c "
    printf '%s\n' \"\$1\" | grep -q 'systemctl --no-reload preset qemu-guest-agent.service' &&
    printf '%s\n' \"\$1\" | grep -q 'systemctl --no-reload disable --now qemu-guest-agent.service' &&
    printf '%s\n' \"\$1\" | grep -q 'systemctl try-restart qemu-guest-agent.service' &&
    printf '%s\n' \"\$1\" | grep -q 'udevadm trigger --subsystem-match=virtio-ports --action=add'" - "$RPM_SCRIPTS"
check "rpm: Provides and Conflicts qemu-guest-agent; licence Apache-2.0 AND MIT, both texts as %license" sh -c "
    rpm -qp --provides '$RPM' | grep -q '^qemu-guest-agent = ' && rpm -qp --conflicts '$RPM' | grep -qx qemu-guest-agent &&
    [ \"\$(rpm -qp --qf '%{LICENSE}' '$RPM')\" = 'Apache-2.0 AND MIT' ] &&
    [ \"\$(rpm -qpL '$RPM' | sort | tr '\n' ' ')\" = '/usr/share/licenses/qemu-ga-swift/LICENSE /usr/share/licenses/qemu-ga-swift/json-c.COPYING /usr/share/licenses/qemu-ga-swift/musl.COPYRIGHT ' ]"
check "rpm scriptlets parse (sh -n)" sh -c "rpm -qp --qf '%{POSTIN}\n' '$RPM' | sh -n && rpm -qp --qf '%{PREUN}\n' '$RPM' | sh -n && rpm -qp --qf '%{POSTUN}\n' '$RPM' | sh -n"

# ------------------------------------------------------------------ the tarballs and install.sh
# tar tvzf as "PATH MODE OWNER" lines, the top directory cut off
tar_listing() { tar -tvzf "$1" | awk '{ sub(/^[^\/]*\/?/, "", $6); if ($6 != "") print $6, $1, $2 }' | sort; }
TAR_EXPECTED='LICENSE -rw-r--r-- 0/0
fsfreeze-hook -rwxr-xr-x 0/0
fsfreeze-hook.d/ drwxr-xr-x 0/0
install.sh -rwxr-xr-x 0/0
json-c.COPYING -rw-r--r-- 0/0
musl.COPYRIGHT -rw-r--r-- 0/0
qemu-ga-swift -rwxr-xr-x 0/0
qemu-ga-swift.8 -rw-r--r-- 0/0
qemu-ga.conf -rw-r--r-- 0/0
qemu-guest-agent.confd.in -rw-r--r-- 0/0
qemu-guest-agent.default.in -rw-r--r-- 0/0
qemu-guest-agent.init.in -rw-r--r-- 0/0
qemu-guest-agent.openrc.in -rw-r--r-- 0/0
qemu-guest-agent.rules -rw-r--r-- 0/0
qemu-guest-agent.service.in -rw-r--r-- 0/0
samples/ drwxr-xr-x 0/0
samples/mysql-flush.sh.sample -rw-r--r-- 0/0
samples/postgresql-checkpoint.sh.sample -rw-r--r-- 0/0'
for a in $PACKAGE_ARCHES; do
    tarball=dist/qemu-ga-swift-$VERSION-$a-linux.tar.gz
    tname=qemu-ga-swift-$VERSION-$a-linux
    check "$tarball: one directory $tname/ with exactly the binary, service files, hook, samples, man page, licences, install.sh" \
        same "$(tar_listing "$tarball" | LC_ALL=C sort)" "$(printf '%s\n' "$TAR_EXPECTED" | LC_ALL=C sort)"
    check "$tarball: every entry under $tname/" sh -c "! tar -tzf '$tarball' | grep -v '^$tname/'"
    rm -rf "$WORK/tar-$a" && mkdir -p "$WORK/tar-$a" && tar -xzf "$tarball" -C "$WORK/tar-$a"
    same_files() {
        T=$WORK/tar-$a/$tname
        cmp "$T/qemu-ga-swift" "$(agent_of "$a")" && cmp "$T/install.sh" packaging/install.sh &&
            cmp "$T/json-c.COPYING" "$(dirname "$(agent_of "$a")")/json-c.COPYING" && cmp "$T/LICENSE" LICENSE &&
            cmp "$T/musl.COPYRIGHT" "$(dirname "$(agent_of "$a")")/musl.COPYRIGHT" &&
            cmp "$T/qemu-ga-swift.8" docs/qemu-ga-swift.8 && cmp "$T/fsfreeze-hook" hooks/fsfreeze-hook &&
            for f in qemu-guest-agent.service.in qemu-guest-agent.rules qemu-guest-agent.init.in \
                qemu-guest-agent.default.in qemu-guest-agent.openrc.in qemu-guest-agent.confd.in qemu-ga.conf; do
                cmp "$T/$f" "packaging/$f" || return 1
            done
    }
    check "$tarball: the $a binary and the files of the source tree, byte for byte" same_files
done
check "the tarball is reproducible (same inputs, same bytes)" sh -c "
    mkdir -p '$WORK/again' && scripts/make-tarball.sh x86_64 '$BIN' '$WORK/again/qemu-ga-swift-$VERSION-x86_64-linux.tar.gz' >/dev/null &&
    cmp '$WORK/again/qemu-ga-swift-$VERSION-x86_64-linux.tar.gz' dist/qemu-ga-swift-$VERSION-x86_64-linux.tar.gz"

TAR=$WORK/tar-x86_64/qemu-ga-swift-$VERSION-x86_64-linux
# fresh_root DIR [debian]: an empty root, Debian's when asked (/etc/debian_version)
fresh_root() {
    rm -rf "$1" && mkdir -p "$1/etc"
    [ "${2:-}" = debian ] && echo 12.0 >"$1/etc/debian_version"
    return 0
}
listing() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort); }
for layout in debian fedora; do
    for init in systemd sysv openrc; do
        R=$WORK/root-$layout-$init
        tag="[install.sh $layout/$init]"
        fresh_root "$R" $layout
        before=$(listing "$R")
        installed() {
            out=$(sh "$TAR/install.sh" --root "$R" --init $init 2>&1) || { echo "$out"; return 1; }
            echo "$out"
            printf '%s\n' "$out" | grep -q "installed qemu-ga-swift: $layout layout, $init"
        }
        check "$tag exit 0; the layout detected ($layout), the init system as asked" installed
        if [ $layout = debian ]; then sbin=/usr/sbin hook=/etc/qemu/fsfreeze-hook; else sbin=/usr/bin hook=/etc/qemu-ga/fsfreeze-hook; fi
        common() {
            cmp "$R$sbin/qemu-ga-swift" "$BIN" && [ -x "$R$sbin/qemu-ga-swift" ] &&
                [ "$(readlink "$R$sbin/qemu-ga")" = qemu-ga-swift ] && [ -x "$R$hook" ] &&
                [ -d "$R$hook.d" ] && [ -z "$(ls -A "$R$hook.d")" ] && [ -d "$R/var/log/qemu-ga" ] &&
                [ -f "$R/etc/qemu/qemu-ga.conf" ] && gzip -t "$R/usr/share/man/man8/qemu-ga-swift.8.gz" &&
                [ "$(readlink "$R/usr/share/man/man8/qemu-ga.8.gz")" = qemu-ga-swift.8.gz ] &&
                [ "$(find "$R/usr/share" -name json-c.COPYING | wc -l)" = 1 ] && [ "$(find "$R/usr/share" -name LICENSE | wc -l)" = 1 ] &&
                [ "$(find "$R/usr/share" -name '*.sample' | wc -l)" = 2 ] && [ -x "$R/usr/share/qemu-ga-swift/install.sh" ]
        }
        check "$tag binary + qemu-ga link in $sbin, hook $hook with an empty .d, qemu-ga.conf, samples, man page, licences" common
        # (the installed copy of install.sh holds the placeholders it fills)
        check "$tag no @PLACEHOLDER@ left" sh -c "! grep -rIn --exclude=install.sh '@[A-Z]*@' '$R'"
        service_files() {
            case $init in
                systemd)
                    unit=$(find "$R" -name qemu-guest-agent.service) && [ -n "$unit" ] &&
                        grep -q "^ExecStart=-$sbin/qemu-ga-swift " "$unit" && [ -n "$(find "$R" -name '*-qemu-guest-agent.rules')" ] &&
                        [ -z "$(find "$R/etc" -path '*init.d*' -type f)" ] ;;
                sysv)
                    script=$(find "$R/etc" -path '*init.d/qemu-g*' -type f) && [ -x "$script" ] &&
                        grep -qx "DAEMON=$sbin/qemu-ga-swift" "$script" && [ -z "$(find "$R" -name qemu-guest-agent.service)" ] ;;
                openrc)
                    [ "$(head -1 "$R/etc/init.d/qemu-guest-agent")" = '#!/sbin/openrc-run' ] &&
                        grep -qx "command=$sbin/qemu-ga-swift" "$R/etc/init.d/qemu-guest-agent" &&
                        grep -qx "FSFREEZE_HOOK_PATHNAME=$hook" "$R/etc/conf.d/qemu-guest-agent" &&
                        [ "$(readlink "$R/etc/runlevels/default/qemu-guest-agent")" = /etc/init.d/qemu-guest-agent ] &&
                        [ -z "$(find "$R" -name qemu-guest-agent.service)" ] ;;
            esac
        }
        check "$tag only $init's service files, pointing at $sbin/qemu-ga-swift" service_files
        manifest_complete() {
            # every path the root gained is in the manifest, and the manifest names nothing else
            gained=$(listing "$R" | sed 's|^\.||' | grep -vxF "$(printf '%s\n' "$before" | sed 's|^\.||')")
            same "$(tail -n +2 "$R/var/lib/qemu-ga-swift/manifest" | LC_ALL=C sort)" "$(printf '%s\n' "$gained" | LC_ALL=C sort)"
        }
        check "$tag the manifest lists exactly the paths it created" manifest_complete
        kept_settings() {
            settings=$(find "$R/etc/default" "$R/etc/sysconfig" "$R/etc/conf.d" -type f 2>/dev/null | head -1)
            echo 'BLOCK_RPCS=guest-exec' >>"$settings"
            sh "$TAR/install.sh" --root "$R" --init $init >/dev/null && tail -1 "$settings" | grep -qx 'BLOCK_RPCS=guest-exec'
        }
        check "$tag a second run succeeds and keeps the edited settings file" kept_settings
        echo "freeze ok" >"$R/var/log/qemu-ga/fsfreeze-hook.log"
        uninstalled() {
            sh "$R/usr/share/qemu-ga-swift/install.sh" --root "$R" --uninstall || return 1
            same "$(listing "$R")" "$before"
        }
        check "$tag --uninstall (the installed copy) leaves the root exactly as before, the hook log too" uninstalled
    done
done
# the layout of an Debian 12 image with systemd, and of an Alpine-like root with OpenRC
detect() { # detect ROOT: the "layout, init" install.sh picks
    sh "$TAR/install.sh" --root "$1" | sed -n 's/.*installed qemu-ga-swift: \([a-z]* layout, [a-z]*\),.*/\1/p'
}
detect_systemd() {
    fresh_root "$WORK/det1" debian && mkdir -p "$WORK/det1/sbin" && ln -s /lib/systemd/systemd "$WORK/det1/sbin/init"
    same "$(detect "$WORK/det1")" "debian layout, systemd"
}
check "[install.sh] detects Debian's layout and systemd (/sbin/init -> systemd) in an image" detect_systemd
detect_openrc() {
    fresh_root "$WORK/det2" && mkdir -p "$WORK/det2/sbin" && printf '#!/bin/sh\n' >"$WORK/det2/sbin/openrc-run" &&
        chmod 755 "$WORK/det2/sbin/openrc-run"
    same "$(detect "$WORK/det2")" "fedora layout, openrc"
}
check "[install.sh] detects OpenRC (openrc-run) and Fedora's layout (not Debian) in an Alpine-like image" detect_openrc
detect_sysv() { fresh_root "$WORK/det3" debian; same "$(detect "$WORK/det3")" "debian layout, sysv"; }
check "[install.sh] neither systemd nor OpenRC: SysV" detect_sysv
refuses_foreign() {
    fresh_root "$WORK/foreign" debian && mkdir -p "$WORK/foreign/usr/sbin" && echo distro >"$WORK/foreign/usr/sbin/qemu-ga"
    out=$(sh "$TAR/install.sh" --root "$WORK/foreign" --init systemd 2>&1) && return 1
    echo "$out"
    printf '%s\n' "$out" | grep -q '/usr/sbin/qemu-ga' && [ "$(cat "$WORK/foreign/usr/sbin/qemu-ga")" = distro ] &&
        [ ! -e "$WORK/foreign/var/lib/qemu-ga-swift/manifest" ] && [ ! -e "$WORK/foreign/usr/sbin/qemu-ga-swift" ]
}
check "[install.sh] a distribution's /usr/sbin/qemu-ga in the way: refuses, names it, installs nothing" refuses_foreign
check "[install.sh] --uninstall with nothing installed fails" sh -c "! sh '$TAR/install.sh' --root '$WORK/det3x' --uninstall"
check "[install.sh] --help exits 0 and names --uninstall; an unknown option exits 2" sh -c "
    sh '$TAR/install.sh' --help | grep -q -- --uninstall; sh '$TAR/install.sh' --bogus 2>/dev/null; [ \$? -eq 2 ]"

# The OpenRC script's start_pre, run as openrc-run would (the conf.d variables set), with the
# built agent: the argument vector it builds, and that the agent accepts it (-D).
OPENRC_SCRIPT=$WORK/root-debian-openrc-script
sed "s|^command=.*|command=$BIN|" packaging/qemu-guest-agent.openrc.in | sed 's|@HOOK@|/etc/qemu/fsfreeze-hook|g' >"$OPENRC_SCRIPT"
openrc_start_pre() { # openrc_start_pre VAR=value...: prints "args: ..." or the eerror
    env "$@" QGA_CONF=/nonexistent sh -c 'eerror() { echo "eerror: $*"; }; . "$1"; start_pre && echo "args: $command_args"' - "$OPENRC_SCRIPT"
}
openrc_args() {
    out=$(openrc_start_pre GA_METHOD=unix-listen GA_PATH="$WORK/o.sock" BLOCK_RPCS=guest-exec BLACKLIST_RPC=guest-set-time \
        FSFREEZE_HOOK_PATHNAME=/srv/hook DAEMON_ARGS="-v --fsfreeze-timeout=300") || { echo "$out"; return 1; }
    same "$out" "args: -d -f /run/qemu-ga.pid -m unix-listen -p $WORK/o.sock --block-rpcs=guest-set-time --block-rpcs=guest-exec -F/srv/hook -v --fsfreeze-timeout=300" || return 1
    # shellcheck disable=SC2046
    dump=$(QGA_CONF=/nonexistent "$BIN" $(printf '%s\n' "${out#args: -d -f /run/qemu-ga.pid }") -D) || return 1
    contains "$dump" "method=unix-listen" "path=$WORK/o.sock" "block-rpcs=guest-set-time,guest-exec" "fsfreeze-hook=/srv/hook" \
        "verbose=true" "fsfreeze-timeout=300"
}
check "[openrc] start_pre: GA_METHOD, GA_PATH, BLOCK_RPCS, BLACKLIST_RPC, FSFREEZE_HOOK_PATHNAME, DAEMON_ARGS reach the agent" openrc_args
openrc_default() {
    out=$(openrc_start_pre GA_PATH="$WORK/o.sock" GA_METHOD=unix-listen) || { echo "$out"; return 1; }
    same "$out" "args: -d -f /run/qemu-ga.pid -m unix-listen -p $WORK/o.sock -F/etc/qemu/fsfreeze-hook "
}
check "[openrc] start_pre with empty settings: the default hook, nothing blocked" openrc_default
openrc_no_port() {
    out=$(openrc_start_pre GA_PATH="$WORK/no-such-port") && { echo "$out"; return 1; }
    same "$out" "eerror: no org.qemu.guest_agent.0 port: the agent has nothing to serve"
}
check "[openrc] start_pre without the port: fails with the reason" openrc_no_port

# ------------------------------------------------------------------ man page
MAN=docs/qemu-ga-swift.8
groff_clean() { out=$(groff -man -ww -z "$MAN" 2>&1); [ -z "$out" ] || { echo "$out"; return 1; }; }
check "groff -man -ww -z: no warning" groff_clean
man_clean() { out=$(MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null); [ -z "$out" ] || { echo "$out"; return 1; }; }
check "man --warnings at 80 columns: no warning" man_clean
man_text=$(MANWIDTH=200 man -l "$MAN" 2>/dev/null)
options_in_man() {
    missing=
    for opt in $("$BIN" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        printf '%s\n' "$man_text" | grep -q -- "$opt\\b" || missing="$missing $opt"
    done
    printf '%s\n' "$man_text" | grep -q -- "--blacklist" || missing="$missing --blacklist"
    for opt in -m -p -l -f -F -t -v -V -d -b -a -D -r -c -h; do
        printf '%s\n' "$man_text" | grep -q -- "^ *$opt\\b" || missing="$missing $opt"
    done
    [ -z "$missing" ] || { echo "not in the man page:$missing"; return 1; }
}
check "the man page names every option of --help (and qemu-ga's short ones)" options_in_man
keys_in_man() {
    missing=
    # -D prints the timeouts only when they differ from the defaults, the vsock CIDs when set
    for key in $(QGA_CONF=/nonexistent "$BIN" --fsfreeze-timeout=1 --fsfreeze-hook-timeout=1 --allow-vsock-cids=1 -D |
        sed -n 's/^\([a-z-]*\)=.*/\1/p'); do
        printf '%s\n' "$man_text" | grep -q -- "^ *$key=" || missing="$missing $key"
    done
    [ -z "$missing" ] || { echo "config keys not in the man page:$missing"; return 1; }
}
check "the man page names every config key of -D" keys_in_man

# ------------------------------------------------------------------ sample qemu-ga.conf
sample_conf() {
    default=$(QGA_CONF=/nonexistent "$BIN" -D) || return 1
    with_sample=$("$BIN" -c "$WORK/debian/etc/qemu/qemu-ga.conf" -D) || return 1
    same "$with_sample" "$default"
}
check "the shipped qemu-ga.conf (all commented) changes nothing (-D)" sample_conf

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
