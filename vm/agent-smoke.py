#!/usr/bin/env python3
"""Smoke test of a real agent in the VM.

    vm/build-guest.sh .build/debug/qemu-ga-swift .build-vm/agent-guest
    vm/agent-smoke.py .build-vm/agent-guest [--shutdown] [--keep-going]

Boots the guest, then over OUTDIR/qga.sock: guest-sync-delimited (0xFF
flush, reply must follow a 0xFF byte), guest-ping, guest-info, a host
reconnect followed by guest-ping, and with --shutdown guest-shutdown
(expects QEMU to exit because of -no-reboot / poweroff).  Prints each step
with its latency and "N passed, N failed".  QEMU is stopped by pid at the
end in every case.
"""
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmctl import Guest  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}", flush=True)
    return ok


def read_json_after_ff(conn, timeout):
    """Skip everything up to the first 0xFF, then read one JSON line."""
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\xff" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, buf
        line = conn.readline(left)
        if not line:
            return None, buf
        buf += line
    after = buf.split(b"\xff", 1)[1]
    if b"\n" not in after:
        rest = conn.readline(max(0.1, deadline - time.monotonic())) or b""
        after += rest
    return json.loads(after.split(b"\n", 1)[0]), buf


def call(conn, cmd, args=None, timeout=10):
    msg = {"execute": cmd}
    if args is not None:
        msg["arguments"] = args
    t = time.monotonic()
    conn.send(json.dumps(msg) + "\n")
    line = conn.readline(timeout)
    dt = (time.monotonic() - t) * 1000
    if not line:
        return None, dt
    return json.loads(line), dt


def main():
    outdir = sys.argv[1]
    do_shutdown = "--shutdown" in sys.argv
    g = Guest(outdir)
    with g:
        g.wait_console(r"agent pid", 120)
        c = g.qga_connect()
        sid = random.randint(1, 2**31)
        t = time.monotonic()
        c.send(b"\xff" + json.dumps({"execute": "guest-sync-delimited",
                                      "arguments": {"id": sid}}).encode() + b"\n")
        r, raw = read_json_after_ff(c, 60)
        before = raw.split(b"\xff")[0][:200]
        check("guest-sync-delimited", r == {"return": sid},
              f"{(time.monotonic()-t)*1000:.0f} ms (since boot {g.elapsed():.1f} s) "
              f"bytes before 0xFF: {before!r}")
        r, dt = call(c, "guest-ping")
        check("guest-ping", r == {"return": {}}, f"{dt:.1f} ms")
        r, dt = call(c, "guest-info")
        ok = isinstance(r, dict) and "version" in r.get("return", {})
        n = len(r["return"].get("supported_commands", [])) if ok else 0
        check("guest-info", ok, f"{dt:.1f} ms, {n} commands")
        c.close()
        time.sleep(1.0)
        c = g.qga_connect()
        r, dt = call(c, "guest-ping")
        check("guest-ping after host reconnect", r == {"return": {}}, f"{dt:.1f} ms")
        if do_shutdown:
            c.send(json.dumps({"execute": "guest-shutdown", "arguments": {"mode": "powerdown"}}) + "\n")
            rc = g.wait_exit(60)
            check("guest-shutdown powers the VM off", rc is not None, f"QEMU exit status {rc}")
        c.close()
    console = g.console()
    tail = "\n".join(l for l in console.splitlines() if "insmod" not in l)
    print("--- console ---\n" + tail[-5000:])
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
