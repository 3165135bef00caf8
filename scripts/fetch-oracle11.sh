#!/bin/sh
# Unpacks (never installs) sid's qemu-guest-agent (11.1.x when written), the third oracle of the
# differential tests, with the sid libraries it needs, into .build-oracle/11/root/. sid's
# qemu-ga needs a newer glibc than this machine's, so it runs under sid's own loader and
# libraries: .build-oracle/11/qemu-ga is a wrapper that does exactly that, passing its own path
# as argv[0] so messages name the path the tests started. The apt source is the machine's own
# Debian entry with the suite changed, so no mirror is named here. The version sid had when
# fetched is written to .build-oracle/11/VERSION. Idempotent: a present wrapper is kept.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
O=$REPO/.build-oracle/11
if [ -x "$O/qemu-ga" ] && [ -x "$O/root/usr/sbin/qemu-ga" ]; then exit 0; fi
SRC=/etc/apt/sources.list.d/debian.sources
URI=$(awk '/^URIs:/{print $2; exit}' "$SRC" 2>/dev/null || true)
if [ -z "$URI" ] && [ -f /etc/apt/sources.list ]; then
    URI=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
fi
[ -n "$URI" ] || { echo "fetch-oracle11: no Debian source entry to derive the sid suite from" >&2; exit 1; }
rm -rf "$O/debs" "$O/root"
mkdir -p "$O/apt/lists/partial" "$O/apt/cache/archives/partial" "$O/debs" "$O/root"
echo "deb $URI sid main" > "$O/apt/sources.list"
set -- -o Dir::Etc::sourcelist="$O/apt/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::State::Lists="$O/apt/lists" -o Dir::Cache="$O/apt/cache"
apt-get "$@" -qq update
# qemu-ga's own package and every shared library it links (its NEEDED entries and theirs),
# all from sid so that they match sid's loader.
(cd "$O/debs" && apt-get "$@" -qq download qemu-guest-agent/sid libc6/sid libglib2.0-0t64/sid \
    libnuma1/sid libudev1/sid liburing2/sid libpcre2-8-0/sid libffi8/sid libmount1/sid \
    libselinux1/sid libblkid1/sid zlib1g/sid libcap2/sid libatomic1/sid)
for deb in "$O"/debs/*.deb; do dpkg-deb -x "$deb" "$O/root"; done
cat > "$O/qemu-ga.tmp" <<'EOF'
#!/bin/sh
# sid's qemu-ga under sid's loader and libraries (written by scripts/fetch-oracle11.sh).
D=$(cd "$(dirname "$0")" && pwd)
L=$D/root/usr/lib/x86_64-linux-gnu
exec "$L/ld-linux-x86-64.so.2" --library-path "$L" --argv0 "$0" "$D/root/usr/sbin/qemu-ga" "$@"
EOF
chmod 0755 "$O/qemu-ga.tmp"
dpkg-deb -f "$O"/debs/qemu-guest-agent_*.deb Version > "$O/VERSION"
mv "$O/qemu-ga.tmp" "$O/qemu-ga"
"$O/qemu-ga" -V
