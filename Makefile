# qemu-ga-swift. `make run` starts the agent, `make test` runs every test, `make bench`
# compares it with Debian's qemu-ga. Each target installs the Debian packages it needs.

SWIFT ?= swift
BUILD_DEPS = libjson-c-dev pkg-config
TEST_DEPS = $(BUILD_DEPS) qemu-guest-agent socat e2fsprogs xfsprogs util-linux

.PHONY: all build release run test unit-test deps test-deps clean

all: build

deps:
	@scripts/install-deps.sh $(BUILD_DEPS)

test-deps:
	@scripts/install-deps.sh $(TEST_DEPS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product qemu-ga-swift

run: release
	scripts/run-agent.sh

# Every test: protocol and handler tests, the real binary over unix sockets (and against
# Debian's qemu-ga as an oracle).
test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

clean:
	rm -rf .build run
