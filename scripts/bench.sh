#!/bin/sh
# make bench: qemu-ga-swift against QEMU's qemu-ga 7.2 (Debian 12's) and 10.0.2 (bookworm-backports',
# scripts/fetch-oracle10.sh), same client, same machine, alternating rounds. Prints the table and
# writes it to docs/BENCHMARKS.md (and, every process pinned to one CPU, to
# docs/BENCHMARKS-one-cpu.md), then the aarch64 binary's size and RSS under qemu-user, then runs
# the scale section (scripts/bench-scale.sh: docs/BENCHMARKS-scale.md and docs/bench-scale.svg).
#
#   scripts/bench.sh [qga-bench options...]     e.g. --rounds 7, --scale 0.5
#
# Measures what ships: dist/qemu-ga-swift, the static musl binary `make release` builds
# (scripts/build-embedded.sh), the one the targets are judged on.
set -eu
cd "$(dirname "$0")/.."

# qemu-guest-agent: Debian's qemu-ga to compare with; binutils: strip, for the size figure;
# qemu-user-static: the aarch64 binary's figures.
scripts/install-deps.sh libjson-c-dev pkg-config qemu-guest-agent binutils qemu-user-static socat file >&2
scripts/fetch-oracle10.sh >&2

echo "bench: make release (dist/qemu-ga-swift and dist/aarch64/qemu-ga-swift)" >&2
make --no-print-directory release >&2
make --no-print-directory release ARCH=aarch64 >&2
swift build -c release --product qga-bench >&2

mkdir -p .build/bench docs
v7=$(/usr/sbin/qemu-ga -V 2>&1 | head -n 1)
v10=$(.build-oracle/10/usr/sbin/qemu-ga -V 2>&1 | head -n 1)
swift_version=$(swift --version 2>&1 | head -n 1)
build_note="qemu-ga-swift: \`make release\` (scripts/build-embedded.sh: Embedded Swift, -Osize, --gc-sections, fully static against musl with json-c inside, stripped; $swift_version), the binary that ships. qemu-ga 7.2: Debian 12's qemu-guest-agent ($v7); qemu-ga 10.0.2: bookworm-backports' ($v10). Verdicts are for qemu-ga-swift against each."
set -- --agent "qemu-ga-swift=dist/qemu-ga-swift" \
    --reference "qemu-ga 7.2=/usr/sbin/qemu-ga" \
    --reference "qemu-ga 10.0.2=.build-oracle/10/usr/sbin/qemu-ga" \
    --note "$build_note" "$@"
.build/release/qga-bench "$@" \
    --note "Binary size, RSS and startup, and where the RSS goes: [FOOTPRINT.md](FOOTPRINT.md)." \
    --note "The same agents with every process pinned to one CPU: [BENCHMARKS-one-cpu.md](BENCHMARKS-one-cpu.md). On 2-CPU VMs a round trip between CPUs costs a cross-CPU wake-up each way, which dominates sequential latency for both agents; on one CPU the agents' own cost shows." \
    --output docs/BENCHMARKS.md

# The same run with the client and the agents on CPU 0 (see the note above).
if command -v taskset >/dev/null 2>&1; then
    taskset -c 0 .build/release/qga-bench "$@" \
        --note "Every process pinned to CPU 0 with \`taskset -c 0\`; otherwise as docs/BENCHMARKS.md." \
        --output docs/BENCHMARKS-one-cpu.md
fi

# The aarch64 binary: its size, and its RSS after start under qemu-aarch64-static (the emulator's
# own memory included, so only an upper bound: this machine has no arm64 CPU to run it on).
arm=dist/aarch64/qemu-ga-swift
dir=$(mktemp -d /tmp/qga-bench-arm.XXXXXX)
qemu-aarch64-static "$arm" -m unix-listen -p "$dir/sock" -t "$dir" &
pid=$!
tries=0
until [ -S "$dir/sock" ] || [ $tries -ge 100 ]; do sleep 0.1; tries=$((tries + 1)); done
reply=$(printf '{"execute":"guest-ping"}\n' | socat -t 5 - "UNIX-CONNECT:$dir/sock" || true)
sleep 0.3
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "?")
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
rm -rf "$dir"
{
    echo
    echo "## aarch64"
    echo
    echo "- \`dist/aarch64/qemu-ga-swift\` (\`make release ARCH=aarch64\`): $(wc -c < "$arm") bytes stripped, $(file -b "$arm" | cut -d, -f1-2,6 | sed 's/  */ /g')."
    echo "- RSS after start and one guest-ping (\`$reply\`) under \`qemu-aarch64-static\` on this x86_64 machine: $rss kB, the emulator's own code and translation buffers included (no arm64 machine here to measure it natively)."
} | tee -a docs/BENCHMARKS.md

# The scale section (root): thousands of mounts and interfaces, in private namespaces.
scripts/bench-scale.sh
