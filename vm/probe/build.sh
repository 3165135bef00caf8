#!/bin/sh
# vm/probe/build.sh [OUT]  - builds the static stand-in agent (default
# OUT: <repo>/.build-vm/port-probe)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../../.build-vm/port-probe}
mkdir -p "$(dirname "$OUT")"
gcc -static -O2 -Wall -Wextra -Wno-unused-parameter -o "$OUT" "$HERE/port-probe.c"
echo "$OUT"
