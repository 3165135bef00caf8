#!/bin/sh
# vm/run-guest.sh OUTDIR [extra kernel args...]
#
# Boots the guest built by vm/build-guest.sh under TCG (never KVM):
#   serial console      -> OUTDIR/console.log   (or the terminal, see VM_CONSOLE)
#   guest agent port    -> OUTDIR/qga.sock  (unix socket, QEMU is the server;
#                          virtserialport name org.qemu.guest_agent.0)
#   QMP                 -> OUTDIR/qmp.sock  (unix socket, server)
#   QEMU pid            -> OUTDIR/qemu.pid  (written by QEMU itself)
#   data disk           -> OUTDIR/data.qcow2 as virtio-blk /dev/vda
#
# The script execs QEMU, so `vm/run-guest.sh OUT &` gives $! == QEMU's pid.
# Extra arguments are appended to the kernel command line, e.g.
#     vm/run-guest.sh OUT 'qga.args="--mode=sigio --race-delay=5"'
#
# Environment:
#   VM_CONSOLE=file      (default) serial to OUTDIR/console.log only
#   VM_CONSOLE=stdio     serial on this terminal (Ctrl-A x quits), also
#                        logged to OUTDIR/console.log
#   VM_REBOOT=1          let the guest reboot (default: -no-reboot, so a
#                        guest reboot makes QEMU exit)
#   VM_DAEMONIZE=1       QEMU daemonizes (-daemonize); the script returns
#                        once the guest is started. Needs VM_CONSOLE=file.
#   VM_MEM (512)  VM_SMP (2)  VM_CPU (max)  VM_MACHINE (q35; pc boots slower; virt for aarch64)
#   VM_ARCH              x86_64 or aarch64 (default: OUTDIR/arch, written by build-guest.sh):
#                        qemu-system-aarch64 -machine virt, serial console ttyAMA0
#   VM_SNAPSHOT=1        -snapshot: the data disk is not modified
#   VM_DATA_DISK=PATH    boot with this qcow2 data disk instead of OUTDIR/data.qcow2
#                        (vm/e2e.py gives every VM a fresh copy)
#   VM_CTLPORT=1         a second virtserialport, org.qemu.e2e.ctl, on the unix
#                        socket OUTDIR/ctl.sock: the guest's test control shell
#                        (vm/guest/e2e-ctl), the suite's view of the guest that
#                        does not go through the agent
#   VM_QEMU_ARGS         more QEMU arguments (word-split)
#   VM_APPEND            replaces the default kernel arguments
#                        ("console=ttyS0 panic=-1 loglevel=4", ttyAMA0 on aarch64)
set -eu

[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [extra kernel args...]" >&2; exit 2; }
OUTDIR=$(cd "$1" && pwd)
shift
DATA_DISK=${VM_DATA_DISK:-$OUTDIR/data.qcow2}
for f in "$OUTDIR/vmlinuz" "$OUTDIR/initramfs.gz" "$DATA_DISK"; do
    [ -f "$f" ] || { echo "run-guest: $f missing: run vm/build-guest.sh first" >&2; exit 2; }
done

# AF_UNIX paths are limited to 107 bytes
if [ ${#OUTDIR} -gt 95 ]; then
    echo "run-guest: OUTDIR path too long for unix sockets (${#OUTDIR} > 95 chars): $OUTDIR" >&2
    exit 2
fi

VM_ARCH=${VM_ARCH:-$(cat "$OUTDIR/arch" 2>/dev/null || echo x86_64)}
case "$VM_ARCH" in
    x86_64) QEMU=qemu-system-x86_64 MACHINE=q35 SERIAL=ttyS0 ;;
    aarch64) QEMU=qemu-system-aarch64 MACHINE=virt SERIAL=ttyAMA0 ;;
    *) echo "run-guest: VM_ARCH must be x86_64 or aarch64, not $VM_ARCH" >&2; exit 2 ;;
esac
APPEND=${VM_APPEND:-console=$SERIAL panic=-1 loglevel=4}
[ $# -gt 0 ] && APPEND="$APPEND $*"

# stale state from a previous run
if [ -f "$OUTDIR/qemu.pid" ]; then
    old=$(cat "$OUTDIR/qemu.pid" 2>/dev/null || true)
    if [ -n "$old" ] && [ -r "/proc/$old/cmdline" ] && tr '\0' ' ' <"/proc/$old/cmdline" | grep -q "qemu-system.*$OUTDIR/qmp.sock"; then
        echo "run-guest: a QEMU (pid $old) is already running for $OUTDIR" >&2
        exit 1
    fi
fi
rm -f "$OUTDIR/qemu.pid" "$OUTDIR/qga.sock" "$OUTDIR/qmp.sock" "$OUTDIR/ctl.sock"
: >"$OUTDIR/console.log"

set -- -accel tcg -machine "${VM_MACHINE:-$MACHINE}" -cpu "${VM_CPU:-max}" -m "${VM_MEM:-512}" -smp "${VM_SMP:-2}" \
    -name qga-test-guest -pidfile "$OUTDIR/qemu.pid" \
    -kernel "$OUTDIR/vmlinuz" -initrd "$OUTDIR/initramfs.gz" -append "$APPEND" \
    -drive "file=$DATA_DISK,if=none,id=data0,format=qcow2" \
    -device virtio-blk-pci,drive=data0 \
    -device virtio-serial-pci,id=vser0 \
    -chardev "socket,id=qga0,path=$OUTDIR/qga.sock,server=on,wait=off" \
    -device virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0 \
    -chardev "socket,id=qmp0,path=$OUTDIR/qmp.sock,server=on,wait=off" \
    -mon chardev=qmp0,mode=control \
    -nic none -vga none

if [ "${VM_CTLPORT:-0}" = 1 ]; then
    set -- "$@" -chardev "socket,id=ctl0,path=$OUTDIR/ctl.sock,server=on,wait=off" \
        -device virtserialport,bus=vser0.0,chardev=ctl0,name=org.qemu.e2e.ctl
fi
[ "${VM_REBOOT:-0}" = 1 ] || set -- "$@" -no-reboot
[ "${VM_SNAPSHOT:-0}" = 1 ] && set -- "$@" -snapshot

case "${VM_CONSOLE:-file}" in
    stdio)
        [ "${VM_DAEMONIZE:-0}" = 1 ] && { echo "run-guest: VM_DAEMONIZE needs VM_CONSOLE=file" >&2; exit 2; }
        set -- "$@" -nographic \
            -chardev "stdio,id=ser0,mux=on,signal=off,logfile=$OUTDIR/console.log" \
            -serial chardev:ser0 -mon chardev=ser0,mode=readline
        ;;
    file)
        set -- "$@" -display none -monitor none \
            -chardev "file,id=ser0,path=$OUTDIR/console.log" -serial chardev:ser0
        [ "${VM_DAEMONIZE:-0}" = 1 ] && set -- "$@" -daemonize
        ;;
    *) echo "run-guest: VM_CONSOLE must be file or stdio" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086  # VM_QEMU_ARGS is word-split on purpose
exec "$QEMU" "$@" ${VM_QEMU_ARGS:-}
