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
    --output docs/BENCHMARKS.md \
    "$@"
