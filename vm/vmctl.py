#!/usr/bin/env python3
"""Host-side control of a test guest started with vm/run-guest.sh.

Python 3 standard library only.  Used as a module by the experiment and test
scripts, and by hand:

    vm/vmctl.py start OUTDIR [kernel args...]   # boot in background, print pid
    vm/vmctl.py wait OUTDIR REGEX [TIMEOUT]     # wait for a console line
    vm/vmctl.py send OUTDIR LINE [TIMEOUT]      # send a line on qga.sock and
                                                # print the reply lines
    vm/vmctl.py qmp OUTDIR COMMAND [JSON-ARGS]  # one QMP command
    vm/vmctl.py ctl OUTDIR 'SHELL COMMAND'      # run it in the guest through the
                                                # e2e control port (VM_CTLPORT=1)
    vm/vmctl.py stop OUTDIR                     # QMP quit, then kill by pid

Everything has a timeout; stop() only ever kills the pid in OUTDIR/qemu.pid
after checking that it is a qemu-system process for that OUTDIR.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class GuestError(Exception):
    pass


def _is_our_qemu(pid, outdir):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return "qemu-system" in cmd and os.path.join(outdir, "qmp.sock") in cmd


def _die_with_parent():
    """In the child before exec: SIGKILL when the parent dies (survives run-guest.sh's exec)."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Guest:
    """One QEMU guest. Use as a context manager so QEMU is always stopped."""

    def __init__(self, outdir, kernel_args=(), env=None, boot_timeout=120, stdout=None,
                 die_with_parent=False):
        self.outdir = os.path.abspath(outdir)
        self.kernel_args = list(kernel_args)
        self.env = dict(os.environ, **(env or {}))
        self.env.setdefault("VM_CONSOLE", "file")
        self.boot_timeout = boot_timeout
        self.stdout = stdout  # QEMU's stdout/stderr (a file object), default: inherited
        # QEMU gets SIGKILL if this process dies without stopping it (prctl PDEATHSIG)
        self.die_with_parent = die_with_parent
        self.proc = None
        self.pid = None
        self.t_start = None
        self.console_path = os.path.join(self.outdir, "console.log")
        self.qga_path = os.path.join(self.outdir, "qga.sock")
        self.qmp_path = os.path.join(self.outdir, "qmp.sock")

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(
            [os.path.join(HERE, "run-guest.sh"), self.outdir] + self.kernel_args,
            env=self.env, stdin=subprocess.DEVNULL, stdout=self.stdout,
            stderr=subprocess.STDOUT if self.stdout is not None else None,
            preexec_fn=_die_with_parent if self.die_with_parent else None)
        # run-guest.sh execs QEMU: Popen.pid is QEMU's pid.
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while not os.path.exists(self.qga_path):
            if self.proc.poll() is not None:
                raise GuestError(f"QEMU exited early with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise GuestError("qga.sock did not appear within 30 s")
            time.sleep(0.02)
        return self

    def elapsed(self):
        return time.monotonic() - self.t_start

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """QMP quit, then SIGTERM, then SIGKILL -- only our own QEMU pid."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.qmp("quit", timeout=3)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                if _is_our_qemu(self.pid, self.outdir):
                    os.kill(self.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.kill(self.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
        return self.proc.returncode

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- console -----------------------------------------------------------
    def console(self):
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_console(self, regex, timeout=60, after=0):
        """Wait for regex in the console text starting at offset `after`.
        Returns (match, end_offset)."""
        rx = re.compile(regex, re.M)
        deadline = time.monotonic() + timeout
        while True:
            text = self.console()
            m = rx.search(text, after)
            if m:
                return m, m.end()
            if not self.alive():
                raise GuestError(f"QEMU exited while waiting for /{regex}/\n{text[-3000:]}")
            if time.monotonic() > deadline:
                raise GuestError(f"timeout ({timeout}s) waiting for /{regex}/\n{text[-3000:]}")
            time.sleep(0.05)

    # -- agent channel -------------------------------------------------------
    def qga_connect(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.qga_path)
                return QgaConn(s)
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # -- QMP -------------------------------------------------------------------
    def qmp(self, command, arguments=None, timeout=10):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.qmp_path)
        f = s.makefile("rwb")
        json.loads(f.readline())  # greeting
        f.write(b'{"execute":"qmp_capabilities"}\n')
        f.flush()
        json.loads(f.readline())
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        f.write(json.dumps(msg).encode() + b"\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                return None  # e.g. quit closes the socket
            r = json.loads(line)
            if "return" in r or "error" in r:
                s.close()
                return r


class QgaConn:
    """Line-oriented connection to OUTDIR/qga.sock."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self, timeout):
        """One line (bytes, with newline) or None on timeout / b'' on EOF."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return b""
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def read_available(self, timeout):
        """Everything that arrives within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        out = self.buf
        self.buf = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return out
            if not chunk:
                return out
            out += chunk

    def close(self):
        self.sock.close()


def _cli(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    cmd, outdir = argv[1], argv[2]
    g = Guest(outdir)
    if cmd == "start":
        env = dict(os.environ, VM_CONSOLE="file", VM_DAEMONIZE="0")
        p = subprocess.Popen([os.path.join(HERE, "run-guest.sh"), outdir] + argv[3:], env=env,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        print(p.pid)
        return 0
    pidfile = os.path.join(g.outdir, "qemu.pid")
    if cmd == "wait":
        timeout = float(argv[4]) if len(argv) > 4 else 60
        rx = re.compile(argv[3], re.M)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = rx.search(g.console())
            if m:
                print(m.group(0))
                return 0
            time.sleep(0.1)
        print("timeout", file=sys.stderr)
        return 1
    if cmd == "send":
        timeout = float(argv[4]) if len(argv) > 4 else 10
        c = g.qga_connect()
        c.send(argv[3].rstrip("\n") + "\n")
        line = c.readline(timeout)
        while line:
            sys.stdout.write(line.decode(errors="replace"))
            line = c.readline(0.5)
        return 0
    if cmd == "ctl":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(os.path.join(g.outdir, "ctl.sock"))
        s.settimeout(float(argv[4]) if len(argv) > 4 else 130)
        s.sendall(f"1 {argv[3]}\n".encode())
        f = s.makefile("rb")
        for line in f:
            text = line.decode(errors="replace")
            if text.startswith("@@END 1 "):
                return int(text.split()[2])
            sys.stdout.write(text)
        return 1
    if cmd == "qmp":
        args = json.loads(argv[4]) if len(argv) > 4 else None
        print(json.dumps(g.qmp(argv[3], args)))
        return 0
    if cmd == "stop":
        try:
            pid = int(open(pidfile).read().strip())
        except (OSError, ValueError):
            print("no qemu.pid", file=sys.stderr)
            return 1
        try:
            g.qmp("quit", timeout=3)
        except Exception:
            pass
        for _ in range(50):
            if not _is_our_qemu(pid, g.outdir):
                return 0
            time.sleep(0.1)
        if _is_our_qemu(pid, g.outdir):
            os.kill(pid, signal.SIGKILL)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv))
