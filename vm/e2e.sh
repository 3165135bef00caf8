#!/bin/sh
# vm/e2e.sh [e2e.py options]   (make vm-test; VM_ARCH=aarch64: make vm-test-aarch64)
#
# The real-VM end-to-end suite: installs the host packages it needs when missing, builds
# the shipped agent (make release: dist/qemu-ga-swift), builds the guest (vm/build-guest.sh:
# Debian kernel, busybox initramfs with `make install`'s files: the agent, its SysV init
# script that /init starts it with, hooks/fsfreeze-hook; its libraries and the test hook), then
# runs vm/e2e.py (QEMU TCG, q35) and passes its exit status on. The last line printed is
# "N passed, N failed". Logs: .build-vm/e2e/logs/.
#
# Options go to vm/e2e.py: --only 3,5  --keep  --list.
# VM_ARCH=aarch64 does the same for an arm64 guest (qemu-system-aarch64 -machine virt -cpu max
# under TCG, Debian's arm64 kernel, busybox-static:arm64) with the cross-built agent of
# `make release ARCH=aarch64` (dist/aarch64/qemu-ga-swift); guest and logs under
# .build-vm/e2e-aarch64/.
# Environment: SWIFT (swift), E2E_SKIP_BUILD=1 (reuse the built binary),
# E2E_TIMEOUT (seconds for the whole e2e.py run, default 480), and build-guest.sh's
# (KERNEL_VERSION, VM_CACHE_DIR, ...).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
cd "$REPO"
SWIFT=${SWIFT:-swift}
VM_ARCH=${VM_ARCH:-x86_64}
case "$VM_ARCH" in
    x86_64) OUT=$REPO/.build-vm/e2e BIN=$REPO/dist/qemu-ga-swift QEMU_PKG=qemu-system-x86 ;;
    aarch64) OUT=$REPO/.build-vm/e2e-aarch64 BIN=$REPO/dist/aarch64/qemu-ga-swift QEMU_PKG=qemu-system-arm ;;
    *) echo "e2e: VM_ARCH must be x86_64 or aarch64" >&2; exit 2 ;;
esac
export VM_ARCH
GUEST=$OUT/guest
mkdir -p "$OUT"

say() { echo "e2e: $*" >&2; }
t0=$(date +%s)

# Host packages: the VM tools, and what the agent's build needs (json-c).
"$REPO/scripts/install-deps.sh" $QEMU_PKG qemu-utils busybox-static kmod cpio e2fsprogs \
    libjson-c-dev pkg-config binutils python3 musl-dev

# The binary users get: dist/qemu-ga-swift from `make release` (Embedded Swift, stripped), or
# dist/aarch64/qemu-ga-swift from `make release ARCH=aarch64`.
if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
    # (not through set --: the script's own arguments go to e2e.py below)
    say "make release ARCH=$VM_ARCH"
    make -s release ARCH="$VM_ARCH" SWIFT="$SWIFT" >&2
fi
[ -x "$BIN" ] || { say "no agent binary at $BIN (make release ARCH=$VM_ARCH)"; exit 1; }
t1=$(date +%s)

# The vsock scenario's client (test-only, vm/guest-tools/vsock-client.c): static against musl
# with the compiler the shipped binary is linked with, for the guest's architecture, so it needs
# no library in the guest.
VSOCK_CLIENT=$OUT/qga-vsock-client
MUSL_ARCH=$VM_ARCH "$REPO/scripts/musl-cc" -Os -Wall -o "$VSOCK_CLIENT" "$HERE/guest-tools/vsock-client.c"

# nvme: the emulated NVMe controller every VM has (guest-get-disks' SMART check).
# vsock_loopback (with vsock and vmw_vsock_virtio_transport_common): the guest's own vsock
# transport, CID 1, which the vsock scenario connects through.
EXTRA_MODULES="nvme vsock_loopback ${EXTRA_MODULES:-}" \
    EXTRA_FILES="$VSOCK_CLIENT:/usr/bin/qga-vsock-client ${EXTRA_FILES:-}" \
    "$HERE/build-guest.sh" "$BIN" "$GUEST"
t2=$(date +%s)
say "agent build $((t1 - t0)) s, guest build $((t2 - t1)) s"

# e2e.py bounds every step and scenario itself; this is the last line of defence.
rc=0
timeout -k 10 "${E2E_TIMEOUT:-480}" python3 "$HERE/e2e.py" "$GUEST" --logdir "$OUT/logs" "$@" || rc=$?
say "total $(( $(date +%s) - t0 )) s"
exit $rc
