#!/bin/sh
# vm/selftest.sh [OUTDIR]
# Proves the harness end to end with the C stand-in agent: builds
# vm/probe/port-probe.c (static), builds the guest, boots it under TCG and
# checks that lines sent on OUTDIR/qga.sock are echoed back, including after
# a host reconnect.  Prints boot-to-first-echo.  Stops QEMU (by pid) at the
# end.  Default OUTDIR: <repo>/.build-vm/probe-guest
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../.build-vm/probe-guest}
PROBE=$("$HERE/probe/build.sh")
"$HERE/build-guest.sh" "$PROBE" "$OUT"
exec timeout 300 python3 "$HERE/probe/echo-test.py" "$OUT"
