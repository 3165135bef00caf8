#!/bin/sh
# Compiles Sources/QGAProtocol in Embedded Swift (-enable-experimental-feature Embedded -wmo
# -Osize), links scripts/embedded-smoke.swift against it and checks the replies it prints.
# Embedded Swift has no Glibc module: the stand-in module map of the shipped build
# (Embedded/Glibc, over the libc headers the sources use) takes its place. Outputs go to
# .build/embedded-check/.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
SWIFTC=${SWIFTC:-swiftc}
OUT=$REPO/.build/embedded-check
RUNTIME=$("$SWIFTC" -print-target-info | sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p')
EMBEDDED_LIB=$RUNTIME/embedded/x86_64-unknown-linux-gnu
mkdir -p "$OUT"

set -- -swift-version 6 -enable-experimental-feature Embedded -wmo -Osize -parse-as-library \
    -I "$OUT" -I "$REPO/Embedded" -I "$REPO/Sources/CJSONC"
"$SWIFTC" "$@" -module-name QGAProtocol -emit-module -emit-module-path "$OUT/QGAProtocol.swiftmodule" \
    -c -o "$OUT/QGAProtocol.o" "$REPO"/Sources/QGAProtocol/*.swift
"$SWIFTC" "$@" -module-name EmbeddedSmoke -c -o "$OUT/EmbeddedSmoke.o" "$REPO/scripts/embedded-smoke.swift"
# Linked by the C compiler: swiftc would add the full runtime (libswiftCore) to the link.
"${CC:-cc}" -c -I "$REPO/Sources/CLinux/include" -o "$OUT/ErrorText.o" "$REPO/Sources/CLinux/ErrorText.c"
"${CC:-cc}" -o "$OUT/embedded-smoke" "$OUT/EmbeddedSmoke.o" "$OUT/QGAProtocol.o" "$OUT/ErrorText.o" \
    -L "$EMBEDDED_LIB" -lswiftUnicodeDataTables -ljson-c -lm

EXPECTED='{"return": {"id": 42}, "id": "a"}
{"error": {"class": "GenericError", "desc": "Invalid parameter type for '"'id'"', expected: integer"}}
{"error": {"class": "GenericError", "desc": "Parameter '"'extra'"' is unexpected"}}'
ACTUAL=$("$OUT/embedded-smoke")
if [ "$ACTUAL" != "$EXPECTED" ]; then
    printf 'embedded-check: unexpected replies:\n%s\nexpected:\n%s\n' "$ACTUAL" "$EXPECTED" >&2
    exit 1
fi
echo "embedded-check: QGAProtocol builds in Embedded Swift; smoke binary $(wc -c < "$OUT/embedded-smoke") bytes," \
    "linked to: $(ldd "$OUT/embedded-smoke" | awk '/=>/{printf "%s ", $1}')"
