#!/bin/sh
# The aarch64 agent as a host command: runs dist/aarch64/qemu-ga-swift (or QGA_AARCH64_BINARY)
# under qemu-aarch64-static with the arguments given. binfmt_misc cannot be relied on here, so
# this script is what the differential suites get as QGA_BINARY (make differential-aarch64).
# exec keeps the PID: signals and the agent's own getpid() reach the same process.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
exec qemu-aarch64-static "${QGA_AARCH64_BINARY:-$REPO/dist/aarch64/qemu-ga-swift}" "$@"
