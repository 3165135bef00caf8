#!/bin/sh
# json-c for the static agent: Debian's own json-c source package (bookworm's, 0.16), built as a
# static library with scripts/musl-cc for one architecture. Never committed: the source is
# fetched at build time and everything lands under .build-static/ (kept between builds).
#
#   scripts/build-jsonc.sh ARCH     prints the install prefix (include/json-c, lib/libjson-c.a)
#
# The apt source is the machine's own Debian entry as a deb-src line, so no mirror is named here.
set -eu
ARCH=${1:?usage: build-jsonc.sh x86_64|aarch64}
REPO=$(cd "$(dirname "$0")/.." && pwd)
STATIC=$REPO/.build-static
SRC=$STATIC/json-c-src
PREFIX=$STATIC/$ARCH/json-c
say() { echo "build-jsonc: $*" >&2; }
if [ -f "$PREFIX/lib/libjson-c.a" ]; then echo "$PREFIX"; exit 0; fi

if [ ! -f "$SRC/CMakeLists.txt" ]; then
    APT=$STATIC/apt
    SOURCES=/etc/apt/sources.list.d/debian.sources
    URI=$(awk '/^URIs:/{print $2; exit}' "$SOURCES" 2>/dev/null || true)
    if [ -z "$URI" ] && [ -f /etc/apt/sources.list ]; then
        URI=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
    fi
    [ -n "$URI" ] || { say "no Debian source entry to make a deb-src line from"; exit 1; }
    rm -rf "$APT" && mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/download"
    echo "deb-src $URI bookworm main" > "$APT/sources.list"
    set -- -o Dir::Etc::sourcelist="$APT/sources.list" -o Dir::Etc::sourceparts=- \
        -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache"
    apt-get "$@" -qq update
    (cd "$APT/download" && apt-get "$@" -qq source --download-only json-c)
    rm -rf "$SRC.tmp" && dpkg-source --no-check -x "$APT"/download/json-c_*.dsc "$SRC.tmp" >/dev/null
    rm -rf "$SRC" && mv "$SRC.tmp" "$SRC"
    say "source $(sed -n '1s/^json-c (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")"
fi

BUILD=$STATIC/$ARCH/json-c-build
rm -rf "$BUILD" "$PREFIX" && mkdir -p "$BUILD"
# CMAKE_SYSTEM_NAME makes this a cross build for both architectures: nothing built here is run.
(cd "$BUILD" && MUSL_ARCH=$ARCH cmake "$SRC" -DCMAKE_C_COMPILER="$REPO/scripts/musl-cc" \
    -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$ARCH" -DCMAKE_AR="$(dirname "$(command -v swiftc)")/llvm-ar" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DBUILD_APPS=OFF \
    -DDISABLE_WERROR=ON -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_C_FLAGS="-ffunction-sections -fdata-sections" \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" >"$BUILD/configure.log" 2>&1 \
    && MUSL_ARCH=$ARCH make -j"$(nproc)" install >"$BUILD/build.log" 2>&1) \
    || { say "failed; see $BUILD/*.log"; tail -20 "$BUILD"/*.log >&2; exit 1; }
echo "$PREFIX"
