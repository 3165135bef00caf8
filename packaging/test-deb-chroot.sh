#!/bin/sh
# packaging/test-deb-chroot.sh: the .deb installed the way an admin does it, in a throw-away
# Debian 12 chroot that runs Debian's qemu-guest-agent (part of make package-test). Never
# touches this machine's packages: everything happens under .build-pkg/chroot/ (root needed
# for chroot). The root filesystem is built once by mmdebstrap (apt sources from this
# machine's list) and cached as a tar.
#   - apt-get install ./qemu-ga-swift_*.deb replaces qemu-guest-agent without a conffile
#     prompt (stdin is /dev/null), and the files are ours: the binary runs, the SysV script
#     is executable (Debian's postrm had made the old one non-executable);
#   - apt-get purge removes every file of the package, the hook log directory included.
# The last line is "N passed, N failed"; the exit status is 1 on any failure.
set -u
cd "$(dirname "$0")/.."
REPO=$(pwd)
# the package of this machine's architecture (the chroot runs its maintainer scripts)
DEB=$(ls dist/qemu-ga-swift_*_"$(dpkg --print-architecture)".deb 2>/dev/null)
[ -n "$DEB" ] || { echo "no dist/qemu-ga-swift_*_$(dpkg --print-architecture).deb: run make deb" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "test-deb-chroot.sh needs root (chroot)" >&2; exit 1; }
DIR=$REPO/.build-pkg/chroot
TAR=$DIR/bookworm-qemu-guest-agent.tar
ROOT=$DIR/root
mkdir -p "$DIR"
if [ ! -s "$TAR" ]; then
    echo "mmdebstrap: Debian 12 with qemu-guest-agent (once, cached in $TAR)"
    # libjson-c5 comes in now, so that installing the .deb later needs no package lists.
    rm -f "$DIR/partial.tar"
    mmdebstrap --quiet --variant=apt --include=qemu-guest-agent,libjson-c5 bookworm "$DIR/partial.tar" - \
        </etc/apt/sources.list.d/debian.sources || { echo "mmdebstrap failed" >&2; exit 1; }
    mv "$DIR/partial.tar" "$TAR"
fi
cleanup() {
    umount "$ROOT/proc" 2>/dev/null
    rm -rf "$ROOT"
}
trap cleanup EXIT
cleanup
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$TAR"
mount -t proc proc "$ROOT/proc"
cp "$DEB" "$ROOT/tmp/"
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@" </dev/null; }
files() { (cd "$ROOT" && find . -xdev \( -path ./proc -o -path ./tmp -o -path ./var/cache \) -prune -o -print | sort); }

passed=0
failed=0
check() {
    name=$1
    shift
    if "$@" >"$DIR/out" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/     | /' "$DIR/out" | head -n 40
    fi
}

files >"$DIR/before.txt"
check "the chroot runs Debian's qemu-guest-agent" sh -c "chroot '$ROOT' dpkg-query -W -f='\${Status}' qemu-guest-agent | grep -q 'install ok installed'"
install_deb() {
    in_root apt-get install -y "/tmp/$(basename "$DEB")" >"$DIR/install.log" 2>&1
    rc=$?
    cat "$DIR/install.log"
    [ $rc -eq 0 ] && grep -q "Removing qemu-guest-agent" "$DIR/install.log" &&
        ! grep -q "Configuration file .* ==>" "$DIR/install.log"
}
check "apt-get install ./$(basename "$DEB") replaces qemu-guest-agent, no conffile prompt" install_deb
check "dpkg: qemu-ga-swift installed, qemu-guest-agent removed" sh -c "
    chroot '$ROOT' dpkg-query -W -f='\${Status}' qemu-ga-swift | grep -q 'install ok installed' &&
    ! chroot '$ROOT' dpkg-query -W -f='\${Status}' qemu-guest-agent | grep -q 'install ok installed'"
check "/usr/sbin/qemu-ga runs qemu-ga-swift (its libraries are all there)" sh -c "chroot '$ROOT' /usr/sbin/qemu-ga -V | grep -q qemu-ga-swift"
check "/etc/init.d/qemu-guest-agent is ours and executable" sh -c "
    test -x '$ROOT/etc/init.d/qemu-guest-agent' && grep -q '^DAEMON=/usr/sbin/qemu-ga-swift' '$ROOT/etc/init.d/qemu-guest-agent'"
check "/etc/qemu/fsfreeze-hook is ours" cmp "$ROOT/etc/qemu/fsfreeze-hook" hooks/fsfreeze-hook
check "SysV start without the port (a chroot has none): exit 0, nothing started" sh -c "
    out=\$(chroot '$ROOT' /etc/init.d/qemu-guest-agent start) && echo \"\$out\" | grep -q 'not starting' && test ! -e '$ROOT/var/run/qemu-ga.pid'"
check "update-rc.d links for the SysV script" test -L "$ROOT/etc/rc2.d/S01qemu-guest-agent"

# the hook writes its log; purge must take it away too
echo "a hook run" >"$ROOT/var/log/qemu-ga/fsfreeze-hook.log"
chroot "$ROOT" dpkg -L qemu-ga-swift | sed 's|^/|./|' >"$DIR/package-files.txt"
check "apt-get purge qemu-ga-swift: exit 0" in_root apt-get purge -y qemu-ga-swift
leftovers() {
    files >"$DIR/after.txt"
    [ "$(wc -l <"$DIR/package-files.txt")" -gt 20 ] || { echo "dpkg -L listed too little:"; cat "$DIR/package-files.txt"; return 1; }
    left=$(grep -Fxf "$DIR/package-files.txt" "$DIR/after.txt" | while read -r f; do
        # directories the package shares with others (/etc, /usr/sbin, ...) stay
        grep -Fxq "$f" "$DIR/before.txt" && [ -d "$ROOT/$f" ] && continue
        echo "$f"
    done)
    [ -z "$left" ] || { echo "left behind:"; echo "$left"; return 1; }
}
check "purge: no file of the package is left" leftovers
new_files() {
    new=$(comm -13 "$DIR/before.txt" "$DIR/after.txt" | grep -v '^\./var/lib/dpkg/\|^\./var/log/\(dpkg\|apt\|alternatives\)\|^\./var/lib/apt/\|^\./etc/ld.so.cache$')
    [ -z "$new" ] || { echo "new since before the install:"; echo "$new"; return 1; }
}
check "purge: nothing new remains beside dpkg's and apt's own records" new_files

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
