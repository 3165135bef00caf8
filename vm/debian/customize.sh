#!/bin/sh
# vm/debian/customize.sh ROOT REPO: mmdebstrap's customize hook (vm/debian/build-image.sh;
# GUEST_INIT=systemd or sysv). Turns the chroot into a test guest; see build-image.sh's
# header for what and why.
set -eu
ROOT=$1
REPO=$2
HERE=$REPO/vm/debian

install -m 0755 "$REPO/vm/guest/e2e-ctl" "$ROOT/usr/bin/qga-e2e-ctl"
if [ "${GUEST_INIT:-systemd}" = systemd ]; then
    install -m 0644 "$HERE/guest/qga-e2e-ctl.service" "$ROOT/etc/systemd/system/qga-e2e-ctl.service"
    install -m 0644 "$HERE/guest/60-qga-e2e-ctl.rules" "$ROOT/etc/udev/rules.d/60-qga-e2e-ctl.rules"
    for t in apt-daily.timer apt-daily-upgrade.timer; do
        ln -sf /dev/null "$ROOT/etc/systemd/system/$t"
    done
else
    # No systemd: init itself keeps the control shell running (its own process tree, so
    # restarting the agent's service never touches it). It waits for its port (devtmpfs
    # makes the device; udev is not needed).
    printf '%s\n' '# qemu-ga-swift test guest: the control shell on org.qemu.e2e.ctl (vm/guest/e2e-ctl)' \
        'qc:2345:respawn:/bin/sh -c "sleep 1; exec /usr/bin/qga-e2e-ctl"' >>"$ROOT/etc/inittab"
    # OpenRC starts independent boot scripts side by side (one after the other the boot
    # took 250 s to the agent's first reply under TCG on a loaded host)
    sed -i 's/^#\{0,1\}rc_parallel=.*/rc_parallel="YES"/' "$ROOT/etc/rc.conf"
    grep -qx 'rc_parallel="YES"' "$ROOT/etc/rc.conf"
fi

echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$ROOT/etc/fstab"
echo qga-debian >"$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 qga-debian\n' >"$ROOT/etc/hosts"
chroot "$ROOT" passwd -d root >/dev/null
