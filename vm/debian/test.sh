#!/bin/sh
# vm/debian/test.sh [e2e options]   (make debian-vm-test, after make deb and make tarball)
#
# Our Debian package in a real Debian guest (udev, the Debian kernel): installs the host
# packages it needs when missing, builds or reuses the cached image (vm/debian/build-image.sh),
# then runs the suite with the one amd64 package in dist/ (DEB=path to choose another).
# Which guest (environment):
#     SUITE=bookworm GUEST_INIT=systemd (default)   Debian 12 with systemd: e2e_debian.py, every
#                                   scenario; image and logs in .build-vm/debian/
#     SUITE=bullseye | trixie       Debian 11 / 13 with systemd: e2e_debian.py, scenarios
#                                   1,2,4,5,7,10,9 (no hot-plug, no second boot, no busy stops);
#                                   .build-vm/debian-SUITE/
#     SUITE=bookworm GUEST_INIT=sysv  Debian 12 with sysvinit and OpenRC, no systemd:
#                                   e2e_sysv.py with the .deb and the tarball (TARBALL=path);
#                                   .build-vm/debian-bookworm-sysv/
# The last line printed is "N passed, N failed". Logs: CACHE/logs/.
#
# Options go to the suite: --only 4,5  --keep  --list (e2e_debian.py also --debian-agent).
# Environment: DEB, TARBALL, DEBIAN_E2E_TIMEOUT (seconds for the suite, default 1500),
# APT_SOURCES (apt sources for the image, default /etc/apt/sources.list.d/debian.sources).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
SUITE=${SUITE:-bookworm}
GUEST_INIT=${GUEST_INIT:-systemd}
export SUITE GUEST_INIT
say() { echo "debian-vm-test ($SUITE, $GUEST_INIT): $*" >&2; }
t0=$(date +%s)

if [ "$SUITE-$GUEST_INIT" = bookworm-systemd ]; then
    CACHE=$REPO/.build-vm/debian
elif [ "$GUEST_INIT" = systemd ]; then
    CACHE=$REPO/.build-vm/debian-$SUITE
else
    CACHE=$REPO/.build-vm/debian-$SUITE-$GUEST_INIT
fi

"$REPO/scripts/install-deps.sh" mmdebstrap qemu-system-x86 qemu-utils e2fsprogs python3

IMAGE=$("$HERE/build-image.sh" "$CACHE" | tail -1)
t1=$(date +%s)
say "image $IMAGE ($((t1 - t0)) s)"

# exactly one file matching the pattern, or stop
one() {
    found=$(ls $1 2>/dev/null || true)
    [ "$(echo "$found" | grep -c .)" = 1 ] || { say "need exactly one $1 ($2), found: ${found:-none}"; exit 1; }
    echo "$found"
}

SCRIPT=$HERE/e2e_debian.py
[ "$GUEST_INIT" = sysv ] && SCRIPT=$HERE/e2e_sysv.py
case " $* " in
    *" --debian-agent "* | *" --list "*) set -- "$IMAGE" "$@" ;;
    *)
        DEB=${DEB:-$(one "$REPO/dist/qemu-ga-swift_*_amd64.deb" "make deb")}
        if [ "$GUEST_INIT" = sysv ]; then
            TARBALL=${TARBALL:-$(one "$REPO/dist/qemu-ga-swift-*-x86_64-linux.tar.gz" "make tarball")}
            set -- "$IMAGE" --deb "$DEB" --tarball "$TARBALL" "$@"
        elif [ "$SUITE" != bookworm ]; then
            case " $* " in
                *" --only "*) set -- "$IMAGE" --deb "$DEB" "$@" ;;
                *) set -- "$IMAGE" --deb "$DEB" --only 1,2,4,5,7,10,9 --no-busy-stops "$@" ;;
            esac
        else
            set -- "$IMAGE" --deb "$DEB" "$@"
        fi
        ;;
esac

# The suite bounds every step and scenario itself; this is the last line of defence.
exec timeout -k 10 "${DEBIAN_E2E_TIMEOUT:-1500}" python3 "$SCRIPT" --logdir "$CACHE/logs" --rundir "$CACHE/run" "$@"
