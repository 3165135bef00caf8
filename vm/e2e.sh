#!/bin/sh
# vm/e2e.sh [e2e.py options]   (make vm-test)
#
# The real-VM end-to-end suite: installs the host packages it needs when missing, builds
# the shipped agent (make release: dist/qemu-ga-swift), builds the guest (vm/build-guest.sh:
# Debian kernel, busybox initramfs with `make install`'s files: the agent, its SysV init
# script that /init starts it with, hooks/fsfreeze-hook; its libraries and the test hook), then
# runs vm/e2e.py (QEMU TCG, q35) and passes its exit status on. The last line printed is
# "N passed, N failed". Logs: .build-vm/e2e/logs/.
#
# Options go to vm/e2e.py: --only 3,5  --keep  --list.
# Environment: SWIFT (swift), E2E_SKIP_BUILD=1 (reuse dist/qemu-ga-swift),
# E2E_TIMEOUT (seconds for the whole e2e.py run, default 480), and build-guest.sh's
# (KERNEL_VERSION, VM_CACHE_DIR, ...).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
cd "$REPO"
SWIFT=${SWIFT:-swift}
OUT=$REPO/.build-vm/e2e
GUEST=$OUT/guest
mkdir -p "$OUT"

say() { echo "e2e: $*" >&2; }
t0=$(date +%s)

# Host packages: the VM tools, and what the agent's build needs (json-c).
"$REPO/scripts/install-deps.sh" qemu-system-x86 qemu-utils busybox-static kmod cpio e2fsprogs \
    libjson-c-dev pkg-config binutils python3 musl-dev

# The binary users get: dist/qemu-ga-swift from `make release` (Embedded Swift, stripped).
if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
    say "make release"
    make -s release SWIFT="$SWIFT" >&2
fi
BIN=$REPO/dist/qemu-ga-swift
[ -x "$BIN" ] || { say "no agent binary at $BIN (make release)"; exit 1; }
t1=$(date +%s)

# The vsock scenario's client (test-only, vm/guest-tools/vsock-client.c): static against musl
# with the compiler the shipped binary is linked with, so it needs no library in the guest.
VSOCK_CLIENT=$OUT/qga-vsock-client
"$REPO/scripts/musl-cc" -Os -Wall -o "$VSOCK_CLIENT" "$HERE/guest-tools/vsock-client.c"

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
timeout -k 10 "${E2E_TIMEOUT:-480}" python3 "$HERE/e2e.py" "$GUEST" "$@" || rc=$?
say "total $(( $(date +%s) - t0 )) s"
exit $rc
