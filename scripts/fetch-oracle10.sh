#!/bin/sh
# Unpacks (never installs) bookworm-backports' qemu-guest-agent 10.0.2, the second oracle of the
# differential tests, into .build-oracle/10/ (usr/sbin/qemu-ga). The apt source is the machine's
# own Debian entry with the suite changed, so no mirror is named here. Idempotent: a present
# binary is kept.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
O=$REPO/.build-oracle/10
if [ -x "$O/usr/sbin/qemu-ga" ]; then exit 0; fi
SRC=/etc/apt/sources.list.d/debian.sources
URI=$(awk '/^URIs:/{print $2; exit}' "$SRC" 2>/dev/null || true)
if [ -z "$URI" ] && [ -f /etc/apt/sources.list ]; then
    URI=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
fi
[ -n "$URI" ] || { echo "fetch-oracle10: no Debian source entry to derive the backports suite from" >&2; exit 1; }
mkdir -p "$O/apt/lists/partial" "$O/apt/cache/archives/partial"
echo "deb $URI bookworm-backports main" > "$O/apt/sources.list"
set -- -o Dir::Etc::sourcelist="$O/apt/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::State::Lists="$O/apt/lists" -o Dir::Cache="$O/apt/cache"
apt-get "$@" -qq update
(cd "$O" && apt-get "$@" -qq download qemu-guest-agent/bookworm-backports)
dpkg-deb -x "$O"/qemu-guest-agent_*.deb "$O"
"$O/usr/sbin/qemu-ga" -V
