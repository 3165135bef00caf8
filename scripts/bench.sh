#!/bin/sh
# make bench: qemu-ga-swift against Debian's qemu-ga, same client, same machine, alternating
# rounds. Prints the table and writes it to docs/BENCHMARKS.md (and, every process pinned to
# one CPU, to docs/BENCHMARKS-one-cpu.md), then runs the scale section (scripts/bench-scale.sh:
# docs/BENCHMARKS-scale.md and docs/bench-scale.svg).
#
#   scripts/bench.sh [qga-bench options...]     e.g. --rounds 7, --scale 0.5
#
# Measures what ships: dist/qemu-ga-swift, the agent built in Embedded Swift by `make release`
# (scripts/build-embedded.sh), the one the targets are judged on. Beside it, the same sources
# built in normal Swift with the runtime linked statically (`--static-swift-stdlib`, the
# shipped build before Embedded, its own scratch path): the before and after in one run.
set -eu
cd "$(dirname "$0")/.."

# qemu-guest-agent: Debian's qemu-ga to compare with; binutils: strip, for the size figure.
scripts/install-deps.sh libjson-c-dev pkg-config qemu-guest-agent binutils >&2

echo "bench: make release (dist/qemu-ga-swift, Embedded Swift)" >&2
make --no-print-directory release >&2
echo "bench: building release (normal Swift, --static-swift-stdlib)" >&2
swift build -c release --product qemu-ga-swift --static-swift-stdlib --scratch-path .build/static >&2
swift build -c release --product qga-bench >&2

mkdir -p .build/bench docs
cp .build/static/release/qemu-ga-swift .build/bench/qemu-ga-swift-static-stdlib

before="before: normal Swift, static stdlib"
qemu_ga_version=$(/usr/sbin/qemu-ga -V 2>&1 | head -n 1)
swift_version=$(swift --version 2>&1 | head -n 1)
build_note="qemu-ga-swift: \`make release\` (scripts/build-embedded.sh: Embedded Swift, -Osize, --gc-sections, stripped; $swift_version), the binary that ships; \"$before\": the same sources, \`swift build -c release --static-swift-stdlib\`, the build that shipped before Embedded. Verdicts are for qemu-ga-swift."
.build/release/qga-bench \
    --agent "qemu-ga-swift=dist/qemu-ga-swift" \
    --agent "$before=.build/bench/qemu-ga-swift-static-stdlib" \
    --reference "qemu-ga=/usr/sbin/qemu-ga" \
    --note "$build_note" \
    --note "qemu-ga: Debian's qemu-guest-agent ($qemu_ga_version)" \
    --note "Binary size, RSS and startup at each step before Embedded Swift, and where the RSS goes: [FOOTPRINT.md](FOOTPRINT.md)." \
    --note "The same agents with every process pinned to one CPU: [BENCHMARKS-one-cpu.md](BENCHMARKS-one-cpu.md). On 2-CPU VMs a round trip between CPUs costs a cross-CPU wake-up each way, which dominates sequential latency for both agents; on one CPU the agents' own cost shows." \
    --output docs/BENCHMARKS.md \
    "$@"

# The same run with the client and the agents on CPU 0 (see the note above).
if command -v taskset >/dev/null 2>&1; then
    taskset -c 0 .build/release/qga-bench \
        --agent "qemu-ga-swift=dist/qemu-ga-swift" \
        --agent "$before=.build/bench/qemu-ga-swift-static-stdlib" \
        --reference "qemu-ga=/usr/sbin/qemu-ga" \
        --note "Every process pinned to CPU 0 with \`taskset -c 0\`; otherwise as docs/BENCHMARKS.md." \
        --note "$build_note" \
        --note "qemu-ga: Debian's qemu-guest-agent ($qemu_ga_version)" \
        --output docs/BENCHMARKS-one-cpu.md \
        "$@"
fi

# The scale section (root): thousands of mounts and interfaces, in private namespaces.
scripts/bench-scale.sh
