#!/bin/sh
# install.sh: installs qemu-ga-swift from its tarball (qemu-ga-swift-VERSION-ARCH-linux.tar.gz)
# on any Linux: the static binary needs no library. Run it as root from the unpacked
# directory:
#     sh install.sh                 install, enable the service, start it when the port exists
#     sh install.sh --uninstall     remove every file an earlier run installed
# (or sh /usr/share/qemu-ga-swift/install.sh --uninstall, the copy it installs).
#
# It detects the init system (systemd, OpenRC, else SysV) and the layout: Debian's paths
# (/usr/sbin/qemu-ga, /etc/qemu/fsfreeze-hook, /etc/default/qemu-guest-agent) on Debian and
# its derivatives, Fedora's (/usr/bin/qemu-ga, /etc/qemu-ga/fsfreeze-hook, /etc/sysconfig/qemu-ga)
# everywhere else, as Fedora, RHEL, SUSE, Alpine and Arch put qemu-ga in /usr/bin. It installs
# only what that init system uses: systemd the unit and the udev rule that starts it when the
# port appears; OpenRC /etc/init.d/qemu-guest-agent with /etc/conf.d/qemu-guest-agent (the
# names of Alpine's service); SysV the init script of the .deb and .rpm. Every path it creates
# is listed in /var/lib/qemu-ga-swift/manifest, which --uninstall reads.
#
# It never overwrites a file it did not install: with a distribution's qemu-guest-agent
# package installed it stops and names the files in the way (remove that package first).
# On a second run settings files are kept as they are.
#
# Options:
#   --root DIR      install into DIR as the root (an image or a test tree; DESTDIR works too):
#                   nothing is enabled through the running system or started; OpenRC's
#                   runlevel link is still made
#   --layout debian|fedora    --init systemd|openrc|sysv    instead of detecting them
#   --no-start      install and enable, do not start
#   --uninstall     stop, disable and remove everything the manifest lists
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${DESTDIR:-}
LAYOUT=
INIT=
START=yes
ACTION=install
usage() { sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --root) ROOT=${2:?--root needs a directory}; shift ;;
        --root=*) ROOT=${1#--root=} ;;
        --layout) LAYOUT=${2:?--layout needs debian or fedora}; shift ;;
        --layout=*) LAYOUT=${1#--layout=} ;;
        --init) INIT=${2:?--init needs systemd, openrc or sysv}; shift ;;
        --init=*) INIT=${1#--init=} ;;
        --no-start) START=no ;;
        --uninstall) ACTION=uninstall ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1 (--help lists them)" >&2; exit 2 ;;
    esac
    shift
done
ROOT=${ROOT%/}
# Only a real install touches the running system (services, udev).
LIVE=no
[ -z "$ROOT" ] && LIVE=yes
say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }

STATE=/var/lib/qemu-ga-swift
MANIFEST=$STATE/manifest
PORT=org.qemu.guest_agent.0

# --------------------------------------------------------------------------- detection
detect_layout() {
    [ -f "$ROOT/etc/debian_version" ] && { echo debian; return; }
    echo fedora
}
detect_init() {
    if [ "$LIVE" = yes ]; then
        # what runs now: systemd's and OpenRC's run-time directories
        [ -d /run/systemd/system ] && { echo systemd; return; }
        { [ -d /run/openrc ] || [ -f /run/openrc/softlevel ]; } && { echo openrc; return; }
        echo sysv
        return
    fi
    # an image: what its /sbin/init is
    init=$(readlink "$ROOT/sbin/init" 2>/dev/null || true)
    case "$init" in *systemd*) echo systemd; return ;; esac
    [ -x "$ROOT/sbin/openrc-run" ] || [ -x "$ROOT/usr/sbin/openrc-run" ] && { echo openrc; return; }
    echo sysv
}

# The agent's port is there (udev's link, or the port by name in sysfs when udev has not
# made the link yet).
has_port() {
    [ -e "/dev/virtio-ports/$PORT" ] && return 0
    for name in /sys/class/virtio-ports/*/name; do
        [ -r "$name" ] && [ "$(cat "$name")" = "$PORT" ] && return 0
    done
    return 1
}

# --------------------------------------------------------------------------- uninstall
# The manifest: "# layout=L init=I" then one path a line, in the order created. Removed in
# reverse: files and links, then directories this script created (when empty).
uninstall() {
    [ -f "$ROOT$MANIFEST" ] || die "nothing to uninstall: no $ROOT$MANIFEST"
    header=$(head -n 1 "$ROOT$MANIFEST")
    LAYOUT=$(printf '%s\n' "$header" | sed -n 's/.*layout=\([a-z]*\).*/\1/p')
    INIT=$(printf '%s\n' "$header" | sed -n 's/.*init=\([a-z]*\).*/\1/p')
    set_paths
    if [ "$LIVE" = yes ]; then
        case "$INIT" in
            systemd) systemctl stop qemu-guest-agent.service >/dev/null 2>&1 || true ;;
            openrc) rc-service qemu-guest-agent stop >/dev/null 2>&1 || true ;;
            sysv)
                "$INITDIR/$INITNAME" stop >/dev/null 2>&1 || true
                if command -v update-rc.d >/dev/null 2>&1; then update-rc.d -f "$INITNAME" remove >/dev/null 2>&1 || true
                elif command -v chkconfig >/dev/null 2>&1; then chkconfig --del "$INITNAME" >/dev/null 2>&1 || true; fi
                ;;
        esac
    fi
    # the hook's log, which the agent's hook wrote (as the packages' purge)
    rm -f "$ROOT$LOGDIR"/fsfreeze-hook.log "$ROOT$LOGDIR"/fsfreeze-hook.log.*
    tail -n +2 "$ROOT$MANIFEST" | sed -n '1!G;h;$p' | while IFS= read -r path; do
        target=$ROOT$path
        if [ -L "$target" ] || [ -f "$target" ]; then
            rm -f "$target"
        elif [ -d "$target" ]; then
            rmdir "$target" 2>/dev/null || say "kept $path: not empty"
        fi
    done
    rm -f "$ROOT$MANIFEST"
    rmdir "$ROOT$STATE" 2>/dev/null || true
    if [ "$LIVE" = yes ] && [ "$INIT" = systemd ]; then
        systemctl daemon-reload >/dev/null 2>&1 || true
        udevadm control --reload-rules >/dev/null 2>&1 || true
    fi
    say "removed qemu-ga-swift ($LAYOUT layout, $INIT)"
}

# --------------------------------------------------------------------------- paths
set_paths() {
    MANDIR=/usr/share/man
    LOGDIR=/var/log/qemu-ga
    SHAREDIR=/usr/share/qemu-ga-swift
    case "$LAYOUT" in
        debian)
            SBINDIR=/usr/sbin; UNITDIR=/lib/systemd/system; UDEVRULESDIR=/lib/udev/rules.d
            UDEVRULE=60-qemu-guest-agent.rules; HOOKDIR=/etc/qemu; ENVFILE=/etc/default/qemu-guest-agent
            INITDIR=/etc/init.d; INITNAME=qemu-guest-agent; SAMPLEDIR=/usr/share/doc/qemu-ga-swift/examples
            LICENSEDIR=/usr/share/doc/qemu-ga-swift
            ;;
        fedora)
            SBINDIR=/usr/bin; UNITDIR=/usr/lib/systemd/system; UDEVRULESDIR=/usr/lib/udev/rules.d
            UDEVRULE=99-qemu-guest-agent.rules; HOOKDIR=/etc/qemu-ga; ENVFILE=/etc/sysconfig/qemu-ga
            INITDIR=/etc/rc.d/init.d; INITNAME=qemu-ga; SAMPLEDIR=/usr/share/qemu/qemu-ga
            LICENSEDIR=/usr/share/licenses/qemu-ga-swift
            ;;
        *) die "unknown layout '$LAYOUT' (debian or fedora)" ;;
    esac
    case "$INIT" in
        systemd|sysv) ;;
        openrc)
            # OpenRC's own places, whatever the distribution
            INITDIR=/etc/init.d; INITNAME=qemu-guest-agent; ENVFILE=/etc/conf.d/qemu-guest-agent ;;
        *) die "unknown init system '$INIT' (systemd, openrc or sysv)" ;;
    esac
}

# @NAME@ placeholders of the templates, as `make install` fills them.
subst() {
    sed -e "s|@SBINDIR@|$SBINDIR|g" -e "s|@ENVFILE@|$ENVFILE|g" \
        -e "s|@HOOK@|$HOOKDIR/fsfreeze-hook|g" -e "s|@HOOKDIR@|$HOOKDIR|g" \
        -e "s|@UDEVRULE@|$UDEVRULE|g" -e "s|@INITNAME@|$INITNAME|g" \
        -e "s|@INITSCRIPT@|$INITDIR/$INITNAME|g" -e "s|@SAMPLEDIR@|$SAMPLEDIR|g" "$1"
}

# --------------------------------------------------------------------------- install
# The plan: one line per path, "MODE PATH SOURCE [config]": MODE d (directory), l (symlink to
# SOURCE), else the octal mode of a file made from SOURCE (a template when it ends in .in).
plan() {
    echo "d $SBINDIR"
    echo "755 $SBINDIR/qemu-ga-swift qemu-ga-swift"
    echo "l $SBINDIR/qemu-ga qemu-ga-swift"
    echo "d /etc/qemu"
    echo "644 /etc/qemu/qemu-ga.conf qemu-ga.conf config"
    echo "d $HOOKDIR"
    echo "755 $HOOKDIR/fsfreeze-hook fsfreeze-hook config"
    echo "d $HOOKDIR/fsfreeze-hook.d"
    echo "d $LOGDIR"
    echo "d $(dirname "$ENVFILE")"
    case "$INIT" in
        systemd)
            echo "644 $ENVFILE qemu-guest-agent.default.in config"
            echo "d $UNITDIR"
            echo "644 $UNITDIR/qemu-guest-agent.service qemu-guest-agent.service.in"
            echo "d $UDEVRULESDIR"
            echo "644 $UDEVRULESDIR/$UDEVRULE qemu-guest-agent.rules"
            ;;
        sysv)
            echo "644 $ENVFILE qemu-guest-agent.default.in config"
            echo "d $INITDIR"
            echo "755 $INITDIR/$INITNAME qemu-guest-agent.init.in"
            ;;
        openrc)
            echo "644 $ENVFILE qemu-guest-agent.confd.in config"
            echo "d $INITDIR"
            echo "755 $INITDIR/$INITNAME qemu-guest-agent.openrc.in"
            # rc-update add qemu-guest-agent default, done as rc-update does it (also in an image)
            echo "d /etc/runlevels"
            echo "d /etc/runlevels/default"
            echo "l /etc/runlevels/default/$INITNAME $INITDIR/$INITNAME"
            ;;
    esac
    echo "d $SAMPLEDIR"
    for sample in "$HERE"/samples/*.sample; do
        echo "644 $SAMPLEDIR/${sample##*/} samples/${sample##*/}"
    done
    echo "d $MANDIR/man8"
    echo "644 $MANDIR/man8/qemu-ga-swift.8.gz qemu-ga-swift.8"
    echo "l $MANDIR/man8/qemu-ga.8.gz qemu-ga-swift.8.gz"
    echo "d $LICENSEDIR"
    echo "644 $LICENSEDIR/LICENSE LICENSE"
    echo "644 $LICENSEDIR/json-c.COPYING json-c.COPYING"
    echo "644 $LICENSEDIR/musl.COPYRIGHT musl.COPYRIGHT"
    echo "d $SHAREDIR"
    # a copy of this script, for --uninstall once the tarball is gone
    echo "755 $SHAREDIR/install.sh install.sh"
    echo "d $STATE"
}

# The directory and each parent that does not exist yet, outermost first.
missing_dirs() {
    dir=$1
    list=
    while [ -n "$dir" ] && [ "$dir" != / ] && [ ! -d "$ROOT$dir" ] && [ ! -L "$ROOT$dir" ]; do
        list="$dir $list"
        dir=$(dirname "$dir")
    done
    [ -n "$list" ] && printf '%s\n' $list
    return 0
}

install_all() {
    [ -n "$LAYOUT" ] || LAYOUT=$(detect_layout)
    [ -n "$INIT" ] || INIT=$(detect_init)
    set_paths
    [ -x "$HERE/qemu-ga-swift" ] || die "no qemu-ga-swift next to install.sh: run it from the unpacked tarball"
    previous=
    if [ -f "$ROOT$MANIFEST" ]; then
        previous=$(tail -n +2 "$ROOT$MANIFEST")
        header=$(head -n 1 "$ROOT$MANIFEST")
        case "$header" in
            *"layout=$LAYOUT init=$INIT"*) ;;
            *) die "installed before with other settings ($header): run install.sh --uninstall first" ;;
        esac
    fi
    ours() { printf '%s\n' "$previous" | grep -Fqx -- "$1"; }

    # Nothing in the way: every file we would write is absent or ours.
    conflicts=
    planfile=$(mktemp)
    trap 'rm -f "$planfile"' EXIT
    plan >"$planfile"
    while read -r mode path source extra; do
        [ "$mode" = d ] && continue
        if { [ -e "$ROOT$path" ] || [ -L "$ROOT$path" ]; } && ! ours "$path"; then
            conflicts="$conflicts $path"
        fi
    done <"$planfile"
    if [ -n "$conflicts" ]; then
        die "not installing: these files exist and are not from an earlier install.sh:$conflicts
(a distribution's qemu-guest-agent? remove it first, e.g. apt purge qemu-guest-agent, dnf remove qemu-guest-agent, apk del qemu-guest-agent)"
    fi

    new_manifest=$(mktemp)
    trap 'rm -f "$planfile" "$new_manifest"' EXIT
    echo "# qemu-ga-swift install.sh: layout=$LAYOUT init=$INIT" >"$new_manifest"
    # directories made by an earlier run stay ours
    printf '%s\n' "$previous" | while IFS= read -r path; do
        if [ -n "$path" ] && [ -d "$ROOT$path" ] && [ ! -L "$ROOT$path" ]; then echo "$path"; fi
    done >>"$new_manifest"
    while read -r mode path source extra; do
        case "$mode" in
            d)
                for dir in $(missing_dirs "$path"); do
                    mkdir "$ROOT$dir"
                    chmod 755 "$ROOT$dir"
                    echo "$dir" >>"$new_manifest"
                done
                continue ;;
        esac
        for dir in $(missing_dirs "$(dirname "$path")"); do
            mkdir "$ROOT$dir"
            chmod 755 "$ROOT$dir"
            echo "$dir" >>"$new_manifest"
        done
        target=$ROOT$path
        if [ "$mode" = l ]; then
            rm -f "$target"
            ln -s "$source" "$target"
        elif [ "$extra" = config ] && [ -e "$target" ]; then
            say "kept $path (settings)"
        else
            case "$source" in
                *.8) gzip -9n <"$HERE/$source" >"$target.tmp" ;;
                *.in|qemu-ga.conf) subst "$HERE/$source" >"$target.tmp" ;;
                *) cp "$HERE/$source" "$target.tmp" ;;
            esac
            chmod "$mode" "$target.tmp"
            mv -f "$target.tmp" "$target"
        fi
        echo "$path" >>"$new_manifest"
    done <"$planfile"
    # the manifest lists itself last, so that --uninstall removes it with the rest
    echo "$MANIFEST" >>"$new_manifest"
    awk '!seen[$0]++' "$new_manifest" >"$ROOT$MANIFEST"
    chmod 644 "$ROOT$MANIFEST"
    say "installed qemu-ga-swift: $LAYOUT layout, $INIT, binary $SBINDIR/qemu-ga-swift ($(($(wc -l <"$ROOT$MANIFEST") - 1)) paths in $MANIFEST)"

    [ "$LIVE" = yes ] || { say "not enabled through a running system nor started (--root)"; return 0; }
    case "$INIT" in
        systemd)
            systemctl daemon-reload
            # the udev rule starts the unit when the port appears: replay the port's "add"
            udevadm control --reload-rules >/dev/null 2>&1 || true
            udevadm trigger --subsystem-match=virtio-ports --action=add >/dev/null 2>&1 || true
            udevadm settle --timeout=10 >/dev/null 2>&1 || true
            ;;
        sysv)
            if command -v update-rc.d >/dev/null 2>&1; then update-rc.d "$INITNAME" defaults >/dev/null
            elif command -v chkconfig >/dev/null 2>&1; then chkconfig --add "$INITNAME"
            else say "enable $INITDIR/$INITNAME in your runlevels by hand (no update-rc.d, no chkconfig)"; fi
            ;;
    esac
    if [ "$START" = no ]; then
        say "not started (--no-start)"
    elif ! has_port; then
        say "no $PORT port now: the service starts when it appears (systemd) or at the next boot"
    else
        case "$INIT" in
            systemd) systemctl start qemu-guest-agent.service ;;
            openrc)
                # OpenRC can still hold a service of this name as started when no agent runs:
                # a removed package's SysV script that OpenRC started at boot, stopped by the
                # package's prerm behind OpenRC's back (seen on Debian with openrc: "already
                # been started", and nothing ran). Reset that state first.
                if ! pidof qemu-ga-swift qemu-ga >/dev/null 2>&1; then
                    rc-service qemu-guest-agent zap >/dev/null 2>&1 || true
                fi
                rc-service qemu-guest-agent start ;;
            sysv) "$INITDIR/$INITNAME" start ;;
        esac
        say "started"
    fi
}

[ "$(id -u)" -eq 0 ] || [ -n "$ROOT" ] || die "run as root (or with --root DIR)"
case "$ACTION" in
    install) install_all ;;
    uninstall) uninstall ;;
esac
