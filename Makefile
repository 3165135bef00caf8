# qemu-ga-swift. `make run` starts the agent, `make test` runs every test, `make bench`
# compares it with Debian's qemu-ga. Each target installs the Debian packages it needs.

SWIFT ?= swift
BUILD_DEPS = libjson-c-dev pkg-config
TEST_DEPS = $(BUILD_DEPS) qemu-guest-agent socat e2fsprogs xfsprogs util-linux

.PHONY: all build release run test unit-test vm-test deps test-deps oracles clean bench profile client

all: build

deps:
	@scripts/install-deps.sh $(BUILD_DEPS)

test-deps:
	@scripts/install-deps.sh $(TEST_DEPS)

build: deps
	$(SWIFT) build

# The binary that ships (what the packages install and every binary-level test runs):
# dist/qemu-ga-swift, stripped.
DIST = dist
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product qemu-ga-swift
	mkdir -p $(DIST)
	strip -o $(DIST)/qemu-ga-swift "$$($(SWIFT) build -c release --static-swift-stdlib --show-bin-path)/qemu-ga-swift"

run: release
	scripts/run-agent.sh

# The host-side client, .build/release/qga.
client: deps
	$(SWIFT) build -c release --product qga

# qemu-ga-swift against Debian's qemu-ga (installed if missing), alternating rounds; prints the
# table and rewrites docs/BENCHMARKS.md. More rounds: make bench BENCH_ARGS="--rounds 9"
bench: deps
	scripts/bench.sh $(BENCH_ARGS)

# Instructions per request on the agent's request path, counted by callgrind.
profile: release
	$(SWIFT) build -c release --product qga-bench
	scripts/profile.sh

# Every test: protocol and handler tests, the real binary over unix sockets (and against
# Debian's qemu-ga as an oracle), then the real-VM suite.
test: unit-test vm-test

# The oracles of the differential tests: Debian's qemu-ga 7.2 (installed by test-deps) and
# bookworm-backports' 10.0.2, unpacked under .build-oracle/10/ (scripts/fetch-oracle10.sh).
oracles: test-deps
	scripts/fetch-oracle10.sh

unit-test: test-deps oracles release
	$(SWIFT) build --build-tests
	QGA_BINARY=$(CURDIR)/$(DIST)/qemu-ga-swift $(SWIFT) test

# Real-VM end-to-end suite: a QEMU TCG guest running the release agent, driven like libvirt
# (vm/README.md). Installs its own host packages; logs in .build-vm/e2e/logs/.
vm-test:
	SWIFT=$(SWIFT) vm/e2e.sh

clean:
	rm -rf .build run $(DIST)
