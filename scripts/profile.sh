#!/bin/sh
# Instructions per request on qemu-ga-swift's request path (ChannelServer.deliver and all it
# calls: parse, dispatch, encode, write buffer), counted by callgrind while qga-bench drives
# pipelined loads. Deterministic, unlike timings, so it suits before/after comparisons.
#
#   scripts/profile.sh [AGENT] [COMMAND...]
#
# AGENT defaults to .build/embedded/qemu-ga-swift, the shipped Embedded build before strip
# (`make release`; callgrind needs its symbols); COMMAND to guest-ping and guest-info. Any
# build of the agent works: the normal-Swift one (`swift build -c release`) too. Needs valgrind
# and a release build of qga-bench. Leaves callgrind.<command>.out in .build/profile/ for
# callgrind_annotate.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh valgrind >&2
agent=${1:-.build/embedded/qemu-ga-swift}
[ $# -gt 0 ] && shift
commands=${*:-guest-ping guest-info}
bench=.build/release/qga-bench
out=.build/profile
mkdir -p "$out"
# Counting starts in Channel.Server.deliver: mangled $s... in normal Swift, $e... in Embedded.
for command in $commands; do
    dir=$(mktemp -d /tmp/qga-profile-XXXXXX)
    mkdir "$dir/state"
    : > "$dir/empty.conf"
    QGA_CONF="$dir/empty.conf" valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$command.out" \
        --toggle-collect='$?7Channel0A6ServerC7deliver*' \
        "$agent" -m unix-listen -p "$dir/sock" -t "$dir/state" 2>"$dir/valgrind.log" &
    pid=$!
    for _ in $(seq 100); do [ -S "$dir/sock" ] && break; sleep 0.1; done
    # --scale 0.1: 5,000 guest-ping, 1,000 guest-info, 2,000 guest-get-vcpus (one extra each).
    "$bench" --drive "$dir/sock" --scale 0.1 --only "$command" 2>"$dir/drive.log"
    kill -TERM "$pid"
    wait "$pid" || true
    case $command in
        guest-ping) n=5001 ;;
        guest-info) n=1001 ;;
        *) n=2001 ;;
    esac
    total=$(grep -m1 '^summary:\|^totals:' "$out/callgrind.$command.out" | awk '{print $2}')
    echo "$command: $((total / n)) instructions per request ($total for $n requests)"
    rm -rf "$dir"
done
