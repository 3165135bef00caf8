#!/bin/sh
# scripts/check-agent-binary.sh ARCH BINARY: BINARY is an executable ELF file for ARCH (x86_64
# or aarch64), so that no package of one architecture ships the other's binary.
set -eu
ARCH=${1:?usage: check-agent-binary.sh ARCH BINARY}
BIN=${2:?usage: check-agent-binary.sh ARCH BINARY}
[ -x "$BIN" ] || { echo "check-agent-binary: no $BIN (make release ARCH=$ARCH)" >&2; exit 1; }
case "$ARCH" in
    x86_64) want='X86-64' ;;
    aarch64) want='AArch64' ;;
    *) echo "check-agent-binary: unknown architecture $ARCH (x86_64 or aarch64)" >&2; exit 1 ;;
esac
machine=$(readelf -h "$BIN" | sed -n 's/^ *Machine: *//p')
case "$machine" in
    *"$want"*) ;;
    *) echo "check-agent-binary: $BIN is for '$machine', not $ARCH" >&2; exit 1 ;;
esac
