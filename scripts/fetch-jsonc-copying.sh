#!/bin/sh
# scripts/fetch-jsonc-copying.sh OUTPUT: json-c's licence text (its COPYING, MIT), which every
# package and tarball ships because json-c is linked into the binary. Taken from the json-c
# source package of Debian 12 (the json-c the agent is built with): apt-get source
# --download-only with a deb-src entry made from this machine's Debian apt source, so no
# mirror is named here; nothing is installed. The download is kept in .build-pkg/json-c/.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUTPUT=${1:?usage: fetch-jsonc-copying.sh OUTPUT}
W=$REPO/.build-pkg/json-c
SRC=/etc/apt/sources.list.d/debian.sources
URI=$(awk '/^URIs:/{print $2; exit}' "$SRC" 2>/dev/null || true)
if [ -z "$URI" ] && [ -f /etc/apt/sources.list ]; then
    URI=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
fi
[ -n "$URI" ] || { echo "fetch-jsonc-copying: no Debian apt source to derive a deb-src entry from" >&2; exit 1; }
if ! ls "$W"/json-c_*.orig.tar.* >/dev/null 2>&1; then
    mkdir -p "$W/apt/lists/partial" "$W/apt/cache/archives/partial"
    echo "deb-src $URI bookworm main" >"$W/apt/sources.list"
    set -- -o Dir::Etc::sourcelist="$W/apt/sources.list" -o Dir::Etc::sourceparts=- \
        -o Dir::State::Lists="$W/apt/lists" -o Dir::Cache="$W/apt/cache"
    apt-get "$@" -qq update
    (cd "$W" && apt-get "$@" -qq source --download-only json-c 2>/dev/null)
fi
mkdir -p "$(dirname "$OUTPUT")"
tar -xzOf "$(ls "$W"/json-c_*.orig.tar.* | head -1)" --wildcards '*/COPYING' >"$OUTPUT.tmp"
grep -q 'Permission is hereby granted' "$OUTPUT.tmp" || { echo "fetch-jsonc-copying: no MIT text in json-c's COPYING" >&2; exit 1; }
mv "$OUTPUT.tmp" "$OUTPUT"
echo "fetch-jsonc-copying: $OUTPUT"
