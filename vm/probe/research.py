#!/usr/bin/env python3
"""virtio_console behaviour experiments (findings in vm/README.md).

    vm/probe/research.py OUTDIR [experiment ...]

OUTDIR is a guest built with port-probe as the agent:
    vm/probe/build.sh && vm/build-guest.sh .build-vm/port-probe OUTDIR

Experiments: observe sigio sigio-race setsig async-open epollet epollet-race
lateopen lateopen-closed (default: all), and "dispatch" for a guest built
from dispatch-probe.swift.  Each boots its own guest, drives
the host side of OUTDIR/qga.sock from the guest's console markers, prints the
guest's probe lines plus the host's observations, and stops QEMU by pid.
Console logs are kept as OUTDIR/research-<experiment>.log.
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vmctl import Guest  # noqa: E402

HOST = []


def host(msg):
    line = f"host: {msg}"
    HOST.append(line)
    print(line, flush=True)


def boot(outdir, args):
    g = Guest(outdir, [f'qga.args="{args}"'])
    g.start()
    return g


def finish(g, name):
    g.stop()
    shutil.copy(g.console_path, os.path.join(g.outdir, f"research-{name}.log"))
    print(f"--- guest console ({name}) ---")
    for line in g.console().splitlines():
        if line.startswith("probe[") or "AGENT-EXITED" in line:
            print("  " + line)
    print()


def exp_observe(outdir):
    g = boot(outdir, "--mode=observe")
    try:
        _, off = g.wait_console(r"HOST-CONNECT-NOW", 120)
        time.sleep(1.5)  # let the guest's blocking write sit for a while
        c = g.qga_connect()
        host("connected (guest write is blocked)")
        got = c.read_available(3)
        host(f"received after connect: {got!r}")
        _, off = g.wait_console(r"HOST-SEND-AND-CLOSE", 60, off)
        c.send("a4-sent-then-host-closed\n")
        c.close()
        host("sent 'a4-sent-then-host-closed' and closed")
        _, off = g.wait_console(r"HOST-SEND-WHILE-CLOSED", 60, off)
        time.sleep(1.0)
        c = g.qga_connect()
        c.send("c3-sent-while-guest-closed\n")
        host("connected while guest port closed, sent 'c3-sent-while-guest-closed', not reading now")
        _, off = g.wait_console(r"OBSERVE-DONE", 120, off)
        got = c.read_available(3)
        host(f"after OBSERVE-DONE, host reads {len(got)} bytes from the socket "
             f"(what the guest wrote in C4 until EAGAIN)")
        c.close()
        g.wait_console(r"AGENT-EXITED", 30, off)
    finally:
        finish(g, "observe")


def _echo(c, text, timeout=10):
    t = time.monotonic()
    c.send(text + "\n")
    got = c.readline(timeout)
    host(f"sent {text!r}, got {got!r} after {(time.monotonic()-t)*1000:.1f} ms")
    return got == (text + "\n").encode()


def exp_sigio(outdir, extra="", name="sigio", idle=12):
    g = boot(outdir, f"--mode=sigio {extra}".strip())
    try:
        _, off = g.wait_console(r"waiting \(no timeout\)", 120)
        host(f"guest is waiting after first EOF; staying away {idle} s")
        time.sleep(idle)
        c = g.qga_connect()
        host("connected (no data sent yet)")
        time.sleep(2)
        _echo(c, "hello-1")
        _echo(c, "hello-2")
        c.close()
        host("disconnected")
        _, off = g.wait_console(r"waiting \(no timeout\)", 30, off)
        host(f"guest waiting again; staying away {idle} s")
        time.sleep(idle)
        c = g.qga_connect()
        host("reconnected")
        _echo(c, "hello-3")
        c.close()
        time.sleep(2)
    finally:
        finish(g, name)


def exp_sigio_race(outdir, mode="sigio", name="sigio-race"):
    g = boot(outdir, f"--mode={mode} --race-delay=6")
    try:
        _, off = g.wait_console(r"race window", 120)
        c = g.qga_connect()
        host("connected inside the race window (guest is sleeping between EOF read and wait)")
        _, off = g.wait_console(r"waiting \(no timeout\)", 30, off)
        time.sleep(2)
        woke = "woken after" in g.console()[off:]
        host(f"2 s after the guest started waiting: guest {'WAS' if woke else 'was NOT'} woken by the connect alone")
        _echo(c, "race-1")
        c.close()
        host("disconnected; next: send data inside the window")
        _, off = g.wait_console(r"race window", 30, off)
        c = g.qga_connect()
        c.send("race-2\n")
        host("connected and sent 'race-2' inside the race window")
        got = c.readline(20)
        host(f"got {got!r}")
        c.close()
        time.sleep(8)
    finally:
        finish(g, name)


def exp_async_open(outdir):
    g = boot(outdir, "--mode=sigio --async-open")
    try:
        _, off = g.wait_console(r"waiting \(no timeout\)", 120)
        time.sleep(2)
        c = g.qga_connect()
        host("connected")
        ok = _echo(c, "async-open-1", timeout=8)
        host("echo arrived: O_ASYNC from open() works" if ok
             else "no echo within 8 s: no SIGIO, O_ASYNC given to open() is ignored")
        c.close()
    finally:
        finish(g, "async-open")


def exp_epollet(outdir):
    g = boot(outdir, "--mode=epollet")
    try:
        _, off = g.wait_console(r"waiting \(no timeout\)", 120)
        host("guest waiting in epoll after EOF; staying away 12 s")
        time.sleep(12)
        c = g.qga_connect()
        host("connected, no data for 3 s")
        time.sleep(3)
        _echo(c, "et-1")
        c.close()
        host("disconnected")
        _, off = g.wait_console(r"waiting \(no timeout\)", 30, off)
        time.sleep(6)
        c = g.qga_connect()
        _echo(c, "et-2")
        c.close()
        time.sleep(2)
    finally:
        finish(g, "epollet")


def exp_lateopen(outdir):
    g = boot(outdir, "--mode=lateopen --open-delay=8")
    try:
        _, off = g.wait_console(r"LATEOPEN waiting", 120)
        c = g.qga_connect()
        c.send("early-1 sent right after the agent started, before open\n")
        time.sleep(3)
        c.send("early-2 sent 3 s later, still before open\n")
        host("connected and sent early-1, early-2 before the guest opened the port")
        _, off = g.wait_console(r"LATEOPEN-DONE", 60, off)
        host(f"then received {c.read_available(2)!r}")
        c.close()
    finally:
        finish(g, "lateopen")


def exp_lateopen_closed(outdir):
    g = boot(outdir, "--mode=lateopen --open-delay=8")
    try:
        _, off = g.wait_console(r"LATEOPEN waiting", 120)
        c = g.qga_connect()
        c.send("sent-then-host-closed before the guest opened\n")
        time.sleep(0.5)
        c.close()
        host("connected, sent one line and closed before the guest opened the port")
        g.wait_console(r"LATEOPEN-DONE", 60, off)
    finally:
        finish(g, "lateopen-closed")


def exp_dispatch(outdir, mode="naive"):
    """OUTDIR must be built with dispatch-probe.swift as the agent."""
    g = boot(outdir, f"--mode={mode}")
    try:
        _, off = g.wait_console(r"dprobe.*opened", 120)
        host("staying away 9 s")
        time.sleep(9)
        for cycle in (1, 2):
            c = g.qga_connect()
            host(f"connected (cycle {cycle})")
            time.sleep(3.5)
            _echo(c, f"dispatch-{cycle}", timeout=5)
            time.sleep(1)
            c.close()
            host("disconnected; staying away 6.5 s")
            time.sleep(6.5)
    finally:
        g.stop()
        shutil.copy(g.console_path, os.path.join(g.outdir, f"research-dispatch-{mode}.log"))
        for line in g.console().splitlines():
            if line.startswith("dprobe"):
                print("  " + line)


EXPERIMENTS = {
    "observe": exp_observe,
    "sigio": exp_sigio,
    "sigio-race": exp_sigio_race,
    "setsig": lambda o: exp_sigio(o, "--setsig", "setsig", idle=6),
    "async-open": exp_async_open,
    "epollet": exp_epollet,
    "epollet-race": lambda o: exp_sigio_race(o, "epollet", "epollet-race"),
    "lateopen": exp_lateopen,
    "lateopen-closed": exp_lateopen_closed,
    # not in the default set: needs a guest built from dispatch-probe.swift
}
OTHER = {"dispatch": exp_dispatch, "dispatch-sigio": lambda o: exp_dispatch(o, "sigio")}


def main():
    outdir = sys.argv[1]
    names = sys.argv[2:] or list(EXPERIMENTS)
    for n in names:
        print(f"===== {n} =====", flush=True)
        t = time.monotonic()
        dict(EXPERIMENTS, **OTHER)[n](outdir)
        print(f"===== {n} done in {time.monotonic()-t:.1f} s =====\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
