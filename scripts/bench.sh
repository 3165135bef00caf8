#!/bin/sh
# make bench: qemu-ga-swift against Debian's qemu-ga, same client, same machine, alternating
# rounds. Prints the table and writes it to docs/BENCHMARKS.md.
#
#   scripts/bench.sh [qga-bench options...]     e.g. --rounds 7, --scale 0.5
#
# Builds two release variants of the agent: with the Swift runtime linked statically
# (--static-swift-stdlib: what a guest without a Swift toolchain runs, and the one the
# targets are judged on) and with the shared runtime. Each variant has its own scratch path,
# so switching between them does not rebuild everything.
set -eu
cd "$(dirname "$0")/.."

# qemu-guest-agent: Debian's qemu-ga to compare with; binutils: strip, for the size figure.
scripts/install-deps.sh libjson-c-dev pkg-config qemu-guest-agent binutils >&2

echo "bench: building release (shared Swift runtime)" >&2
swift build -c release --product qemu-ga-swift >&2
swift build -c release --product qga-bench >&2
echo "bench: building release (--static-swift-stdlib)" >&2
swift build -c release --product qemu-ga-swift --static-swift-stdlib --scratch-path .build/static >&2

mkdir -p .build/bench docs
cp .build/static/release/qemu-ga-swift .build/bench/qemu-ga-swift
cp .build/release/qemu-ga-swift .build/bench/qemu-ga-swift-shared-stdlib

qemu_ga_version=$(/usr/sbin/qemu-ga -V 2>&1 | head -n 1)
swift_version=$(swift --version 2>&1 | head -n 1)
.build/release/qga-bench \
    --agent "qemu-ga-swift=.build/bench/qemu-ga-swift" \
    --agent "qemu-ga-swift (shared stdlib)=.build/bench/qemu-ga-swift-shared-stdlib" \
    --reference "qemu-ga=/usr/sbin/qemu-ga" \
    --note "qemu-ga-swift: \`swift build -c release --static-swift-stdlib\` ($swift_version); shared stdlib: \`swift build -c release\`" \
    --note "qemu-ga: Debian's qemu-guest-agent ($qemu_ga_version)" \
    --note "The same agents with every process pinned to one CPU: [BENCHMARKS-one-cpu.md](BENCHMARKS-one-cpu.md). On 2-CPU VMs a round trip between CPUs costs a cross-CPU wake-up each way, which dominates sequential latency for both agents; on one CPU the agents' own cost shows." \
    --output docs/BENCHMARKS.md \
    "$@"

# The same run with the client and both agents on CPU 0 (see the note above).
if command -v taskset >/dev/null 2>&1; then
    taskset -c 0 .build/release/qga-bench \
        --agent "qemu-ga-swift=.build/bench/qemu-ga-swift" \
        --reference "qemu-ga=/usr/sbin/qemu-ga" \
        --note "Every process pinned to CPU 0 with \`taskset -c 0\`; otherwise as docs/BENCHMARKS.md." \
        --note "qemu-ga: Debian's qemu-guest-agent ($qemu_ga_version)" \
        --output docs/BENCHMARKS-one-cpu.md \
        "$@"
fi
