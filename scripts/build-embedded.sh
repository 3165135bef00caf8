#!/bin/sh
# The shipped agent: one fully static binary per architecture, built in Embedded Swift against
# musl. scripts/build-embedded.sh [--arch x86_64|aarch64] OUTPUT
#
# The same sources `swift build` compiles for the tests (glibc, normal Swift), compiled module by
# module with `-enable-experimental-feature Embedded -wmo -Osize`, each function in its own
# section, against musl's headers, and linked statically with musl's libc.a, json-c (built from
# Debian's source by scripts/build-jsonc.sh) and --gc-sections: no Swift runtime, no shared
# library, nothing needed on the guest but a Linux kernel. scripts/musl-cc is the C compiler and
# linker for both architectures; aarch64 is a cross build (musl-dev:arm64,
# gcc-aarch64-linux-gnu for libgcc and strip, linux-libc-dev:arm64 for asm/).
# (SwiftPM cannot build one target in two modes, hence this script.)
#
# Embedded Swift has no Glibc overlay: Embedded/Glibc is a module map of the same name over the
# libc headers the sources use (musl's here), and Embedded/CLinux the module map SwiftPM
# generates for Sources/CLinux. Embedded/EmbeddedRuntime.c supplies what the Embedded standard
# library expects from the platform, and `main`, which hands argc/argv to the agent (Embedded
# Swift has no CommandLine); Embedded/BridgeObjectRetain.c corrects the runtime's
# swift_bridgeObjectRetain (it corrupted small Strings, visibly on aarch64). Intermediate files
# go to .build/embedded-ARCH/.
#
# SWIFT_OPTIMIZATION (default -Osize) is for measuring: -O measured 786 KB instead of 676 KB
# for 6-9% fewer instructions per guest-ping/guest-info (`make profile`), well inside the
# targets either way, so the shipped build stays -Osize.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
ARCH=$(uname -m)
if [ "${1:-}" = "--arch" ]; then ARCH=${2:?--arch needs x86_64 or aarch64}; shift 2; fi
OUTPUT=${1:?usage: build-embedded.sh [--arch x86_64|aarch64] OUTPUT}
SWIFTC=${SWIFTC:-swiftc}
case "$ARCH" in
    # The x86_64 Embedded standard library is built for linux-gnu; nothing in it depends on glibc.
    x86_64) TARGET=x86_64-unknown-linux-gnu STRIP=strip ;;
    # The only aarch64 Embedded standard library the toolchain ships is the bare-metal one.
    aarch64) TARGET=aarch64-none-none-elf STRIP=aarch64-linux-gnu-strip ;;
    *) echo "build-embedded: unsupported architecture $ARCH" >&2; exit 2 ;;
esac
WORK=$REPO/.build/embedded-$ARCH
rm -rf "$WORK"
mkdir -p "$WORK" "$(dirname "$OUTPUT")"
RUNTIME=$("$SWIFTC" -print-target-info | sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p')
EMBEDDED_LIB=$RUNTIME/embedded/$TARGET
[ -d "$EMBEDDED_LIB" ] || { echo "build-embedded: no Embedded Swift runtime at $EMBEDDED_LIB" >&2; exit 1; }
JSONC=$("$REPO/scripts/build-jsonc.sh" "$ARCH" | tail -1)
export MUSL_ARCH=$ARCH
CC=$REPO/scripts/musl-cc
KERNEL_INCLUDE=$REPO/.build-static/$ARCH/kernel-include
"$CC" -E -x c /dev/null -o /dev/null # musl-cc makes $KERNEL_INCLUDE on first use
CLANG_INCLUDE=$("$(dirname "$(command -v "$SWIFTC")")/clang" -print-resource-dir)/include

# The Clang importer sees what musl-cc's compiles see: musl's headers, the kernel's, json-c's.

set -- -swift-version 6 -target "$TARGET" -enable-experimental-feature Embedded -wmo ${SWIFT_OPTIMIZATION:--Osize} \
    -Xfrontend -function-sections -I "$REPO/Embedded" -I "$REPO/Sources/CJSONC" -I "$WORK" \
    -Xcc -nostdinc -Xcc -isystem -Xcc "$CLANG_INCLUDE" \
    -Xcc -isystem -Xcc "/usr/include/$ARCH-linux-musl" -Xcc -isystem -Xcc "$KERNEL_INCLUDE" \
    -Xcc -I -Xcc "$JSONC/include"

# The agent's modules in dependency order, one level a line; those on one line do not depend on
# each other and build together. A library module: Sources/NAME/**/*.swift into NAME.o and
# NAME.swiftmodule.
library() {
    "$SWIFTC" "$@" -parse-as-library -module-name "$MODULE" \
        -emit-module -emit-module-path "$WORK/$MODULE.swiftmodule" -c -o "$WORK/$MODULE.o" \
        $(find "$REPO/Sources/$MODULE" -name '*.swift' | sort)
}
for level in "SystemCalls QGAProtocol CommandLineOptions" "Channel ProcessRunner" "FreezeHooks" "Commands"; do
    pids=
    for MODULE in $level; do
        library "$@" &
        pids="$pids $!"
    done
    for pid in $pids; do wait "$pid"; done
done
# The executable's top-level code becomes qga_swift_main, called by EmbeddedRuntime.c's main.
"$SWIFTC" "$@" -module-name qemu_ga_swift -Xfrontend -entry-point-function-name -Xfrontend qga_swift_main \
    -c -o "$WORK/qemu_ga_swift.o" "$REPO"/Sources/qemu-ga-swift/*.swift

for source in "$REPO"/Sources/CLinux/*.c; do
    "$CC" -Os -ffunction-sections -fdata-sections -c -I "$REPO/Sources/CLinux/include" \
        -o "$WORK/CLinux-$(basename "$source" .c).o" "$source"
done
"$CC" -Os -ffunction-sections -fdata-sections -c -I "$REPO/Sources/CLinux/include" \
    -o "$WORK/EmbeddedRuntime.o" "$REPO/Embedded/EmbeddedRuntime.c"
"$CC" -Os -ffunction-sections -fdata-sections -c -o "$WORK/BridgeObjectRetain.o" "$REPO/Embedded/BridgeObjectRetain.c"
"$CC" -o "$WORK/qemu-ga-swift" -Wl,--gc-sections \
    "$WORK/qemu_ga_swift.o" "$WORK/Commands.o" "$WORK/FreezeHooks.o" "$WORK/ProcessRunner.o" \
    "$WORK/Channel.o" "$WORK/QGAProtocol.o" "$WORK/CommandLineOptions.o" "$WORK/SystemCalls.o" "$WORK"/CLinux-*.o \
    "$WORK/EmbeddedRuntime.o" "$WORK/BridgeObjectRetain.o" \
    "$EMBEDDED_LIB/libswiftUnicodeDataTables.a" "$JSONC/lib/libjson-c.a"
"$STRIP" -o "$OUTPUT" "$WORK/qemu-ga-swift"
# json-c and musl are linked in: their licences go wherever the binary goes (the packages, the
# tarball). musl's is Debian's copyright file of the musl package musl-dev brings.
cp "$REPO/.build-static/json-c-src/COPYING" "$(dirname "$OUTPUT")/json-c.COPYING"
cp /usr/share/doc/musl/copyright "$(dirname "$OUTPUT")/musl.COPYRIGHT"
echo "build-embedded: $OUTPUT ($ARCH, static), $(wc -c < "$OUTPUT") bytes"
