#!/bin/sh
# scripts/make-tarball.sh ARCH BINARY OUTPUT (make tarball-ARCH): the tarball for distributions
# without a .deb or .rpm, qemu-ga-swift-VERSION-ARCH-linux.tar.gz, one directory of that name:
#     install.sh                      detects init system and layout, installs (--uninstall)
#     qemu-ga-swift                   the static binary
#     qemu-guest-agent.service.in     systemd unit        qemu-guest-agent.rules   udev rule
#     qemu-guest-agent.init.in        SysV script         qemu-guest-agent.default.in  its settings
#     qemu-guest-agent.openrc.in      OpenRC script       qemu-guest-agent.confd.in    its settings
#     qemu-ga.conf  fsfreeze-hook  fsfreeze-hook.d/ (empty)  samples/*.sample
#     qemu-ga-swift.8  LICENSE  json-c.COPYING  musl.COPYRIGHT
# (.in files hold @PLACEHOLDERS@ that install.sh fills for the layout). json-c's licence text
# is the one the release build put beside BINARY. Owners root, fixed times: the same inputs
# give the same bytes.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
ARCH=${1:?usage: make-tarball.sh ARCH BINARY OUTPUT}
BIN=${2:?usage: make-tarball.sh ARCH BINARY OUTPUT}
OUTPUT=${3:?usage: make-tarball.sh ARCH BINARY OUTPUT}
cd "$REPO"
"$REPO/scripts/check-agent-binary.sh" "$ARCH" "$BIN"
NAME=$(basename "$OUTPUT" .tar.gz)
STAGE=$REPO/.build-pkg/tarball-$ARCH
rm -rf "$STAGE"
D=$STAGE/$NAME
mkdir -p "$D/fsfreeze-hook.d" "$D/samples"
install -m 0755 packaging/install.sh "$D/install.sh"
install -m 0755 "$BIN" "$D/qemu-ga-swift"
for f in qemu-guest-agent.service.in qemu-guest-agent.rules qemu-guest-agent.init.in qemu-guest-agent.default.in \
    qemu-guest-agent.openrc.in qemu-guest-agent.confd.in qemu-ga.conf; do
    install -m 0644 "packaging/$f" "$D/$f"
done
install -m 0755 hooks/fsfreeze-hook "$D/fsfreeze-hook"
install -m 0644 hooks/fsfreeze-hook.d/*.sample "$D/samples/"
install -m 0644 docs/qemu-ga-swift.8 "$D/qemu-ga-swift.8"
install -m 0644 LICENSE "$D/LICENSE"
install -m 0644 "$(dirname "$BIN")/json-c.COPYING" "$D/json-c.COPYING"
install -m 0644 "$(dirname "$BIN")/musl.COPYRIGHT" "$D/musl.COPYRIGHT"
chmod 755 "$D" "$D/fsfreeze-hook.d" "$D/samples"
# every entry dated to the release's debian/changelog entry (as dpkg-buildpackage's
# SOURCE_DATE_EPOCH): the same sources give the same bytes, whatever the commit
mtime=@$(dpkg-parsechangelog -S Timestamp -l debian/changelog)
tar -C "$STAGE" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" -cf - "$NAME" | gzip -9n >"$OUTPUT.tmp"
mv "$OUTPUT.tmp" "$OUTPUT"
echo "make-tarball: $OUTPUT, $(wc -c <"$OUTPUT") bytes"
