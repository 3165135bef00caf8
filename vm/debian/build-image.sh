#!/bin/sh
# vm/debian/build-image.sh [CACHE_DIR]   (used by vm/debian/test.sh)
#
# A Debian guest image with udev, the Debian kernel and Debian's own qemu-guest-agent (the
# agent ours replaces), built by mmdebstrap from the apt sources of this machine
# (/etc/apt/sources.list.d/debian.sources, or APT_SOURCES) with the suite name changed, so no
# mirror is named here. Which Debian and which init:
#     SUITE=bookworm (default) | bullseye | trixie
#     GUEST_INIT=systemd (default): systemd, systemd-sysv, dbus (systemd-logind, which
#         `shutdown +0`, qemu-ga's guest-shutdown, needs to schedule the power-off)
#     GUEST_INIT=sysv: sysvinit-core and openrc instead (sysvinit is PID 1, OpenRC runs the
#         boot scripts, udev still runs; no systemd at all)
# The result is cached in CACHE_DIR (.build-vm/debian for bookworm with systemd) under a key
# made of the suite, the package list and the files that shape the image; a second run with
# the same key only prints the directory:
#     CACHE_DIR/image-KEY/root.img      ext4, the whole root filesystem (raw, sparse)
#     CACHE_DIR/image-KEY/vmlinuz       the kernel and initrd from the image's /boot
#     CACHE_DIR/image-KEY/initrd.img
#     CACHE_DIR/image-KEY/kernel-version, packages.txt (dpkg -l), build.log
# The last line on stdout is the image directory. Older images in CACHE_DIR are removed (one
# CACHE_DIR per suite and init).
#
# Test additions in the image: the control shell vm/guest/e2e-ctl on the virtio-serial
# port org.qemu.e2e.ctl (systemd: a udev rule + unit, guest/; sysv: a respawn line in
# /etc/inittab), an fstab for /dev/vda, a fixed hostname, an empty root password (serial
# console login when debugging), a machine-id (no first-boot prompts), apt's daily timers
# masked (they would take the dpkg lock while the suite installs packages).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${1:-$REPO/.build-vm/debian}
SOURCES=${APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
SUITE=${SUITE:-bookworm}
GUEST_INIT=${GUEST_INIT:-systemd}
IMAGE_MB=${IMAGE_MB:-2048}
# udev/kernel: what a real guest boots with; qemu-guest-agent: Debian's agent, swapped for
# ours by the suite; libjson-c5: the dependency of a dynamically linked package (no network
# in the guest); kmod, e2fsprogs, procps: what the scenarios look with.
# Recommends are not installed (a smaller, fixed set).
case "$GUEST_INIT" in
    systemd) INIT_PACKAGES="systemd systemd-sysv dbus" ;;
    sysv) INIT_PACKAGES="sysvinit-core openrc" ;;
    *) echo "build-image: GUEST_INIT must be systemd or sysv" >&2; exit 1 ;;
esac
PACKAGES="$INIT_PACKAGES udev linux-image-amd64 initramfs-tools zstd qemu-guest-agent \
libjson-c5 kmod e2fsprogs procps"

say() { echo "debian-image: $*" >&2; }

mkdir -p "$CACHE"
key=$( { echo "$SUITE $GUEST_INIT $PACKAGES $IMAGE_MB"; cat "$0" "$HERE/customize.sh" "$SOURCES" "$HERE/guest/"* "$REPO/vm/guest/e2e-ctl"; } \
    | sha256sum | cut -c1-16)
OUT=$CACHE/image-$key
if [ -f "$OUT/root.img" ] && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ]; then
    say "cached: $OUT"
    echo "$OUT"
    exit 0
fi

for old in "$CACHE"/image-* "$CACHE"/tmp-image-*; do
    [ -e "$old" ] && rm -rf "$old"
done
TMP=$CACHE/tmp-image-$key
ROOT=$TMP/root
mkdir -p "$TMP"
t0=$(date +%s)

say "mmdebstrap $SUITE ($PACKAGES), sources from $SOURCES"
# root mode into a directory (this runs as root); the sources file is pasted into the
# image's apt sources with this machine's suite (the first Suites: word, e.g. bookworm)
# replaced by SUITE, also in -updates and -security.
host_suite=$(awk '/^Suites:/{print $2; exit}' "$SOURCES" 2>/dev/null)
[ -n "$host_suite" ] || host_suite=$(awk '$1 == "deb" {print $3; exit}' "$SOURCES")
sed "s/\b$host_suite\b/$SUITE/g" "$SOURCES" >"$TMP/sources"
mmdebstrap --variant=minbase --mode=root --format=directory \
    --aptopt='APT::Install-Recommends "false"' \
    --include="$(echo $PACKAGES | tr ' ' ,)" \
    --customize-hook="GUEST_INIT=$GUEST_INIT $HERE/customize.sh \"\$1\" \"$REPO\"" \
    "$SUITE" "$ROOT" - <"$TMP/sources" >"$TMP/build.log" 2>&1 \
    || { tail -30 "$TMP/build.log" >&2; say "mmdebstrap failed (log: $TMP/build.log)"; exit 1; }
t1=$(date +%s)

# after mmdebstrap's cleanup, which empties /etc/machine-id
cat /proc/sys/kernel/random/uuid | tr -d - >"$ROOT/etc/machine-id"
kver=$(ls "$ROOT/lib/modules" | head -1)
cp "$ROOT/boot/vmlinuz-$kver" "$TMP/vmlinuz"
cp "$ROOT/boot/initrd.img-$kver" "$TMP/initrd.img"
echo "$kver" >"$TMP/kernel-version"
chroot "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' >"$TMP/packages.txt"
du -sm "$ROOT" | cut -f1 >"$TMP/rootfs-mb"

mkfs.ext4 -q -F -L debian-root -d "$ROOT" "$TMP/root.img" "${IMAGE_MB}M" >>"$TMP/build.log" 2>&1
t2=$(date +%s)
rm -rf "$ROOT"
mv "$TMP" "$OUT"
say "built $OUT: mmdebstrap $((t1 - t0)) s, mkfs.ext4 -d $((t2 - t1)) s, rootfs $(cat "$OUT/rootfs-mb") MB, kernel $kver"
echo "$OUT"
