#!/bin/sh
# vm/debian/test.sh [e2e_debian.py options]   (make debian-vm-test, after make deb)
#
# Our Debian package in a real Debian 12 guest (systemd, udev, the Debian kernel): installs
# the host packages it needs when missing, builds or reuses the cached image
# (vm/debian/build-image.sh, .build-vm/debian/image-KEY/), then runs
# vm/debian/e2e_debian.py with the one package in dist/ (DEB=path to choose another).
# The last line printed is "N passed, N failed". Logs: .build-vm/debian/logs/.
#
# Options go to e2e_debian.py: --only 4,5  --keep  --list  --debian-agent.
# Environment: DEB, DEBIAN_E2E_TIMEOUT (seconds for the e2e_debian.py run, default 1500),
# APT_SOURCES (apt sources for the image, default /etc/apt/sources.list.d/debian.sources).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
say() { echo "debian-vm-test: $*" >&2; }
t0=$(date +%s)

"$REPO/scripts/install-deps.sh" mmdebstrap qemu-system-x86 qemu-utils e2fsprogs python3

IMAGE=$("$HERE/build-image.sh" "$REPO/.build-vm/debian" | tail -1)
t1=$(date +%s)
say "image $IMAGE ($((t1 - t0)) s)"

case " $* " in
    *" --debian-agent "* | *" --list "*) set -- "$IMAGE" "$@" ;;
    *)
        if [ -z "${DEB:-}" ]; then
            set +e
            DEB=$(ls "$REPO"/dist/qemu-ga-swift_*_amd64.deb 2>/dev/null)
            set -e
            [ "$(echo "$DEB" | grep -c .)" = 1 ] || { say "need exactly one dist/qemu-ga-swift_*_amd64.deb (make deb), found: ${DEB:-none}"; exit 1; }
        fi
        set -- "$IMAGE" --deb "$DEB" "$@"
        ;;
esac

# e2e_debian.py bounds every step and scenario itself; this is the last line of defence.
exec timeout -k 10 "${DEBIAN_E2E_TIMEOUT:-1500}" python3 "$HERE/e2e_debian.py" "$@"
