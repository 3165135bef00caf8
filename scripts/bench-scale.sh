#!/bin/sh
# make bench, scale section: the commands hosts poll every few seconds (guest-get-fsinfo,
# guest-network-get-interfaces, guest-get-vcpus, guest-fsfreeze-status) and freeze+thaw of
# loop-mounted ext4/xfs filesystems, timed for qemu-ga-swift and the oracles qemu-ga 10.0.2
# and 7.2 at 0, 250, 1,000 and 4,000 extra mounts and veth interfaces, with the replies
# compared and the kernel's own read of /proc/self/mountinfo beside them. Writes
# docs/BENCHMARKS-scale.md and the chart docs/bench-scale.svg (gnuplot).
#
#   scripts/bench-scale.sh            (root; called by scripts/bench.sh)
#   QGA_SCALE_SIZES="0 250" scripts/bench-scale.sh    other sizes
#
# SAFETY. Everything happens in namespaces made for the run: a private mount namespace (no
# mount or unmount reaches the host) and a private network namespace (the veth pairs, their
# addresses from 10.64.0.0/10 and 2001:db8::/32, links never up, no traffic; the peers sit in a
# second private network namespace that ends with the run). In the mount namespace every
# block-device mount but / is detached first, so an agent's thaw cannot reach a filesystem that
# someone else on this machine froze, and only the loop filesystems this script created are
# ever frozen (guest-fsfreeze-freeze-list naming them; qga-bench refuses anything that is not
# the root of a loop-device mount). They are thawed again before the namespace ends.
set -eu
cd "$(dirname "$0")/.."
REPO=$(pwd)
SIZES=${QGA_SCALE_SIZES:-"0 250 1000 4000"}
# Loop filesystems to freeze: this many ext4 and as many xfs (images on a tmpfs, sparse).
FILESYSTEMS_PER_TYPE=${QGA_SCALE_FILESYSTEMS:-12}
BENCH=$REPO/.build/release/qga-bench
OURS=$REPO/dist/qemu-ga-swift
ORACLE10=$REPO/.build-oracle/10/usr/sbin/qemu-ga
ORACLE7=/usr/sbin/qemu-ga

if [ "${1:-}" != "--inside" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "bench-scale: needs root (namespaces, mounts, loop devices): scale section skipped" >&2
        exit 0
    fi
    scripts/install-deps.sh gnuplot-nox iproute2 util-linux e2fsprogs xfsprogs qemu-guest-agent >&2
    scripts/fetch-oracle10.sh >&2
    [ -x "$OURS" ] || make --no-print-directory release >&2
    [ -x "$BENCH" ] || swift build -c release --product qga-bench >&2
    out=$REPO/.build/bench-scale
    rm -rf "$out"
    mkdir -p "$out" docs
    work=$(mktemp -d /tmp/qga-bench-scale.XXXXXX)
    # The veth peers' network namespace: a sleeping process of ours, killed (by PID) at the end.
    unshare --net -- sleep 86400 &
    peer=$!
    trap 'kill "$peer" 2>/dev/null || true; rmdir "$work" 2>/dev/null || true' EXIT
    started=$(date +%s)
    unshare --net --mount --propagation private -- "$0" --inside "$work" "$peer" "$out"
    seconds=$(( $(date +%s) - started ))
    "$BENCH" --scale-report --scale-data "$out/figures.tsv" --chart-data "$out/chart.dat" \
        --output docs/BENCHMARKS-scale.md \
        --note "qemu-ga-swift: \`dist/qemu-ga-swift\` (\`make release\`); qemu-ga 10.0.2: bookworm-backports' (\`scripts/fetch-oracle10.sh\`); qemu-ga 7.2: Debian's ($("$ORACLE7" -V 2>&1 | head -n 1))" \
        --note "freeze+thaw: \`guest-fsfreeze-freeze-list\` naming $((2 * FILESYSTEMS_PER_TYPE)) loop-mounted filesystems ($FILESYSTEMS_PER_TYPE ext4 of 64 MiB, $FILESYSTEMS_PER_TYPE xfs of 300 MiB, images on a tmpfs), then \`guest-fsfreeze-thaw\`, once per pass, each freeze after 0.2 s idle (untimed) so that it starts cold as a real one does (right after a thaw the kernel's freeze locks skip their RCU grace periods)" \
        --note "the section took $seconds s (namespaces, mounts, interfaces and every agent)" >/dev/null
    gnuplot -e "datafile='$out/chart.dat'; outfile='docs/bench-scale.svg'" scripts/bench-scale.gp
    echo "bench-scale: wrote docs/BENCHMARKS-scale.md and docs/bench-scale.svg ($seconds s)" >&2
    exit 0
fi

# --- Inside the private mount and network namespaces ------------------------------------------
work=$2
peer=$3
out=$4
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ] ||
    [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
    echo "bench-scale: not in private namespaces; refusing to go on" >&2
    exit 1
fi

# Detach every block-device mount but / (this namespace's copies only; see SAFETY above).
awk '$3 !~ /^0:/ && $5 != "/" { print $5 }' /proc/self/mountinfo | sort -r | while read -r mountpoint; do
    umount -l "$(printf '%b' "$mountpoint")"
done
# This network namespace's view of /sys/class/net; a tmpfs for everything the run makes.
mount -t sysfs sysfs /sys
mount -t tmpfs -o size=4g qga-bench-scale "$work"
mkdir "$work/images" "$work/fs" "$work/mounts"

frozen_candidates=""
cleanup() {
    for mountpoint in $frozen_candidates; do
        fsfreeze --unfreeze "$mountpoint" 2>/dev/null || true
    done
}
trap cleanup EXIT

echo "bench-scale: making $FILESYSTEMS_PER_TYPE ext4 and $FILESYSTEMS_PER_TYPE xfs loop filesystems" >&2
freeze_args=""
for type in ext4 xfs; do
    i=0
    while [ $i -lt "$FILESYSTEMS_PER_TYPE" ]; do
        image=$work/images/$type-$i
        mountpoint=$work/fs/$type-$i
        if [ $type = ext4 ]; then
            truncate -s 64M "$image" && mkfs.ext4 -q -F "$image"
        else
            truncate -s 300M "$image" && mkfs.xfs -q -f "$image"
        fi
        mkdir "$mountpoint"
        mount -o loop "$image" "$mountpoint"
        frozen_candidates="$frozen_candidates $mountpoint"
        freeze_args="$freeze_args --freeze-mountpoint $mountpoint"
        i=$((i + 1))
    done
done

have=0
for size in $SIZES; do
    started=$(date +%s)
    # N extra mounts: even ones bind mounts of the root device (/usr), odd ones tmpfs.
    "$BENCH" --add-mounts "$have:$size:$work/mounts"
    # N veth interfaces, each with an IPv4 and an IPv6 address (documentation/private ranges),
    # created in one `ip -batch`; the links stay down.
    awk -v from="$have" -v to="$size" -v peer="$peer" 'BEGIN {
        for (n = from; n < to; n++) {
            printf "link add qv%d type veth peer name qp%d netns %d\n", n, n, peer
            printf "address add 10.%d.%d.1/24 dev qv%d\n", 64 + int(n / 256), n % 256, n
            printf "address add 2001:db8:0:%x::1/64 dev qv%d nodad\n", n, n
        }
    }' > "$work/veth.batch"
    [ -s "$work/veth.batch" ] && ip -batch "$work/veth.batch"
    have=$size
    echo "bench-scale: size $size ready in $(( $(date +%s) - started )) s; timing" >&2
    # shellcheck disable=SC2086
    "$BENCH" --scale-size "$size" --scale-data "$out/figures.tsv" \
        --agent "qemu-ga-swift=$OURS" --agent "qemu-ga 10.0.2=$ORACLE10" --reference "qemu-ga 7.2=$ORACLE7" \
        $freeze_args
done
