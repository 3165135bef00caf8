#!/bin/sh
# Runs the agent with an embedded default: the virtio-serial port when this machine has one,
# otherwise unix-listen on a socket under the project directory. Extra arguments are passed on.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/dist/qemu-ga-swift"   # what make release ships
port=/dev/virtio-ports/org.qemu.guest_agent.0
if [ -e "$port" ] || ls /sys/class/virtio-ports/*/name >/dev/null 2>&1 && grep -qx org.qemu.guest_agent.0 /sys/class/virtio-ports/*/name 2>/dev/null; then
    echo "serving the virtio-serial port org.qemu.guest_agent.0"
    exec "$bin" -m virtio-serial "$@"
fi
dir="$root/run"
mkdir -p "$dir/state"
echo "no virtio-serial port here: serving unix-listen on $dir/qga.sock"
echo "talk to it, e.g.:"
echo "  echo '{\"execute\":\"guest-info\"}' | socat - UNIX-CONNECT:$dir/qga.sock"
echo "  python3 -c \"import socket;s=socket.socket(socket.AF_UNIX);s.connect('$dir/qga.sock');s.sendall(b'{\\\"execute\\\":\\\"guest-ping\\\"}');print(s.recv(4096))\""
echo "stop with Ctrl-C"
exec "$bin" -m unix-listen -p "$dir/qga.sock" -t "$dir/state" -v "$@"
