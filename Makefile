# qemu-ga-swift. `make run` starts the agent, `make test` runs every test, `make bench`
# compares it with Debian's qemu-ga. Each target installs the Debian packages it needs.

SWIFT ?= swift
# libjson-c-dev and pkg-config: `swift build` (glibc, the tests). The rest: the shipped static
# binary (musl's headers and libc.a, json-c's source built by cmake, libgcc and strip).
BUILD_DEPS = libjson-c-dev pkg-config gcc binutils musl-dev cmake dpkg-dev
# The aarch64 cross build: musl and kernel headers for arm64, the cross gcc's libgcc and strip.
AARCH64_DEPS = musl-dev:arm64 linux-libc-dev:arm64 gcc-aarch64-linux-gnu
TEST_DEPS = $(BUILD_DEPS) qemu-guest-agent socat e2fsprogs xfsprogs util-linux python3-gi

.PHONY: all build release run test unit-test vm-test deps test-deps oracles clean bench profile client \
	install deb rpm tarball package-deps package-test

all: build

deps:
	@scripts/install-deps.sh $(BUILD_DEPS)

test-deps:
	@scripts/install-deps.sh $(TEST_DEPS)

build: deps
	$(SWIFT) build

# The binary that ships (what the packages install and every binary-level test runs), one per
# architecture, fully static against musl with json-c inside (scripts/build-embedded.sh:
# Embedded Swift, no Swift runtime, no shared library, stripped): `make release` writes
# dist/qemu-ga-swift (x86_64), `make release ARCH=aarch64` dist/aarch64/qemu-ga-swift (a cross
# build), and each json-c's licence beside it. `swift build` and `swift test` build the same
# sources in normal Swift against glibc.
DIST = dist
ARCH ?= x86_64
AGENT_SOURCES := $(shell find 2>/dev/null Sources/SystemCalls Sources/QGAProtocol Sources/CommandLineOptions Sources/Channel Sources/ProcessRunner \
	Sources/FreezeHooks Sources/Commands Sources/qemu-ga-swift Sources/CLinux Sources/CJSONC Embedded -type f) \
	scripts/build-embedded.sh scripts/build-jsonc.sh scripts/musl-cc
ifeq ($(ARCH),x86_64)
RELEASE_BINARY = $(DIST)/qemu-ga-swift
else ifeq ($(ARCH),aarch64)
RELEASE_BINARY = $(DIST)/aarch64/qemu-ga-swift
else
$(error ARCH must be x86_64 or aarch64)
endif
release: deps $(if $(filter aarch64,$(ARCH)),aarch64-deps) $(RELEASE_BINARY)

.PHONY: aarch64-deps
aarch64-deps:
	@scripts/install-deps.sh $(AARCH64_DEPS)

$(DIST)/qemu-ga-swift: $(AGENT_SOURCES)
	scripts/build-embedded.sh --arch x86_64 $@

$(DIST)/aarch64/qemu-ga-swift: $(AGENT_SOURCES)
	scripts/build-embedded.sh --arch aarch64 $@

# --- Install and packages (packaging/, debian/, docs/qemu-ga-swift.8) -------------------------
# make install [DESTDIR=...] [LAYOUT=debian|fedora] [PREFIX=/usr] [SBINDIR=...] [AGENT=...] ...
# installs AGENT (dist/qemu-ga-swift; make release first: root rarely has Swift) where the
# distribution's qemu-ga lives, with `qemu-ga` as a symlink to it, the systemd unit and udev
# rule, the SysV init script, the settings file, the fsfreeze hook with its empty .d directory,
# the samples, a commented /etc/qemu/qemu-ga.conf, the man pages and the licence texts (ours,
# Apache-2.0, and json-c's, MIT: json-c is linked into the binary).
AGENT ?= $(DIST)/qemu-ga-swift
# the release build puts json-c's licence beside each binary
JSONC_COPYING ?= $(dir $(AGENT))json-c.COPYING
MUSL_COPYRIGHT ?= $(dir $(AGENT))musl.COPYRIGHT
LAYOUT ?= debian
PREFIX ?= /usr
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/qemu-ga-swift
LOGDIR ?= /var/log/qemu-ga
ifeq ($(LAYOUT),debian)
SBINDIR ?= $(PREFIX)/sbin
UNITDIR ?= /lib/systemd/system
UDEVRULESDIR ?= /lib/udev/rules.d
UDEVRULE = 60-qemu-guest-agent.rules
HOOKDIR ?= $(SYSCONFDIR)/qemu
ENVFILE ?= $(SYSCONFDIR)/default/qemu-guest-agent
INITDIR ?= $(SYSCONFDIR)/init.d
INITNAME = qemu-guest-agent
SAMPLEDIR ?= $(DOCDIR)/examples
LICENSEDIR ?= $(DOCDIR)
else ifeq ($(LAYOUT),fedora)
SBINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
UDEVRULE = 99-qemu-guest-agent.rules
HOOKDIR ?= $(SYSCONFDIR)/qemu-ga
ENVFILE ?= $(SYSCONFDIR)/sysconfig/qemu-ga
INITDIR ?= $(SYSCONFDIR)/rc.d/init.d
INITNAME = qemu-ga
SAMPLEDIR ?= $(PREFIX)/share/qemu/qemu-ga
LICENSEDIR ?= $(PREFIX)/share/licenses/qemu-ga-swift
else
$(error LAYOUT must be debian or fedora)
endif
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@ENVFILE@|$(ENVFILE)|g' \
	-e 's|@HOOK@|$(HOOKDIR)/fsfreeze-hook|g' -e 's|@HOOKDIR@|$(HOOKDIR)|g' \
	-e 's|@UDEVRULE@|$(UDEVRULE)|g' -e 's|@INITNAME@|$(INITNAME)|g' \
	-e 's|@INITSCRIPT@|$(INITDIR)/$(INITNAME)|g' -e 's|@SAMPLEDIR@|$(SAMPLEDIR)|g'

install:
	@test -x $(AGENT) || { echo "$(AGENT) is missing: run 'make release' first" >&2; exit 1; }
	@test -f $(JSONC_COPYING) || { echo "$(JSONC_COPYING) is missing: run 'make release' first" >&2; exit 1; }
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(HOOKDIR)/fsfreeze-hook.d $(DESTDIR)$(dir $(ENVFILE)) $(DESTDIR)$(INITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/qemu $(DESTDIR)$(SAMPLEDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(LOGDIR) \
		$(DESTDIR)$(LICENSEDIR)
	install -m 0755 $(AGENT) $(DESTDIR)$(SBINDIR)/qemu-ga-swift
	ln -sf qemu-ga-swift $(DESTDIR)$(SBINDIR)/qemu-ga
	$(SUBST) packaging/qemu-guest-agent.service.in > $(DESTDIR)$(UNITDIR)/qemu-guest-agent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/qemu-guest-agent.service
	install -m 0644 packaging/qemu-guest-agent.rules $(DESTDIR)$(UDEVRULESDIR)/$(UDEVRULE)
	$(SUBST) packaging/qemu-guest-agent.init.in > $(DESTDIR)$(INITDIR)/$(INITNAME)
	chmod 0755 $(DESTDIR)$(INITDIR)/$(INITNAME)
	$(SUBST) packaging/qemu-guest-agent.default.in > $(DESTDIR)$(ENVFILE)
	chmod 0644 $(DESTDIR)$(ENVFILE)
	$(SUBST) packaging/qemu-ga.conf > $(DESTDIR)$(SYSCONFDIR)/qemu/qemu-ga.conf
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/qemu/qemu-ga.conf
	install -m 0755 hooks/fsfreeze-hook $(DESTDIR)$(HOOKDIR)/fsfreeze-hook
	install -m 0644 hooks/fsfreeze-hook.d/*.sample $(DESTDIR)$(SAMPLEDIR)/
	gzip -9n < docs/qemu-ga-swift.8 > $(DESTDIR)$(MANDIR)/man8/qemu-ga-swift.8.gz
	ln -sf qemu-ga-swift.8.gz $(DESTDIR)$(MANDIR)/man8/qemu-ga.8.gz
	install -m 0644 LICENSE $(DESTDIR)$(LICENSEDIR)/LICENSE
	install -m 0644 $(JSONC_COPYING) $(DESTDIR)$(LICENSEDIR)/json-c.COPYING
	install -m 0644 $(MUSL_COPYRIGHT) $(DESTDIR)$(LICENSEDIR)/musl.COPYRIGHT

# Packages and tarballs for every architecture in PACKAGE_ARCHES (x86_64 aarch64), each from
# the release binary of that architecture (make release ARCH=A: dist/qemu-ga-swift for x86_64,
# dist/A/qemu-ga-swift otherwise), into dist/. make deb-A, rpm-A, tarball-A build one.
PACKAGE_ARCHES ?= x86_64 aarch64
agent_of = $(if $(filter x86_64,$(1)),$(DIST)/qemu-ga-swift,$(DIST)/$(1)/qemu-ga-swift)
debarch_of = $(if $(filter x86_64,$(1)),amd64,$(if $(filter aarch64,$(1)),arm64,$(1)))
VERSION := $(shell sed -n 's/.*static let release = "\(.*\)".*/\1/p' Sources/Commands/Core/AgentVersion.swift)

PACKAGE_DEPS = debhelper dpkg-dev fakeroot lintian rpm groff man-db devscripts systemd gzip busybox-static socat \
	mmdebstrap cpio
package-deps:
	@scripts/install-deps.sh $(PACKAGE_DEPS)

# (deb-A and the others are not .PHONY: make skips pattern rules for phony targets)
.PHONY: tarball
deb: $(foreach a,$(PACKAGE_ARCHES),deb-$(a))
rpm: $(foreach a,$(PACKAGE_ARCHES),rpm-$(a))
tarball: $(foreach a,$(PACKAGE_ARCHES),tarball-$(a))

# The release binary of one architecture, checked to be that architecture's ELF file.
release-%:
	$(MAKE) release ARCH=$*
	scripts/check-agent-binary.sh $* $(call agent_of,$*)

# Debian package: dist/qemu-ga-swift_<version>_<amd64|arm64>.deb, built (dpkg-buildpackage -a,
# nothing compiled) in a copy under .build-pkg/ because dpkg-buildpackage writes into the
# parent directory.
deb-%: release-% package-deps
	rm -rf .build-pkg/deb-$* && mkdir -p .build-pkg/deb-$*/src/$(DIST)
	cp -a Makefile LICENSE debian packaging hooks docs .build-pkg/deb-$*/src/
	cp -a $(call agent_of,$*) $(dir $(call agent_of,$*))json-c.COPYING $(dir $(call agent_of,$*))musl.COPYRIGHT \
		.build-pkg/deb-$*/src/$(DIST)/
	cd .build-pkg/deb-$*/src && dpkg-buildpackage -b --no-sign -Zxz -a$(call debarch_of,$*)
	rm -f $(DIST)/qemu-ga-swift_*_$(call debarch_of,$*).deb
	mv .build-pkg/deb-$*/qemu-ga-swift_*_$(call debarch_of,$*).deb $(DIST)/
	@ls -l $(DIST)/qemu-ga-swift_*_$(call debarch_of,$*).deb

# RPM in Fedora's layout (rpmbuild from Debian's rpm package, --target):
# dist/qemu-ga-swift-<version>-1.<x86_64|aarch64>.rpm.
rpm-%: release-% package-deps
	rm -rf .build-pkg/rpm-$* && mkdir -p .build-pkg/rpm-$*
	rpmbuild -bb --quiet --target $* --define "_topdir $(CURDIR)/.build-pkg/rpm-$*" --define "srcdir $(CURDIR)" \
		--define "agent $(CURDIR)/$(call agent_of,$*)" --define "pkgversion $(VERSION)" packaging/qemu-ga-swift.spec
	rm -f $(DIST)/qemu-ga-swift-*.$*.rpm
	mv .build-pkg/rpm-$*/RPMS/*/qemu-ga-swift-*.$*.rpm $(DIST)/
	@ls -l $(DIST)/qemu-ga-swift-*.$*.rpm

# For every other distribution: dist/qemu-ga-swift-<version>-<arch>-linux.tar.gz, the binary,
# the service files of each init system, the hook, samples, man page, licences and
# packaging/install.sh (sh install.sh [--uninstall]).
tarball-%: release-%
	scripts/make-tarball.sh $* $(call agent_of,$*) $(DIST)/qemu-ga-swift-$(VERSION)-$*-linux.tar.gz

# Tests of make install, the unit, the SysV and OpenRC scripts, the .debs, the .rpms, the
# tarballs and their install.sh, and the man page (packaging/test-packages.sh), and of the .deb
# replacing Debian's qemu-guest-agent and purged in a Debian 12 chroot
# (packaging/test-deb-chroot.sh, root; the rootfs is cached in .build-pkg/chroot/). Nothing is
# installed on this machine.
package-test: deb rpm tarball
	PACKAGE_ARCHES="$(PACKAGE_ARCHES)" packaging/test-packages.sh
	packaging/test-deb-chroot.sh

run: release
	scripts/run-agent.sh

# The host-side client, .build/release/qga.
client: deps
	$(SWIFT) build -c release --product qga

# qemu-ga-swift against Debian's qemu-ga (installed if missing), alternating rounds; prints the
# table and rewrites docs/BENCHMARKS.md. More rounds: make bench BENCH_ARGS="--rounds 9"
# Then (root) the scale section, scripts/bench-scale.sh: docs/BENCHMARKS-scale.md and the
# gnuplot chart docs/bench-scale.svg.
BENCH_DEPS = $(BUILD_DEPS) qemu-guest-agent gnuplot-nox iproute2 util-linux e2fsprogs xfsprogs
bench: deps
	@scripts/install-deps.sh $(BENCH_DEPS)
	scripts/bench.sh $(BENCH_ARGS)

# Sources/QGAProtocol compiled in Embedded Swift and linked into a small program whose replies
# are checked (scripts/embedded-check.sh; outputs in .build/embedded-check/).
.PHONY: embedded-check
embedded-check: deps
	scripts/embedded-check.sh

# Instructions per request on the agent's request path, counted by callgrind.
profile: release
	$(SWIFT) build -c release --product qga-bench
	scripts/profile.sh

# Every test: protocol and handler tests, the real binary over unix sockets (and against
# Debian's qemu-ga as an oracle), the protocol module in Embedded Swift, the packages, then
# the real-VM suites.
test: unit-test differential-aarch64 embedded-check package-test vm-test vm-test-aarch64 debian-vm-test

# The oracles of the differential tests: Debian's qemu-ga 7.2 (installed by test-deps),
# bookworm-backports' 10.0.2, unpacked under .build-oracle/10/ (scripts/fetch-oracle10.sh), and
# sid's 11.1.x with sid's loader and libraries, unpacked under .build-oracle/11/ and run through
# the wrapper .build-oracle/11/qemu-ga (scripts/fetch-oracle11.sh).
oracles: test-deps
	scripts/fetch-oracle10.sh
	scripts/fetch-oracle11.sh

unit-test: test-deps oracles release
	$(SWIFT) build --build-tests
	QGA_BINARY=$(CURDIR)/$(DIST)/qemu-ga-swift $(SWIFT) test

# The protocol-level differential suites (Tests/AgentTests: Differential, FilesDifferential,
# InfoDifferential) a second time, with the aarch64 binary run by qemu-aarch64-static
# (scripts/qemu-user-agent.sh as QGA_BINARY) against the same x86_64 oracles; QGA_MACHINE is the
# machine it reports.
.PHONY: differential-aarch64
differential-aarch64: test-deps oracles
	@scripts/install-deps.sh qemu-user-static
	$(MAKE) release ARCH=aarch64
	$(SWIFT) build --build-tests
	QGA_BINARY=$(CURDIR)/scripts/qemu-user-agent.sh QGA_MACHINE=aarch64 \
		$(SWIFT) test --skip-build --filter 'AgentTests\.(Files|Info)?DifferentialTests'


# Real-VM end-to-end suite: a QEMU TCG guest running the release agent, driven like libvirt
# (vm/README.md). Installs its own host packages; logs in .build-vm/e2e/logs/.
vm-test:
	SWIFT=$(SWIFT) vm/e2e.sh

# The same suite in an arm64 guest (qemu-system-aarch64 -machine virt -cpu max under TCG,
# Debian's arm64 kernel, busybox-static:arm64) with dist/aarch64/qemu-ga-swift started by the
# SysV script: boot, vCPUs, freeze and thaw with the hook, the script, shutdown. Logs in
# .build-vm/e2e-aarch64/logs/.
.PHONY: vm-test-aarch64
vm-test-aarch64:
	SWIFT=$(SWIFT) VM_ARCH=aarch64 vm/e2e.sh

# The .deb in real Debian guests booted under TCG from mmdebstrap images cached in .build-vm/
# (vm/debian/build-image.sh; vm/README.md): Debian 12 with systemd (every scenario: apt-get
# install over Debian's qemu-guest-agent, freeze, restarts, hot-unplug, purge, reboot,
# shutdown), Debian 13 and Debian 11 with systemd (install, freeze, kill -9, purge,
# reinstall, shutdown), and Debian 12 without systemd (sysvinit + OpenRC: the .deb's SysV
# script, then the tarball's install.sh with OpenRC, two reboots, shutdown). Each installs
# its own host packages; logs in .build-vm/debian*/logs/.
.PHONY: debian-vm-test debian12-vm-test debian13-vm-test debian11-vm-test debian12-sysv-vm-test
debian-vm-test: debian12-vm-test debian13-vm-test debian11-vm-test debian12-sysv-vm-test
debian12-vm-test: deb
	vm/debian/test.sh
debian13-vm-test: deb
	SUITE=trixie vm/debian/test.sh
debian11-vm-test: deb
	SUITE=bullseye vm/debian/test.sh
debian12-sysv-vm-test: deb tarball
	SUITE=bookworm GUEST_INIT=sysv vm/debian/test.sh

clean:
	rm -rf .build .build-pkg run $(DIST)
