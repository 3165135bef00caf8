#!/usr/bin/env python3
"""Harness smoke test: boot the guest with port-probe as the agent and check
that lines sent on OUTDIR/qga.sock come back.

    vm/probe/echo-test.py OUTDIR [--mode=echo|sigio|epollet]

Prints boot-to-first-echo time (from starting QEMU to receiving the first
echoed line on the host).  Exits non-zero on failure.  QEMU is always
stopped (by its own pid) at the end.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vmctl import Guest  # noqa: E402


def main():
    outdir = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "--mode=echo"
    g = Guest(outdir, [f'qga.args="{mode}"'])
    with g:
        c = g.qga_connect(timeout=30)
        t_conn = g.elapsed()
        # Send a numbered ping every 0.5 s until the first echo arrives.
        first = None
        n = 0
        deadline = time.monotonic() + 90
        while first is None and time.monotonic() < deadline:
            n += 1
            c.send(f"ping-{n}\n")
            line = c.readline(0.5)
            if line:
                first = line
        if first is None:
            print("FAIL: no echo within 90 s")
            print(g.console()[-3000:])
            return 1
        t_first = g.elapsed()
        # drain echoes of the other pings
        extra = c.read_available(1.0)
        print(f"connected to qga.sock {t_conn:.2f} s after QEMU start")
        print(f"boot-to-first-echo: {t_first:.2f} s (first echo {first!r}, pings sent: {n}, "
              f"other echoes: {extra!r})")
        ok = True
        for msg in ["hello", '{"execute":"guest-ping"}', "x" * 3000]:
            t = time.monotonic()
            c.send(msg + "\n")
            got = c.readline(10)
            dt = (time.monotonic() - t) * 1000
            good = got == (msg + "\n").encode()
            ok &= good
            print(f"  {'ok ' if good else 'BAD'} {len(msg)+1} bytes round trip {dt:.1f} ms")
        # reconnect: the guest must see EOF, then resume on the new connection
        c.close()
        time.sleep(1.0)
        c = g.qga_connect()
        t = time.monotonic()
        c.send("after-reconnect\n")
        got = c.readline(10)
        good = got == b"after-reconnect\n"
        ok &= good
        print(f"  {'ok ' if good else 'BAD'} echo after host reconnect ({(time.monotonic()-t)*1000:.1f} ms)")
        c.close()
    print("--- console ---")
    print(g.console())
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
