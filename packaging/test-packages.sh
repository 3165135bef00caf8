#!/bin/sh
# packaging/test-packages.sh: tests of how guests install and run the agent (make package-test,
# part of make test). Needs dist/qemu-ga-swift (make release), dist/qemu-ga-swift_*.deb
# (make deb) and dist/qemu-ga-swift-*.rpm (make rpm); never installs a package on this machine
# and never touches its services (agents run on unix sockets in a temporary directory). Checks:
#   - one version everywhere: AgentVersion.release, debian/changelog, the .deb, the .rpm;
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
DEB=$(ls dist/qemu-ga-swift_*.deb 2>/dev/null)
RPM=$(ls dist/qemu-ga-swift-*.rpm 2>/dev/null)

# ------------------------------------------------------------------ version
check "AgentVersion.release is a version ($VERSION)" sh -c "printf '%s' '$VERSION' | grep -Eqx '[0-9]+[.][0-9]+[.][0-9]+'"
check "debian/changelog's version is AgentVersion.release" \
    same "$(dpkg-parsechangelog -S Version -l debian/changelog)" "$VERSION"
check "exactly one .deb in dist/, named for the version" same "$DEB" "dist/qemu-ga-swift_${VERSION}_$ARCH.deb"
check "the .deb's version field" same "$(dpkg-deb -f "$DEB" Version 2>&1)" "$VERSION"
check "exactly one .rpm in dist/, of the version" same "$(rpm -qp --qf '%{VERSION}' $RPM 2>&1)" "$VERSION"
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
/usr/share/doc/qemu-ga-swift/examples/mysql-flush.sh.sample 644
/usr/share/doc/qemu-ga-swift/examples/postgresql-checkpoint.sh.sample 644
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
/usr/share/man/man8/qemu-ga-swift.8.gz 644
/usr/share/man/man8/qemu-ga.8.gz -> qemu-ga-swift.8.gz
/usr/share/qemu/qemu-ga/mysql-flush.sh.sample 644
/usr/share/qemu/qemu-ga/postgresql-checkpoint.sh.sample 644
/var/log/qemu-ga/ 755'
# The leaves of a tree (files, symlinks, empty directories) with their modes or targets.
tree() {
    (cd "$1" && find . -mindepth 1 \( -type f -o -type l -o -type d -empty \) | sort | while read -r f; do
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
packaging/test-deb-chroot.sh"
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
check "lintian: no errors (warnings are documented in debian/*.lintian-overrides)" \
    lintian --fail-on error "$DEB"
DEB_PATHS=$(dpkg-deb -c "$DEB" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' | sed 's|^\./|/|; s|/$||' | sort)
check "the .deb holds make install's tree (Debian layout) and its docs" contains "$DEB_PATHS" \
    /usr/sbin/qemu-ga-swift "/usr/sbin/qemu-ga -> qemu-ga-swift" /etc/qemu/fsfreeze-hook /etc/qemu/fsfreeze-hook.d \
    /etc/qemu/qemu-ga.conf /etc/default/qemu-guest-agent /etc/init.d/qemu-guest-agent \
    /lib/systemd/system/qemu-guest-agent.service /lib/udev/rules.d/60-qemu-guest-agent.rules \
    /usr/share/doc/qemu-ga-swift/examples/mysql-flush.sh.sample /usr/share/doc/qemu-ga-swift/examples/postgresql-checkpoint.sh.sample \
    /usr/share/man/man8/qemu-ga-swift.8.gz "/usr/share/man/man8/qemu-ga.8.gz -> qemu-ga-swift.8.gz" \
    /usr/share/doc/qemu-ga-swift/copyright /usr/share/doc/qemu-ga-swift/changelog.gz /var/log/qemu-ga
check "the .deb's binary is dist/qemu-ga-swift" sh -c "
    dpkg-deb --fsys-tarfile '$DEB' | tar -xOf - ./usr/sbin/qemu-ga-swift | cmp - '$BIN'"
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
check "Depends computed by dh_shlibdeps: libc6 and libjson-c5 only (no Swift runtime, no libstdc++)" same \
    "$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort | tr '\n' ' ')" "libc6 libjson-c5 "
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
    printf '%s\n' /etc/qemu /etc/qemu-ga /usr/share/qemu /usr/share/qemu/qemu-ga
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
check "rpm: Provides and Conflicts qemu-guest-agent; requires libjson-c.so.5" sh -c "
    rpm -qp --provides '$RPM' | grep -q '^qemu-guest-agent = ' && rpm -qp --conflicts '$RPM' | grep -qx qemu-guest-agent &&
    rpm -qpR '$RPM' | grep -q '^libjson-c.so.5()(64bit)'"
check "rpm scriptlets parse (sh -n)" sh -c "rpm -qp --qf '%{POSTIN}\n' '$RPM' | sh -n && rpm -qp --qf '%{PREUN}\n' '$RPM' | sh -n && rpm -qp --qf '%{POSTUN}\n' '$RPM' | sh -n"

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
