#!/bin/sh
# vm/build-guest.sh AGENT_BINARY OUTDIR
#
# Builds everything needed to boot a throw-away QEMU guest that runs
# AGENT_BINARY as /usr/bin/qemu-ga-swift, installed by `make install` and started by /init
# through its SysV init script /etc/init.d/qemu-guest-agent:
#   OUTDIR/vmlinuz         Debian kernel (extracted from the .deb, never
#                          installed on the host)
#   OUTDIR/initramfs.gz    busybox + modules + agent + its shared libraries
#   OUTDIR/data.qcow2      ext4 data disk (mounted on /mnt/data in the guest)
#   OUTDIR/kernel-version  e.g. 6.1.0-56-amd64
#   OUTDIR/arch            the guest's architecture (x86_64 or aarch64)
#
# Environment:
#   VM_ARCH          x86_64 (default) or aarch64: the guest's architecture. An aarch64 guest
#                    gets Debian's arm64 kernel and busybox-static:arm64 (both downloaded and
#                    unpacked, never installed: busybox-static:arm64 would replace the host's
#                    /bin/busybox); dpkg learns the arm64 architecture for that if it has not.
#   KERNEL_VERSION   use this kernel (e.g. 6.1.0-56-amd64) instead of the one
#                    linux-image-amd64 (linux-image-arm64) depends on
#   VM_CACHE_DIR     where the kernel .deb and its extraction are cached
#                    (default: <repo>/.build-vm/cache)
#   EXTRA_MODULES    more kernel modules to put in the initramfs and load
#   EXTRA_FILES      "src:dest src:dest" files copied into the initramfs
#   DATA_DISK_MB     size of the data disk (default 64)
#   SWIFT_LIB_DIRS   where to look for libraries ldd reports as "not found"
#                    (default: /opt/swift/usr/lib/swift/linux and
#                    the directory of `swiftc`'s ../lib/swift/linux)
set -eu

usage() { echo "usage: $0 AGENT_BINARY OUTDIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
AGENT=$1
OUTDIR=$2
[ -f "$AGENT" ] || { echo "build-guest: no such file: $AGENT" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
AGENT=$(cd "$(dirname "$AGENT")" && pwd)/$(basename "$AGENT")
CACHE=${VM_CACHE_DIR:-$REPO/.build-vm/cache}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
DATA_DISK_MB=${DATA_DISK_MB:-64}

log() { echo "build-guest: $*" >&2; }

VM_ARCH=${VM_ARCH:-x86_64}
case "$VM_ARCH" in
    x86_64) DEBARCH=amd64 QEMU_PKG=qemu-system-x86 ;;
    aarch64) DEBARCH=arm64 QEMU_PKG=qemu-system-arm ;;
    *) echo "build-guest: VM_ARCH must be x86_64 or aarch64, not $VM_ARCH" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- host tools
APT_UPDATED=
apt_update_once() {
    if [ -z "$APT_UPDATED" ]; then
        log "apt-get update"
        apt-get update -qq >&2
        APT_UPDATED=1
    fi
}
need_pkgs=
# busybox-static (the host's) also for an aarch64 guest: its applet list is the arm64 one's.
for p in $QEMU_PKG qemu-utils busybox-static kmod cpio e2fsprogs; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
        need_pkgs="$need_pkgs $p"
    fi
done
if [ -n "$need_pkgs" ]; then
    apt_update_once
    log "apt-get install$need_pkgs"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need_pkgs >&2
fi
[ -x /bin/busybox ] || { log "busybox-static did not give /bin/busybox"; exit 1; }
if [ "$VM_ARCH" = aarch64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
    APT_UPDATED=
    apt_update_once
fi
# A package of the guest's architecture, downloaded into the cache once: its path.
download_deb() {
    deb=$(ls "$CACHE/$1"_*_"$DEBARCH".deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        log "apt-get download $1:$DEBARCH"
        ( cd "$CACHE" && apt-get download "$1:$DEBARCH" >&2 ) || {
            apt_update_once
            ( cd "$CACHE" && apt-get download "$1:$DEBARCH" >&2 )
        }
        deb=$(ls "$CACHE/$1"_*_"$DEBARCH".deb | head -n1)
    fi
    echo "$deb"
}
if [ "$VM_ARCH" = x86_64 ]; then
    BUSYBOX=/bin/busybox
else
    BUSYBOX_ROOT=$CACHE/busybox-$DEBARCH
    if [ ! -x "$BUSYBOX_ROOT/bin/busybox" ]; then
        rm -rf "$BUSYBOX_ROOT"
        dpkg -x "$(download_deb busybox-static)" "$BUSYBOX_ROOT"
    fi
    BUSYBOX=$BUSYBOX_ROOT/bin/busybox
fi

# ---------------------------------------------------------------- kernel
kver=${KERNEL_VERSION:-}
kernel_dependency() {
    apt-cache depends "linux-image-$DEBARCH:$DEBARCH" 2>/dev/null \
        | sed -n "s/^ *Depends: linux-image-\(.*-$DEBARCH\)\(:$DEBARCH\)\{0,1\}\$/\1/p" | head -n1
}
if [ -z "$kver" ]; then
    kver=$(kernel_dependency)
    if [ -z "$kver" ]; then
        apt_update_once
        kver=$(kernel_dependency)
    fi
    if [ -z "$kver" ]; then
        # offline: fall back to whatever is cached
        kver=$(ls "$CACHE" 2>/dev/null | sed -n "s/^linux-image-\(.*-$DEBARCH\)_.*\.deb\$/\1/p" | sort -V | tail -n1)
    fi
fi
[ -n "$kver" ] || { log "cannot determine the kernel version (apt-cache depends linux-image-$DEBARCH)"; exit 1; }
log "kernel $kver"
deb=$(download_deb "linux-image-$kver")
KROOT=$CACHE/root-$kver
if [ ! -f "$KROOT/.extracted" ]; then
    log "dpkg -x $(basename "$deb")"
    rm -rf "$KROOT"
    mkdir -p "$KROOT"
    dpkg -x "$deb" "$KROOT"
    [ -f "$KROOT/lib/modules/$kver/modules.dep" ] || depmod -b "$KROOT" "$kver"
    touch "$KROOT/.extracted"
fi
cp "$KROOT/boot/vmlinuz-$kver" "$OUTDIR/vmlinuz"
echo "$kver" >"$OUTDIR/kernel-version"
echo "$VM_ARCH" >"$OUTDIR/arch"

# ---------------------------------------------------------------- initramfs
STAGE=$OUTDIR/initramfs-root
rm -rf "$STAGE"
mkdir -p "$STAGE"
cd "$STAGE"
mkdir -p bin sbin usr/bin usr/sbin lib lib64 etc/qemu proc sys dev run tmp \
    var/run var/log mnt/data root "lib/modules/$kver"
chmod 1777 tmp

cp "$BUSYBOX" bin/busybox
# The host's busybox lists the applets: the same Debian version as the guest's.
for applet in $(/bin/busybox --list-full); do
    [ -e "$applet" ] || [ -L "$applet" ] || ln -s /bin/busybox "$applet"
done
[ -e bin/sh ] || ln -s busybox bin/sh
# device nodes for the very first moments (before devtmpfs is mounted)
mknod -m 600 dev/console c 5 1 2>/dev/null || true
mknod -m 666 dev/null c 1 3 2>/dev/null || true

# modules: virtio transport, console, block, ext4 and their dependencies,
# as uncompressed .ko in load order
: >lib/modules/load-order
for m in virtio_pci virtio_console virtio_blk ext4 ${EXTRA_MODULES:-}; do
    deps=$(modprobe -d "$KROOT" -S "$kver" --show-depends "$m") || {
        log "modprobe --show-depends $m failed"; exit 1; }
    echo "$deps" | while read -r kind path _; do
        case "$kind" in
            insmod) ;;
            builtin) continue ;;
            *) continue ;;
        esac
        rel=${path#"$KROOT"/}
        if grep -qx "/$rel" lib/modules/load-order 2>/dev/null \
            || grep -qx "/${rel%.*}" lib/modules/load-order 2>/dev/null; then
            continue
        fi
        mkdir -p "$(dirname "$rel")"
        case "$path" in
            *.ko.xz) xz -dc "$path" >"${rel%.xz}"; rel=${rel%.xz} ;;
            *.ko.zst) zstd -qdc "$path" >"${rel%.zst}"; rel=${rel%.zst} ;;
            *.ko.gz) gzip -dc "$path" >"${rel%.gz}"; rel=${rel%.gz} ;;
            *) cp "$path" "$rel" ;;
        esac
        echo "/$rel" >>lib/modules/load-order
    done
done
log "modules: $(sed 's|.*/||' lib/modules/load-order | tr '\n' ' ')"

# the agent as `make install` installs it (Debian layout, binary in /usr/bin): the SysV init
# script /init starts it with, its settings file, the fsfreeze hook, qemu-ga.conf
mkdir -p "$OUTDIR/dist"
ln -sf "$AGENT" "$OUTDIR/dist/qemu-ga-swift"
# make install installs json-c's and musl's licences from beside the binary, as the release build leaves it.
ln -sf "$(dirname "$AGENT")/json-c.COPYING" "$OUTDIR/dist/json-c.COPYING"
ln -sf "$(dirname "$AGENT")/musl.COPYRIGHT" "$OUTDIR/dist/musl.COPYRIGHT"
make -s -C "$REPO" install DESTDIR="$STAGE" SBINDIR=/usr/bin DIST="$OUTDIR/dist" >&2
rm -rf "$OUTDIR/dist"
# and its shared libraries
ldd_out=$(LC_ALL=C ldd "$AGENT" 2>&1) || true
if echo "$ldd_out" | grep -Eq 'not a dynamic executable|statically linked'; then
    log "agent is static: no libraries to copy"
else
    swift_dirs=${SWIFT_LIB_DIRS:-/opt/swift/usr/lib/swift/linux}
    if command -v swiftc >/dev/null 2>&1; then
        sd=$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/swift/linux
        [ -d "$sd" ] && swift_dirs="$swift_dirs $sd"
    fi
    echo "$ldd_out" | while read -r line; do
        lib=
        case "$line" in
            *"=> not found"*)
                name=${line%% *}
                for d in $swift_dirs; do
                    if [ -f "$d/$name" ]; then lib=$d/$name; break; fi
                done
                if [ -z "$lib" ]; then log "ldd: $name not found (set SWIFT_LIB_DIRS)"; exit 1; fi
                log "ldd: $name not found by the loader, taking $lib (needs RPATH or LD_LIBRARY_PATH!)"
                ;;
            *"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
            /*) lib=${line%% (*} ;;
            *) continue ;;
        esac
        mkdir -p ".$(dirname "$lib")"
        cp -L "$lib" ".$lib"
    done
    log "libraries: $(echo "$ldd_out" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | tr '\n' ' ')"
fi

# scripts and config
cp "$HERE/guest/init" init
chmod 755 init
rm -f sbin/shutdown
cp "$HERE/guest/shutdown" sbin/shutdown
chmod 755 sbin/shutdown
if [ -f "$REPO/hooks/fsfreeze-hook" ]; then
    cp "$REPO/hooks/fsfreeze-hook" etc/qemu/fsfreeze-hook
    chmod 755 etc/qemu/fsfreeze-hook
    if [ -d "$REPO/hooks/fsfreeze-hook.d" ]; then
        cp -r "$REPO/hooks/fsfreeze-hook.d" etc/qemu/fsfreeze-hook.d
    fi
    log "added /etc/qemu/fsfreeze-hook"
fi
# the end-to-end suite's control shell and test hook (inert unless the VM has the
# org.qemu.e2e.ctl port, or a freeze runs the hook)
cp "$HERE/guest/e2e-ctl" usr/bin/qga-e2e-ctl
chmod 755 usr/bin/qga-e2e-ctl
mkdir -p etc/qemu/fsfreeze-hook.d
for f in "$HERE"/guest/fsfreeze-hook.d/*; do
    [ -f "$f" ] || continue
    cp "$f" "etc/qemu/fsfreeze-hook.d/$(basename "$f")"
    chmod 755 "etc/qemu/fsfreeze-hook.d/$(basename "$f")"
done
echo qga-guest >etc/hostname
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' >etc/group
printf 'root::19000:0:99999:7:::\n' >etc/shadow
chmod 600 etc/shadow
printf '127.0.0.1 localhost\n127.0.1.1 qga-guest\n' >etc/hosts
if [ -f /etc/os-release ]; then cp /etc/os-release etc/os-release; fi
ln -sf /proc/self/mounts etc/mtab
for pair in ${EXTRA_FILES:-}; do
    src=${pair%%:*}; dst=${pair#*:}
    mkdir -p ".$(dirname "$dst")"
    cp -L "$src" ".$dst"
done

find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -1 >"$OUTDIR/initramfs.gz.tmp"
mv "$OUTDIR/initramfs.gz.tmp" "$OUTDIR/initramfs.gz"
cd "$OUTDIR"
log "initramfs $(du -h initramfs.gz | cut -f1)"

# ---------------------------------------------------------------- data disk
DDIR=$OUTDIR/data-content
rm -rf "$DDIR" "$OUTDIR/data.raw"
mkdir -p "$DDIR"
echo "qemu-ga-swift data disk, built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$DDIR/qga-marker"
truncate -s "${DATA_DISK_MB}M" "$OUTDIR/data.raw"
mkfs.ext4 -q -F -L qga-data -d "$DDIR" "$OUTDIR/data.raw"
qemu-img convert -O qcow2 "$OUTDIR/data.raw" "$OUTDIR/data.qcow2"
rm -f "$OUTDIR/data.raw"
rm -rf "$DDIR"
log "done: $OUTDIR/{vmlinuz,initramfs.gz,data.qcow2} (kernel $kver)"
