#!/usr/bin/env python3
"""End-to-end suite: qemu-ga-swift in a real QEMU guest, driven from the host like libvirt.

    vm/e2e.py GUESTDIR [--only 2,3] [--keep] [--list]

GUESTDIR is a guest built by vm/build-guest.sh (vm/e2e.sh builds it and calls this). Every
VM boots with a fresh copy of GUESTDIR/data.qcow2, so the pristine disk is never written.
GUESTDIR/arch says the guest's architecture: x86_64 (q35) runs every scenario below; aarch64
(qemu-system-aarch64 -machine virt -cpu max, TCG) runs 1, 2, 3, 9, 8 and 7 (boot, vCPUs, freeze
and thaw with the hook, the vsock peer check, the SysV script, shutdown) and not 4, 5, 6, which
test nothing architecture-specific and would double the time of its slower emulation.

Three channels into each VM:
  qga.sock  the agent under test. Before every command a `guest-sync` with a
            millisecond-epoch id, replies that do not carry that id are discarded
            (what libvirt's qemuAgentGuestSync does); the first contact after a boot or a
            restart uses 0xFF + guest-sync-delimited.
  qmp.sock  one persistent QMP session: commands by id, every event logged with its time.
  ctl.sock  the guest's control shell (vm/guest/e2e-ctl, port org.qemu.e2e.ctl): the
            guest's own view (sysfs, /proc), markers, writers, agent restarts, without
            going through the agent.

Scenarios (each made of checks that can fail):
  1 boot       boot to first reply; guest-info lists the commands; osinfo names the kernel;
               guest-get-disks shows the emulated NVMe disk with SMART from its health log
  2 vcpus      cpu1 offline/online through the agent, seen in the guest's sysfs; cpu0 refused
  3 snapshot   freeze (hook runs) -> QMP blockdev-snapshot-sync -> thaw; the base image is
               clean (e2fsck -fn), has no needs_recovery, holds the markers; a control
               snapshot with writes in flight and no freeze fails the same check
  4 frozen     disabled commands while frozen (exact text), writes block, watchdog auto-thaw
               with --fsfreeze-timeout=3
  5 suspend    guest-suspend-ram -> QMP SUSPEND -> system_wakeup -> the agent answers
  6 reconnect  host disconnect/reconnect; the agent's context switches with no host (5 s)
  7 shutdown   reboot mode -> the agent answers after the reboot; powerdown -> QMP SHUTDOWN,
               QEMU exits
  8 sysv       the SysV init script /init started the agent with (run before 7): status,
               restart (new PID, answers again), stop (exits, pidfile gone), start
  9 vsock      a second agent on vsock-listen, reached over the guest's vsock_loopback
               transport (CID 1) by an unprivileged user: closed unanswered and logged while
               the agent keeps accepting; with --allow-vsock-cids=1 the same client gets
               answers, root's guest-exec included (the host cannot reach a guest over vsock here: no /dev/vhost-vsock)

The scenarios share one VM while it stays healthy (alive and answering a sync); otherwise
the next scenario gets a fresh one. Everything has a timeout; each VM is stopped by its own
pid. Logs (console, QMP events, agent traffic, control shell, image checks) go to
.build-vm/e2e/logs/. The last line is "N passed, N failed"; the exit status is 1 on any
failure.
"""
import argparse
import base64
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from vmctl import Guest, GuestError  # noqa: E402

HOOK = "/etc/qemu/fsfreeze-hook"
DEFAULT_AGENT_ARGS = f"-F{HOOK}"

# What the agent implements today; guest-info must list each of them, enabled.
EXPECTED_COMMANDS = [
    "guest-sync-delimited", "guest-sync", "guest-ping", "guest-info",
    "guest-get-vcpus", "guest-set-vcpus",
    "guest-get-memory-blocks", "guest-set-memory-blocks", "guest-get-memory-block-info",
    "guest-suspend-ram", "guest-suspend-disk", "guest-suspend-hybrid", "guest-shutdown",
    "guest-fsfreeze-status", "guest-fsfreeze-freeze", "guest-fsfreeze-freeze-list",
    "guest-fsfreeze-thaw", "guest-fstrim", "guest-get-osinfo",
]


def declared_commands():
    """Every `static let name = "guest-..."` under Sources/Commands: guest-info must list
    each of them too (so a command that lands is checked without editing this file)."""
    import re
    names = set()
    root = os.path.join(REPO, "Sources", "Commands")
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".swift"):
                with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                    names.update(re.findall(r'static let name = "(guest-[a-z0-9-]+)"', fh.read()))
    return names


# Defined by qemu-ga for other systems only: not built on Linux, so not listed (qemu-ga 10.x).
NOT_BUILT_ON_LINUX = {"guest-get-devices"}
# The serial of the emulated NVMe controller every VM has (see VM.start).
NVME_SERIAL = "qga-nvme-1"
NO_SUCCESS_RESPONSE = {"guest-shutdown", "guest-suspend-ram", "guest-suspend-disk", "guest-suspend-hybrid"}
FREEZE_ALLOWLIST = {"guest-ping", "guest-info", "guest-sync", "guest-sync-delimited",
                    "guest-fsfreeze-status", "guest-fsfreeze-thaw"}


class Failure(Exception):
    """A step that cannot go on (the rest of the scenario depends on it)."""


class ScenarioTimeout(Exception):
    pass


def now_ms():
    return int(time.time() * 1000)


class Log:
    """A timestamped log file under the logs directory."""

    def __init__(self, path):
        self.f = open(path, "a", buffering=1, encoding="utf-8", errors="replace")
        self.t0 = time.monotonic()

    def __call__(self, *parts):
        self.f.write(f"[{time.monotonic() - self.t0:9.3f}] " + " ".join(str(p) for p in parts) + "\n")

    def close(self):
        self.f.close()


# --------------------------------------------------------------------- QMP
class QMP:
    """One QMP session kept open for the VM's lifetime: events are collected by a reader
    thread (QEMU accepts a single QMP client, so commands go through the same session)."""

    def __init__(self, path, log, timeout=15):
        self.log = log
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.rf = self.sock.makefile("rb")
        greeting = self.rf.readline()
        log("<<", greeting.decode(errors="replace").strip())
        self.sock.settimeout(None)
        self.events = []          # (monotonic time, event dict)
        self.replies = {}
        self.cond = threading.Condition()
        self.closed = False
        self.next_id = 1
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()
        self.command("qmp_capabilities")

    def _reader(self):
        try:
            for line in self.rf:
                text = line.decode(errors="replace").strip()
                if not text:
                    continue
                self.log("<<", text)
                try:
                    msg = json.loads(text)
                except ValueError:
                    continue
                with self.cond:
                    if "event" in msg:
                        self.events.append((time.monotonic(), msg))
                    elif "id" in msg:
                        self.replies[msg["id"]] = msg
                    self.cond.notify_all()
        except (OSError, ValueError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def command(self, name, arguments=None, timeout=30):
        with self.cond:
            qid = f"e2e-{self.next_id}"
            self.next_id += 1
        msg = {"execute": name, "id": qid}
        if arguments is not None:
            msg["arguments"] = arguments
        data = json.dumps(msg)
        self.log(">>", data)
        self.sock.sendall(data.encode() + b"\n")
        deadline = time.monotonic() + timeout
        with self.cond:
            while qid not in self.replies:
                left = deadline - time.monotonic()
                if self.closed:
                    raise Failure(f"QMP closed while waiting for {name}")
                if left <= 0:
                    raise Failure(f"QMP {name}: no reply within {timeout} s")
                self.cond.wait(left)
            reply = self.replies.pop(qid)
        if "error" in reply:
            raise Failure(f"QMP {name}: {reply['error']}")
        return reply["return"]

    def mark(self):
        with self.cond:
            return len(self.events)

    def wait_event(self, name, timeout, since=0):
        """The first event `name` at index >= since: (monotonic time, event), or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, ev in self.events[since:]:
                    if ev.get("event") == name:
                        return t, ev
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.cond.wait(left)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


# --------------------------------------------------------------------- agent
class AgentClient:
    """The host end of the agent channel, speaking like libvirt."""

    def __init__(self, path, log):
        self.path = path
        self.log = log
        self.sock = None
        self.buf = b""
        self.last_id = 0
        self.discarded = []  # replies that did not belong to a sync (stale)
        self.connect()

    def connect(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.path)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock = s
        self.buf = b""
        self.log("-- connected")

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            self.log("-- disconnected")

    def new_id(self):
        self.last_id = max(now_ms(), self.last_id + 1)
        return self.last_id

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.log(">>", data.decode(errors="replace").rstrip())
        # its own bound: the socket still holds the last recv's timeout, which can be a
        # few milliseconds (seen: TimeoutError while a slow guest rebooted)
        self.sock.settimeout(30)
        self.sock.sendall(data)

    def read_message(self, timeout):
        """The next reply line as (delimited, object); None on timeout or EOF."""
        deadline = time.monotonic() + timeout
        while True:
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
                    return None
                self.buf += chunk
            line, _, self.buf = self.buf.partition(b"\n")
            self.log("<<", line.decode(errors="replace"))
            delimited = b"\xff" in line
            text = line.split(b"\xff")[-1].strip()
            if not text:
                continue
            try:
                return delimited, json.loads(text)
            except ValueError:
                self.discarded.append(text)
                continue

    def _await_sync(self, sync_id, timeout, want_delimited):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_message(deadline - time.monotonic())
            if msg is None:
                return False
            delimited, obj = msg
            if obj.get("return") == sync_id and (delimited or not want_delimited):
                return True
            self.discarded.append(obj)

    def sync_delimited(self, timeout, resend=10.0):
        """First contact: 0xFF (flushes the agent's parser) + guest-sync-delimited, resent
        with a new id every `resend` seconds; True once a reply after a 0xFF matches."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sid = self.new_id()
            self.send(b"\xff" + json.dumps({"execute": "guest-sync-delimited",
                                            "arguments": {"id": sid}}).encode() + b"\n")
            if self._await_sync(sid, min(resend, deadline - time.monotonic()), True):
                return True
        return False

    def sync(self, timeout=10):
        """libvirt's guest-sync: a millisecond-epoch id; older replies are discarded."""
        sid = self.new_id()
        self.send(json.dumps({"execute": "guest-sync", "arguments": {"id": sid}}) + "\n")
        return self._await_sync(sid, timeout, False)

    def execute(self, command, arguments=None, timeout=30, reply=True):
        """Sync, then the command; its reply object (or None when no reply is expected)."""
        if not self.sync(15):
            raise Failure(f"guest-sync before {command} got no matching reply")
        msg = {"execute": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self.send(json.dumps(msg) + "\n")
        if not reply:
            return None
        got = self.read_message(timeout)
        if got is None:
            raise Failure(f"{command}: no reply within {timeout} s")
        return got[1]

    def ok(self, command, arguments=None, timeout=30):
        r = self.execute(command, arguments, timeout)
        if "return" not in r:
            raise Failure(f"{command}: {r}")
        return r["return"]


# --------------------------------------------------------------------- control shell
class Ctl:
    """The guest control shell on ctl.sock: run(cmd) -> (status, output)."""

    def __init__(self, path, log):
        self.log = log
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buf = b""
        self.n = random.randint(1000, 9999) * 1000

    def run(self, cmd, timeout=30):
        self.n += 1
        cid = str(self.n)
        self.log(">>", cid, cmd)
        self.sock.sendall(f"{cid} {cmd}\n".encode())
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            while b"\n" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"control shell: no answer to {cmd!r} within {timeout} s")
                self.sock.settimeout(left)
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    raise Failure("control shell connection closed")
                self.buf += chunk
            line, _, self.buf = self.buf.partition(b"\n")
            text = line.decode(errors="replace")
            if text.startswith("@@END "):
                parts = text.split()
                if len(parts) == 3 and parts[1] == cid:
                    out = "\n".join(lines).strip("\n")
                    self.log("<<", cid, f"rc={parts[2]}", out[:2000])
                    return int(parts[2]), out
                lines = []  # the end of an older, abandoned command
                continue
            lines.append(text)

    def out(self, cmd, timeout=30):
        rc, out = self.run(cmd, timeout)
        if rc != 0:
            raise Failure(f"control shell: {cmd!r} exited {rc}: {out}")
        return out

    def close(self):
        self.sock.close()


# --------------------------------------------------------------------- VM
class VM:
    """One booted guest with its three channels."""

    def __init__(self, suite, label):
        self.suite = suite
        self.guestdir = suite.guestdir
        self.label = label
        suite.vm_count += 1
        self.logdir = os.path.join(suite.logdir, f"vm{suite.vm_count}-{label}")
        os.makedirs(self.logdir, exist_ok=True)
        self.disk = os.path.join(self.guestdir, "run-data.qcow2")
        self.qga_log = Log(os.path.join(self.logdir, "qga.log"))
        self.qmp_log = Log(os.path.join(self.logdir, "qmp.log"))
        self.ctl_log = Log(os.path.join(self.logdir, "ctl.log"))
        self.guest = None
        self.qmp = self.agent = self.ctl = None
        self.first_reply_s = None
        self.agent_args = DEFAULT_AGENT_ARGS

    def start(self):
        for f in os.listdir(self.guestdir):
            if f.startswith("snap") and f.endswith(".qcow2") or f == "run-data.qcow2":
                os.unlink(os.path.join(self.guestdir, f))
        shutil.copyfile(os.path.join(self.guestdir, "data.qcow2"), self.disk)
        # An emulated NVMe controller (with its SMART / health log) on a small blank image:
        # guest-get-disks reads its health log through the NVMe admin ioctl.
        nvme = os.path.join(self.guestdir, "run-nvme.img")
        with open(nvme, "wb") as f:
            f.truncate(4 << 20)
        qemu_args = ""
        if self.suite.arch == "x86_64":
            # S3 on q35 (the default today, made explicit: libvirt often turns it off)
            qemu_args = ("-global ICH9-LPC.disable_s3=0 "
                         f"-drive file={nvme},if=none,id=nvme0,format=raw "
                         f"-device nvme,serial={NVME_SERIAL},drive=nvme0")
        env = {
            "VM_CTLPORT": "1",
            "VM_REBOOT": "1",
            "VM_DATA_DISK": self.disk,
            "VM_ARCH": self.suite.arch,
            "VM_QEMU_ARGS": qemu_args,
        }
        self.qemu_out = open(os.path.join(self.logdir, "qemu.log"), "ab")
        self.guest = Guest(self.guestdir, [f'qga.args="{self.agent_args}"'], env=env, stdout=self.qemu_out,
                           die_with_parent=not self.suite.keep)
        self.guest.start()
        self.qmp = QMP(self.guest.qmp_path, self.qmp_log)
        self.agent = AgentClient(self.guest.qga_path, self.qga_log)
        ok = self.agent.sync_delimited(120)
        if not ok:
            raise Failure("no reply to guest-sync-delimited within 120 s of boot")
        self.first_reply_s = self.guest.elapsed()
        self.ctl = Ctl(os.path.join(self.guestdir, "ctl.sock"), self.ctl_log)
        return self

    def alive(self):
        return self.guest is not None and self.guest.alive()

    def healthy(self):
        if not self.alive():
            return False
        try:
            return self.agent.sync(10)
        except (OSError, AttributeError):
            return False

    def console(self):
        return self.guest.console() if self.guest else ""

    def console_mark(self):
        return len(self.console())

    def wait_console(self, regex, timeout, after=0):
        return self.guest.wait_console(regex, timeout, after)

    def agent_pid(self):
        return self.ctl.out("pidof qemu-ga-swift").strip()

    def restart_agent(self, args):
        """Restarts the agent inside the guest with other arguments (init's respawn)."""
        old = self.agent_pid()
        self.ctl.out(f"echo '{args}' >/run/qga.args && touch /run/qga.respawn && kill {old}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pid = self.ctl.run("pidof qemu-ga-swift")[1].strip()
            if pid and pid != old:
                break
            time.sleep(0.2)
        else:
            raise Failure(f"agent did not restart with {args!r}")
        self.agent_args = args
        if not self.agent.sync_delimited(30):
            raise Failure(f"restarted agent ({args}) does not answer")
        return pid

    def stop(self):
        for ch in (self.ctl, self.agent):
            try:
                if ch:
                    ch.close()
            except OSError:
                pass
        rc = None
        if self.guest is not None and self.guest.proc is not None:
            if self.guest.alive() and self.qmp is not None and not self.qmp.closed:
                try:
                    self.qmp.command("quit", timeout=5)
                except Failure:
                    pass
            if self.qmp is not None:
                self.qmp.close()
            # vmctl: QMP quit again, then SIGTERM/SIGKILL of this QEMU's own pid only
            rc = self.guest.stop()
            try:
                shutil.copyfile(self.guest.console_path, os.path.join(self.logdir, "console.log"))
            except OSError:
                pass
        for lg in (self.qga_log, self.qmp_log, self.ctl_log):
            lg.close()
        if getattr(self, "qemu_out", None):
            self.qemu_out.close()
        return rc


# --------------------------------------------------------------------- host-side image checks
def run(cmd, timeout=120):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace")


def inspect_image(image, workdir, name, files):
    """Converts a qcow2 (with its backing chain) to raw without mounting anything and
    reports what e2fsck -fn, dumpe2fs -h and debugfs see. `files`: paths to cat."""
    raw = os.path.join(workdir, f"{name}.raw")
    rc, out = run(["qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw", image, raw])
    if rc != 0:
        raise Failure(f"qemu-img convert {image}: {out}")
    result = {"image": image}
    rc, out = run(["e2fsck", "-fn", raw])
    result["e2fsck_rc"], result["e2fsck"] = rc, out
    rc, out = run(["dumpe2fs", "-h", raw])
    feats = ""
    for line in out.splitlines():
        if line.startswith("Filesystem features:"):
            feats = line.split(":", 1)[1].split()
        if line.startswith("Filesystem state:"):
            result["state"] = line.split(":", 1)[1].strip()
    result["features"] = feats
    result["needs_recovery"] = "needs_recovery" in feats
    result["files"] = {}
    for path in files:
        rc, out = run(["debugfs", "-R", f"cat {path}", raw])
        # debugfs prints its banner on stderr, then the file (or an error line)
        body = "\n".join(l for l in out.splitlines() if not l.startswith("debugfs "))
        result["files"][path] = body.strip() if "File not found" not in out else None
    with open(os.path.join(workdir, f"{name}.txt"), "w") as f:
        json.dump(result, f, indent=2)
    return result, raw


# --------------------------------------------------------------------- suite
def guest_arch(guestdir):
    """The architecture vm/build-guest.sh built GUESTDIR for (x86_64 before it said so)."""
    try:
        with open(os.path.join(guestdir, "arch")) as f:
            return f.read().strip()
    except FileNotFoundError:
        return "x86_64"


class Suite:
    def __init__(self, guestdir, logdir, keep):
        self.guestdir = os.path.abspath(guestdir)
        self.logdir = logdir
        self.keep = keep
        self.vm = None
        self.vm_count = 0
        self.failed_boots = 0
        self.results = []     # (scenario, check, ok, detail)
        self.metrics = {}
        self.scenario = None
        self.kernel_version = open(os.path.join(self.guestdir, "kernel-version")).read().strip()
        self.arch = guest_arch(self.guestdir)

    def check(self, name, ok, detail=""):
        ok = bool(ok)
        self.results.append((self.scenario, name, ok, detail))
        print(f"  {'ok  ' if ok else 'FAIL'} {name}{' -- ' + detail if detail else ''}", flush=True)
        return ok

    def metric(self, key, value):
        self.metrics[key] = value

    def fresh_vm(self, label):
        if self.failed_boots >= 2:
            raise Failure(f"not booting again: {self.failed_boots} boots failed")
        if self.vm is not None:
            self.vm.stop()
            self.vm = None
        t = time.monotonic()
        self.vm = VM(self, label)
        try:
            self.vm.start()
        except (Failure, GuestError, OSError) as e:
            self.failed_boots += 1
            self.check("VM boots and the agent answers", False, str(e))
            raise
        print(f"  (VM booted: first agent reply {self.vm.first_reply_s:.2f} s after QEMU started, "
              f"{time.monotonic() - t:.1f} s incl. setup)", flush=True)
        return self.vm

    def ensure_vm(self, label):
        if self.vm is not None and self.vm.healthy():
            return self.vm
        if self.vm is not None:
            print("  (previous VM is gone or its agent does not answer: booting a new one)")
        return self.fresh_vm(label)

    def close(self):
        if self.vm is not None:
            self.vm.stop()
            self.vm = None


# --------------------------------------------------------------------- scenarios
def s1_boot(s):
    """Boot to the first reply; guest-info lists the commands; osinfo names the kernel."""
    vm = s.fresh_vm("boot")
    s.metric("boot_to_first_reply_s", round(vm.first_reply_s, 2))
    s.check("first reply (guest-sync-delimited after 0xFF) after boot", True,
            f"{vm.first_reply_s:.2f} s from QEMU start")
    m, _ = vm.wait_console(r"qga-init\[([0-9.]+)\]: agent pid", 5)
    s.metric("guest_uptime_at_agent_start_s", float(m.group(1)))
    t = time.monotonic()
    info = vm.agent.ok("guest-info")
    s.metric("guest_info_ms", round((time.monotonic() - t) * 1000, 1))
    cmds = {c["name"]: c for c in info.get("supported_commands", [])}
    expected = sorted(set(EXPECTED_COMMANDS) | declared_commands())
    missing = [c for c in expected if c not in cmds]
    disabled = [c for c in expected if c in cmds and not cmds[c].get("enabled")]
    other_systems = sorted(NOT_BUILT_ON_LINUX & set(cmds))
    s.check("guest-info lists every implemented command (the sources' too), enabled, and no Windows-only one",
            not missing and not disabled and not other_systems and isinstance(info.get("version"), str),
            f"version {info.get('version')!r}, {len(cmds)} listed, {len(expected)} expected; "
            f"missing {missing}, disabled {disabled}, Windows-only listed {other_systems}")
    wrong = [c for c in cmds if cmds[c].get("success-response") != (c not in NO_SUCCESS_RESPONSE)]
    s.check("success-response false exactly for shutdown/suspend", not wrong, f"wrong: {wrong}")
    if s.arch == "x86_64":
        # On aarch64 (virt) the PCI root sits under /sys/devices/platform/*.pcie/, where the
        # agent, like qemu-ga (which looks for "/devices/pci"), gives a disk no PCI address.
        check_nvme_smart(s, vm)
    uname_r = vm.ctl.out("uname -r")
    s.check("the guest runs the kernel we built it with", uname_r == s.kernel_version,
            f"uname -r {uname_r!r}")
    osinfo = vm.agent.ok("guest-get-osinfo")
    uname_v = vm.ctl.out("uname -v")
    os_id, pretty = (vm.ctl.out('. /etc/os-release; echo "$ID|$PRETTY_NAME"').split("|", 1) + [""])[:2]
    s.check(f"guest-get-osinfo names the kernel (uname -r, uname -v, {s.arch})",
            osinfo.get("kernel-release") == uname_r and osinfo.get("kernel-version") == uname_v
            and osinfo.get("machine") == s.arch,
            f"{ {k: osinfo.get(k) for k in ('kernel-release', 'kernel-version', 'machine')} }")
    s.check("guest-get-osinfo reads the guest's /etc/os-release",
            osinfo.get("id") == os_id and osinfo.get("pretty-name") == pretty,
            f"id {osinfo.get('id')!r}, pretty-name {osinfo.get('pretty-name')!r}; os-release {os_id!r}, {pretty!r}")
    rss = vm.ctl.run("grep VmRSS /proc/$(pidof qemu-ga-swift)/status")[1].split()
    if len(rss) >= 2:
        s.metric("agent_rss_kb", int(rss[1]))
    rc, out = vm.ctl.run("ls /dev/virtio-ports 2>&1; cat /sys/class/virtio-ports/*/name")
    s.check("no udev: /dev/virtio-ports is absent, the agent found its port itself",
            "No such file" in out and "org.qemu.guest_agent.0" in out, out.replace("\n", "; "))


def check_nvme_smart(s, vm):
    """guest-get-disks shows the emulated NVMe disk with SMART values from its health log."""
    disks = vm.agent.ok("guest-get-disks")
    nvme = [d for d in disks if not d.get("partition") and (d.get("address") or {}).get("bus-type") == "nvme"]
    rc, sysfs = vm.ctl.run("ls /sys/block; cat /sys/block/nvme0n1/device/serial 2>&1")
    s.check("guest-get-disks lists the NVMe disk with bus-type nvme",
            len(nvme) == 1 and nvme[0].get("name") == "/dev/nvme0n1" and NVME_SERIAL in sysfs,
            f"nvme disks {[d.get('name') for d in nvme]}; guest: {sysfs.split()}")
    smart = nvme[0].get("smart") if nvme else None
    vm.agent.log("nvme smart", json.dumps(smart))
    counters = ["data-units-read", "data-units-written", "host-read-commands", "host-write-commands",
                "controller-busy-time", "power-cycles", "power-on-hours", "unsafe-shutdowns", "media-errors",
                "number-of-error-log-entries"]
    names = ["type", "critical-warning", "temperature", "available-spare", "available-spare-threshold",
             "percentage-used"] + [f"{c}-{half}" for c in counters for half in ("lo", "hi")]
    plausible = (isinstance(smart, dict) and list(smart) == names and smart["type"] == "nvme"
                 and 273 <= smart["temperature"] <= 373          # kelvins: 0..100 °C
                 and 0 <= smart["available-spare"] <= 100 and 0 <= smart["percentage-used"] <= 255
                 and smart["critical-warning"] == 0 and smart["power-on-hours-hi"] == 0
                 and isinstance(smart["power-on-hours-lo"], int) and smart["power-cycles-lo"] >= 0
                 and all(isinstance(smart[n], int) for n in names[1:]))
    s.check("the NVMe disk has smart from its health log: temperature in kelvins 273..373, spare, power-on hours",
            plausible, json.dumps(smart))
    # The guest reads data from the disk: the controller's host-read-commands count must grow.
    # 1 MiB in: past what the kernel's partition scan has read (and cached) already.
    vm.ctl.run("dd if=/dev/nvme0n1 of=/dev/null bs=4096 skip=256 count=64 2>&1")
    after = [d.get("smart") for d in vm.agent.ok("guest-get-disks") if d.get("name") == "/dev/nvme0n1"]
    grew = bool(after and after[0] and smart and after[0]["host-read-commands-lo"] > smart["host-read-commands-lo"])
    s.check("the health log is live: host-read-commands grows after the guest reads the disk", grew,
            f"before {smart and smart.get('host-read-commands-lo')}, after {after and after[0] and after[0].get('host-read-commands-lo')}")


def s2_vcpus(s):
    """cpu1 offline and online again through the agent, seen in the guest's sysfs; cpu0 refused
    (x86_64, where it has no online file) or offlined and onlined too (aarch64, where it has)."""
    vm = s.ensure_vm("vcpus")
    a, c = vm.agent, vm.ctl
    cpu0_hotpluggable = c.run("test -e /sys/devices/system/cpu/cpu0/online")[0] == 0
    s.check(f"the guest's cpu0 has an online file on aarch64 only ({s.arch})",
            cpu0_hotpluggable == (s.arch == "aarch64"))
    vcpus = sorted(a.ok("guest-get-vcpus"), key=lambda v: v["logical-id"])
    s.check(f"guest-get-vcpus: cpu0 (can-offline {cpu0_hotpluggable}) and cpu1 (can), both online",
            vcpus == [{"logical-id": 0, "online": True, "can-offline": cpu0_hotpluggable},
                      {"logical-id": 1, "online": True, "can-offline": True}], f"{vcpus}")
    try:
        r = a.execute("guest-set-vcpus", {"vcpus": [{"logical-id": 1, "online": False}]})
        s.check("guest-set-vcpus cpu1 offline returns 1", r == {"return": 1}, f"{r}")
        vcpus = {v["logical-id"]: v for v in a.ok("guest-get-vcpus")}
        s.check("guest-get-vcpus shows cpu1 offline", vcpus.get(1, {}).get("online") is False, f"{vcpus.get(1)}")
        out = c.out("cat /sys/devices/system/cpu/cpu1/online /sys/devices/system/cpu/online; "
                    "grep -c ^processor /proc/cpuinfo")
        s.check("the guest's sysfs: cpu1/online 0, online cpus '0', 1 processor in cpuinfo",
                out.split() == ["0", "0", "1"], out.replace("\n", " | "))
        r = a.execute("guest-set-vcpus", {"vcpus": [{"logical-id": 1, "online": True}]})
        s.check("guest-set-vcpus cpu1 online returns 1", r == {"return": 1}, f"{r}")
        out = c.out("cat /sys/devices/system/cpu/cpu1/online /sys/devices/system/cpu/online")
        s.check("the guest's sysfs: cpu1 online again ('1', '0-1')", out.split() == ["1", "0-1"],
                out.replace("\n", " | "))
        vcpus = {v["logical-id"]: v for v in a.ok("guest-get-vcpus")}
        s.check("guest-get-vcpus shows cpu1 online", vcpus.get(1, {}).get("online") is True, f"{vcpus.get(1)}")
        r = a.execute("guest-set-vcpus", {"vcpus": [{"logical-id": 0, "online": False}]})
        if not cpu0_hotpluggable:
            s.check("cpu0 refused: logical processor #0 can't be offlined",
                    r == {"error": {"class": "GenericError", "desc": "logical processor #0 can't be offlined"}}, f"{r}")
            out = c.out("cat /sys/devices/system/cpu/online")
            s.check("cpu0 still online in the guest", out == "0-1", out)
        else:
            out = c.out("cat /sys/devices/system/cpu/online")
            s.check("cpu0 offline through the agent (returns 1; online cpus '1')",
                    r == {"return": 1} and out == "1", f"{r}, online {out!r}")
            r = a.execute("guest-set-vcpus", {"vcpus": [{"logical-id": 0, "online": True}]})
            out = c.out("cat /sys/devices/system/cpu/online")
            s.check("cpu0 online again (returns 1; online cpus '0-1')",
                    r == {"return": 1} and out == "0-1", f"{r}, online {out!r}")
    finally:
        # leave both CPUs online for the next scenario, whatever happened
        try:
            c.run("for f in /sys/devices/system/cpu/cpu[01]/online; do [ -e $f ] && echo 1 >$f; done", 10)
        except Failure:
            pass


def s3_snapshot(s):
    """A quiesced snapshot is clean on the host; an unquiesced one with writes in flight is not."""
    vm = s.ensure_vm("snapshot")
    a, c, q = vm.agent, vm.ctl, vm.qmp
    work = os.path.join(s.logdir, "images")
    os.makedirs(work, exist_ok=True)
    token = f"e2e-marker-{random.randint(0, 10**9)}"
    c.out("rm -f /run/e2e-writer.stop /mnt/data/hook-freeze")
    writer = c.out("setsid qga-e2e-ctl writer /mnt/data/inflight </dev/null >/dev/null 2>&1 & echo $!")
    time.sleep(1.0)
    lines = c.out("wc -l </mnt/data/inflight/log")
    s.check("writer running in the guest (writes in flight)", int(lines or 0) > 0, f"pid {writer}, {lines} writes so far")
    # the marker is not synced: only the freeze can put it on the disk in time
    c.out(f"echo {token} >/mnt/data/marker")
    mark = vm.console_mark()
    base = vm.disk
    snap1 = os.path.join(s.guestdir, "snap1.qcow2")
    snap2 = os.path.join(s.guestdir, "snap2.qcow2")
    try:
        t0 = time.monotonic()
        r = a.execute("guest-fsfreeze-freeze", timeout=60)
        t1 = time.monotonic()
        s.check("guest-fsfreeze-freeze freezes /mnt/data", r == {"return": 1}, f"{r}, {(t1 - t0) * 1000:.0f} ms")
        s.metric("freeze_ms", round((t1 - t0) * 1000))
        try:
            m, _ = vm.wait_console(r"e2e-hook: freeze at", 5, mark)
            hook_ok = True
        except GuestError:
            hook_ok = False
        hook_log = c.run("cat /var/log/qemu-ga/fsfreeze-hook.log")[1]
        s.check("the freeze hook ran (console line, hook log)",
                hook_ok and "50-e2e-test freeze: e2e-hook: freeze" in hook_log,
                hook_log.splitlines()[-2:].__str__())
        t2 = time.monotonic()
        q.command("blockdev-snapshot-sync", {"device": "data0", "snapshot-file": snap1, "format": "qcow2"})
        t3 = time.monotonic()
        s.metric("snapshot_ms", round((t3 - t2) * 1000))
        status = a.ok("guest-fsfreeze-status")
        s.check("still frozen after the snapshot", status == "frozen", status)
    finally:
        t4 = time.monotonic()
        r = a.execute("guest-fsfreeze-thaw", timeout=60)
        t5 = time.monotonic()
    s.metric("thaw_ms", round((t5 - t4) * 1000))
    s.metric("frozen_for_ms", round((t5 - t0) * 1000))
    s.check("guest-fsfreeze-thaw thaws 1", r == {"return": 1}, f"{r}, {(t5 - t4) * 1000:.0f} ms")
    try:
        vm.wait_console(r"e2e-hook: thaw at", 5, mark)
        s.check("the thaw hook ran", True)
    except GuestError:
        s.check("the thaw hook ran", False, "no 'e2e-hook: thaw' on the console")
    s.check("guest-fsfreeze-status thawed", a.ok("guest-fsfreeze-status") == "thawed")
    print(f"  freeze {s.metrics['freeze_ms']} ms, snapshot {s.metrics['snapshot_ms']} ms, "
          f"thaw {s.metrics['thaw_ms']} ms, frozen for {s.metrics['frozen_for_ms']} ms", flush=True)

    # the base image, as it was at the snapshot, checked on the host
    res, raw = inspect_image(base, work, "quiesced", ["/marker", "/hook-freeze"])
    s.check("quiesced: e2fsck -fn clean", res["e2fsck_rc"] == 0,
            f"rc {res['e2fsck_rc']}: " + res["e2fsck"].strip().splitlines()[-1])
    s.check("quiesced: no needs_recovery", not res["needs_recovery"], " ".join(res["features"]))
    s.check("quiesced: holds the (unsynced) marker", res["files"]["/marker"] == token, f"{res['files']['/marker']!r}")
    s.check("quiesced: holds what the freeze hook wrote",
            (res["files"]["/hook-freeze"] or "").startswith("hook ran before the freeze"),
            f"{res['files']['/hook-freeze']!r}")
    quiesced_ok = (res["e2fsck_rc"] == 0 and not res["needs_recovery"] and res["files"]["/marker"] == token)
    if quiesced_ok:
        os.unlink(raw)

    # control: same writes in flight, a new unsynced marker, no freeze
    token2 = token + "-control"
    lines_before = c.out("wc -l </mnt/data/inflight/log")
    time.sleep(1.0)
    lines_after = c.out("wc -l </mnt/data/inflight/log")
    s.check("writer still running for the control snapshot", int(lines_after) > int(lines_before),
            f"{lines_before} -> {lines_after}")
    c.out(f"echo {token2} >/mnt/data/marker")
    q.command("blockdev-snapshot-sync", {"device": "data0", "snapshot-file": snap2, "format": "qcow2"})
    res2, raw2 = inspect_image(snap1, work, "control", ["/marker"])
    problems = []
    if res2["e2fsck_rc"] != 0:
        problems.append(f"e2fsck rc {res2['e2fsck_rc']}")
    if res2["needs_recovery"]:
        problems.append("needs_recovery set")
    if res2["files"]["/marker"] != token2:
        problems.append(f"marker is {res2['files']['/marker']!r}, not the new one")
    s.check("control (no freeze, writes in flight): the same check fails", problems, "; ".join(problems))
    s.metric("control_failures", problems)
    print("  control e2fsck: " + " | ".join(res2["e2fsck"].strip().splitlines()[-4:]))
    c.run("touch /run/e2e-writer.stop")
    os.unlink(raw2)
    rc, out = c.run("echo after-thaw >/mnt/data/after-thaw && sync && cat /mnt/data/after-thaw", 20)
    s.check("the data disk is writable after thaw", rc == 0 and out == "after-thaw", out)


def s4_frozen(s):
    """Frozen-state rules in a real guest, and the watchdog's auto-thaw."""
    vm = s.ensure_vm("frozen")
    a, c = vm.agent, vm.ctl
    if vm.agent_args != DEFAULT_AGENT_ARGS:
        vm.restart_agent(DEFAULT_AGENT_ARGS)
    c.out("rm -f /run/probe-done /mnt/data/probe")
    r = a.execute("guest-fsfreeze-freeze", timeout=60)
    try:
        s.check("frozen", r == {"return": 1}, f"{r}")
        # a write from the guest itself blocks while frozen...
        c.out("( echo probe >/mnt/data/probe; read -r up _ </proc/uptime; echo $up >/run/probe-done ) "
              "</dev/null >/dev/null 2>&1 &")
        time.sleep(1.5)
        rc, _ = c.run("test -e /run/probe-done")
        s.check("a guest write to /mnt/data blocks while frozen", rc != 0)
        r = a.execute("guest-get-vcpus")
        s.check("disabled while frozen: exact error",
                r == {"error": {"class": "CommandNotFound",
                                "desc": "Command guest-get-vcpus has been disabled: the agent is in frozen state"}},
                f"{r}")
        r = a.execute("guest-fsfreeze-freeze")
        s.check("a second freeze is refused the same way",
                r.get("error", {}).get("desc") == "Command guest-fsfreeze-freeze has been disabled: the agent is in frozen state",
                f"{r}")
        info = a.ok("guest-info")
        enabled = {x["name"] for x in info["supported_commands"] if x["enabled"]}
        s.check("guest-info while frozen: exactly the 6 allowed commands enabled",
                enabled == FREEZE_ALLOWLIST, f"{sorted(enabled)}")
        s.check("guest-ping works while frozen", a.execute("guest-ping") == {"return": {}})
        s.check("guest-fsfreeze-status: frozen", a.ok("guest-fsfreeze-status") == "frozen")
    finally:
        r = a.execute("guest-fsfreeze-thaw", timeout=60)
    s.check("thaw", r == {"return": 1}, f"{r}")
    deadline = time.monotonic() + 10
    while c.run("test -e /run/probe-done")[0] != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    s.check("the blocked guest write completes after thaw", c.run("cat /mnt/data/probe")[1] == "probe")
    r = a.execute("guest-get-vcpus")
    s.check("commands enabled again after thaw", "return" in r, f"{str(r)[:100]}")

    # watchdog
    vm.restart_agent(f"{DEFAULT_AGENT_ARGS} --fsfreeze-timeout=3")
    mark = vm.console_mark()
    t0 = time.monotonic()
    r = a.execute("guest-fsfreeze-freeze", timeout=60)
    t_frozen = time.monotonic()
    s.check("frozen (agent with --fsfreeze-timeout=3)", r == {"return": 1}, f"{r}")
    states = []
    thawed_at = None
    while time.monotonic() - t0 < 20:
        st = a.ok("guest-fsfreeze-status")
        states.append((round(time.monotonic() - t_frozen, 1), st))
        if st == "thawed":
            thawed_at = time.monotonic() - t_frozen
            break
        time.sleep(0.25)
    frozen_samples = [t for t, st in states if st == "frozen"]
    s.metric("watchdog_thawed_after_s", thawed_at and round(thawed_at, 2))
    # not before 3 s after the freeze request was sent; by 6 s after its reply
    since_request = thawed_at is not None and thawed_at + (t_frozen - t0)
    s.check("watchdog: status 'thawed' without any thaw command, after 3 s (by 6 s)",
            thawed_at is not None and since_request >= 3.0 and thawed_at <= 6.0,
            f"first 'thawed' {thawed_at and round(thawed_at, 2)} s after the freeze reply "
            f"({since_request and round(since_request, 2)} s after the request); last 'frozen' at "
            f"{max(frozen_samples or [0])} s")
    try:
        vm.wait_console(r"e2e-hook: thaw at", 5, mark)
        s.check("watchdog ran the thaw hook", True)
    except GuestError:
        s.check("watchdog ran the thaw hook", False)
    rc, out = c.run("echo w >/mnt/data/after-watchdog && cat /mnt/data/after-watchdog", 10)
    s.check("the guest can write again after the auto-thaw", rc == 0 and out == "w", out)
    r = a.execute("guest-get-vcpus")
    s.check("commands enabled again after the auto-thaw", "return" in r, f"{str(r)[:100]}")
    vm.restart_agent(DEFAULT_AGENT_ARGS)


def s5_suspend(s):
    """guest-suspend-ram -> QMP SUSPEND -> system_wakeup -> the agent answers."""
    vm = s.ensure_vm("suspend")
    a, q = vm.agent, vm.qmp
    states = vm.ctl.out("cat /sys/power/state /sys/power/mem_sleep")
    mark = q.mark()
    t0 = time.monotonic()
    a.execute("guest-suspend-ram", reply=False)
    ev = q.wait_event("SUSPEND", 60, mark)
    s.check("QMP SUSPEND event", ev is not None, f"guest offers {states!r}")
    if ev is None:
        raise Failure("guest did not suspend")
    s.metric("suspend_event_s", round(ev[0] - t0, 2))
    st = q.command("query-status")
    s.check("QEMU reports the guest suspended", st.get("status") == "suspended", f"{st}")
    a.discarded.clear()
    time.sleep(1.0)
    mark = q.mark()
    t1 = time.monotonic()
    q.command("system_wakeup")
    ev = q.wait_event("WAKEUP", 30, mark)
    s.check("QMP WAKEUP event", ev is not None)
    ok = a.sync(60)
    t2 = time.monotonic()
    s.metric("wakeup_to_reply_s", round(t2 - t1, 2))
    s.check("the agent answers after system_wakeup", ok, f"{t2 - t1:.2f} s after system_wakeup")
    s.check("no reply was sent for guest-suspend-ram (success-response false)", not a.discarded,
            f"discarded {a.discarded}")
    s.check("guest-ping after resume", a.execute("guest-ping") == {"return": {}})
    st = q.command("query-status")
    s.check("QEMU reports the guest running", st.get("status") == "running", f"{st}")
    dm = vm.ctl.run("dmesg | grep -E 'PM: suspend (entry|exit)|S3'")[1]
    s.check("the guest kernel went through S3 (dmesg)", "suspend entry (deep)" in dm and "suspend exit" in dm,
            dm.replace("\n", " | "))


def ctxt(vm):
    """The agent's (voluntary, nonvoluntary) context switches summed over its threads, and
    utime+stime ticks."""
    out = vm.ctl.out("p=$(pidof qemu-ga-swift); cat /proc/$p/task/*/status | grep ctxt_switches; "
                     "cut -d' ' -f14,15 /proc/$p/stat; ls /proc/$p/task | wc -l")
    vol = nonvol = 0
    lines = out.splitlines()
    for line in lines:
        if line.startswith("voluntary_ctxt_switches"):
            vol += int(line.split()[1])
        elif line.startswith("nonvoluntary_ctxt_switches"):
            nonvol += int(line.split()[1])
    ut, st = lines[-2].split()
    return vol, nonvol, int(ut) + int(st), int(lines[-1])


def s6_reconnect(s):
    """Host disconnect/reconnect; no wake-ups while no host is connected."""
    vm = s.ensure_vm("reconnect")
    a = vm.agent
    mark = vm.console_mark()
    a.close()
    time.sleep(1.5)  # the agent reads EOF and settles into its wait
    c0 = ctxt(vm)
    time.sleep(5.0)
    c1 = ctxt(vm)
    d = (c1[0] - c0[0], c1[1] - c0[1])
    s.metric("ctxt_switches_5s_no_host", {"voluntary": d[0], "nonvoluntary": d[1],
                                          "cpu_ticks": c1[2] - c0[2], "threads": c1[3]})
    s.check("no host: the agent does not wake up (context switches over 5 s)",
            d[0] + d[1] <= 2, f"+{d[0]} voluntary, +{d[1]} nonvoluntary, +{c1[2] - c0[2]} CPU ticks, "
            f"{c1[3]} thread(s)")
    waiting = "no host attached, waiting for SIGIO" in vm.console()[mark:]
    s.check("the agent logged that it waits for the host (SIGIO)", waiting)
    a.connect()
    t = time.monotonic()
    ok = a.sync(5)
    s.check("reconnect: guest-sync answered within libvirt's 5 s", ok, f"{(time.monotonic() - t) * 1000:.0f} ms")
    # libvirt connects and sends guest-sync at once; the request can reach the guest before
    # virtio_console has processed the port-open message (writes then give EAGAIN + POLLHUP
    # for a moment). A busy guest widens that window: two CPU hogs, 20 reconnects.
    vm.ctl.out("rm -f /run/hog.pids; for i in 1 2; do setsid sh -c 'while :; do :; done' "
               "</dev/null >/dev/null 2>&1 & echo $! >>/run/hog.pids; done")
    lost = []
    try:
        for i in range(20):
            a.close()
            time.sleep(0.3)
            a.connect()
            if not a.sync(5):
                lost.append(i)
                a.sync(10)  # resynchronise before the next round
    finally:
        vm.ctl.run("kill $(cat /run/hog.pids)")
    s.check("busy guest, 20 reconnects each followed at once by guest-sync: all answered within 5 s",
            not lost, f"unanswered in rounds {lost}")
    r = a.execute("guest-get-vcpus")
    s.check("reconnect: commands work", isinstance(r.get("return"), list), f"{str(r)[:80]}")
    # connected and idle: no wake-ups either
    c0 = ctxt(vm)
    time.sleep(3.0)
    c1 = ctxt(vm)
    d2 = (c1[0] - c0[0], c1[1] - c0[1])
    s.metric("ctxt_switches_3s_host_idle", {"voluntary": d2[0], "nonvoluntary": d2[1]})
    s.check("host connected and idle: no wake-ups over 3 s", d2[0] + d2[1] <= 2, f"+{d2[0]}, +{d2[1]}")
    # a host that leaves with a reply unread, five times; the next host must not get stale replies
    for i in range(5):
        a.send(json.dumps({"execute": "guest-sync", "arguments": {"id": 900 + i}}) + "\n")
        a.close()
        time.sleep(0.2)
        a.connect()
    a.discarded.clear()
    ok = a.sync(15)
    s.check("after 5 hosts that left with replies unread: sync matches", ok,
            f"stale replies discarded by the client: {a.discarded}")
    s.check("guest-ping after the churn", a.execute("guest-ping") == {"return": {}})
    s.check("the agent never restarted", "AGENT-EXITED" not in vm.console()[mark:])


INITSCRIPT = "/etc/init.d/qemu-guest-agent"
PIDFILE = "/var/run/qemu-ga.pid"


def s8_sysv(s):
    """The SysV init script that /init started the agent with: status, restart, stop, start."""
    vm = s.ensure_vm("sysv")
    a, c = vm.agent, vm.ctl

    def pidof():
        return c.run("pidof qemu-ga-swift")[1].strip()

    pid = pidof()
    rc, out = c.run(f"{INITSCRIPT} status")
    s.check("status: running (exit 0), with the PID of the running agent",
            rc == 0 and pid and f"pid {pid})" in out, f"rc {rc}, {out!r}, pidof {pid!r}")
    cmdline = c.out(f"tr '\\0' ' ' </proc/{pid}/cmdline; echo; cat {PIDFILE}; "
                    f"sed -n 's/^PPid:[[:space:]]*//p' /proc/{pid}/status").splitlines()
    s.check("started by the script: daemonized (-d -f pidfile, parent PID 1), hook passed with -F",
            len(cmdline) == 3 and " -d " in f" {cmdline[0]} " and f"-f {PIDFILE}" in cmdline[0]
            and f"-F{HOOK}" in cmdline[0] and cmdline[1] == pid and cmdline[2] == "1", f"{cmdline}")

    mark = vm.console_mark()
    rc, out = c.run(f"{INITSCRIPT} restart", 60)
    new = pidof()
    s.check("restart: exit 0, a new PID in the pidfile",
            rc == 0 and new and new != pid and c.out(f"cat {PIDFILE}") == new,
            f"rc {rc}, {out!r}; pid {pid} -> {new!r}")
    ok = a.sync_delimited(30)
    s.check("restart: the host gets answers again", ok and a.execute("guest-ping") == {"return": {}})
    try:
        vm.wait_console(r"agent restarted by /etc/init.d/qemu-guest-agent", 10, mark)
        s.check("restart: /init follows the new PID (no AGENT-EXITED)",
                "AGENT-EXITED" not in vm.console()[mark:])
    except GuestError:
        s.check("restart: /init follows the new PID (no AGENT-EXITED)", False)

    # /run/qga.hold: /init waits for the next start instead of powering off.
    pid = new
    rc, out = c.run(f"touch /run/qga.hold; {INITSCRIPT} stop", 60)
    gone = c.run(f"test -d /proc/{pid}")[0] != 0 and not pidof()
    s.check("stop: exit 0, the agent exited, pidfile gone",
            rc == 0 and gone and c.run(f"test -e {PIDFILE}")[0] != 0, f"rc {rc}, {out!r}")
    rc, out = c.run(f"{INITSCRIPT} status")
    s.check("status after stop: not running (exit 3)", rc == 3, f"rc {rc}, {out!r}")
    rc, out = c.run(f"{INITSCRIPT} start; rc=$?; rm -f /run/qga.hold; exit $rc", 60)
    new = pidof()
    s.check("start again: exit 0, a running agent", rc == 0 and new and new != pid, f"rc {rc}, {out!r}")
    ok = a.sync_delimited(30)
    s.check("start again: the host gets answers", ok and a.execute("guest-ping") == {"return": {}})


VSOCK_PORT = 5000
VSOCK_CLIENT = "/usr/bin/qga-vsock-client"
VSOCK_PIDFILE = "/run/vsock-agent.pid"
VSOCK_LOG = "/run/vsock-agent.log"
NOBODY = 65534


def s9_vsock(s):
    """vsock-listen: only the host's CID is served; CID 1 (the guest itself) only when allowed."""
    vm = s.ensure_vm("vsock")
    c = vm.ctl
    rc, out = c.run("for m in vsock vmw_vsock_virtio_transport_common vsock_loopback; do "
                    "test -d /sys/module/$m && echo $m; done")
    s.check("vsock, vmw_vsock_virtio_transport_common and vsock_loopback are loaded",
            out.split() == ["vsock", "vmw_vsock_virtio_transport_common", "vsock_loopback"], out)

    def start(extra):
        """A second agent, daemonized, on vsock-listen CID_ANY:PORT; its PID."""
        c.out(f"rm -f {VSOCK_PIDFILE} {VSOCK_LOG}; mkdir -p /run/vsock-state")
        c.out(f"QGA_CONF=/nonexistent qemu-ga-swift -m vsock-listen -p 4294967295:{VSOCK_PORT} "
              f"-t /run/vsock-state -l {VSOCK_LOG} -d -f {VSOCK_PIDFILE} {extra}")
        return c.out(f"for i in $(seq 50); do test -s {VSOCK_PIDFILE} && break; sleep 0.1; done; "
                     f"cat {VSOCK_PIDFILE}")

    def stop(pid):
        c.run(f"kill {pid}; for i in $(seq 50); do test -d /proc/{pid} || break; sleep 0.1; done")

    def client(uid, request):
        """The client's lines (uid, connected, then reply/closed/timeout) and exit status."""
        rc, out = c.run(f"{VSOCK_CLIENT} {uid} 1 {VSOCK_PORT} '{request}'", 30)
        return rc, out.splitlines()

    def refusals():
        return c.run(f"grep -c 'refused vsock connection from CID 1 ' {VSOCK_LOG}")[1].strip()

    pid = start("")
    try:
        rc, lines = client(NOBODY, '{"execute":"guest-exec","arguments":{"path":"/bin/id"}}')
        s.check("without the option: an unprivileged user (uid 65534) connects to CID 1 and is "
                "closed without an answer",
                rc == 3 and lines[:3] == [f"uid {NOBODY}", "connected", "closed"], f"rc {rc}, {lines}")
        log = c.run(f"cat {VSOCK_LOG}")[1]
        s.check("one log line (without -v) names the CID",
                refusals() == "1" and "only the host (CID 2) may connect" in log, log)
        rc, lines = client(0, '{"execute":"guest-ping"}')
        s.check("root's connection from CID 1 is closed too: the CID decides, not the user",
                rc == 3 and lines[-1] == "closed", f"rc {rc}, {lines}")
        rc, lines = client(NOBODY, '{"execute":"guest-ping"}')
        alive = c.run(f"test -d /proc/{pid}")[0] == 0
        s.check("the agent keeps serving: still running, it accepts and closes each new connection "
                "(a stopped loop would leave it unanswered: timeout)",
                alive and rc == 3 and lines[-1] == "closed" and refusals() == "3",
                f"alive {alive}, rc {rc}, {lines}, {refusals()} refusals logged")
    finally:
        stop(pid)

    pid = start("--allow-vsock-cids=1")
    try:
        rc, lines = client(NOBODY, '{"execute":"guest-ping"}')
        s.check("with --allow-vsock-cids=1 the same unprivileged connection gets answers",
                rc == 0 and lines[:2] == [f"uid {NOBODY}", "connected"] and lines[-1] == 'reply {"return": {}}',
                f"rc {rc}, {lines}")
        rc, lines = client(NOBODY, '{"execute":"guest-sync","arguments":{"id":4242}}')
        s.check("and keeps getting them on the next connection",
                rc == 0 and lines[-1] == 'reply {"return": 4242}', f"rc {rc}, {lines}")
        # What the check keeps local users from: an allowed CID 1 gives them root's guest-exec.
        rc, lines = client(NOBODY, '{"execute":"guest-exec","arguments":{"path":"/bin/sh",'
                                   '"arg":["-c","id -u"],"capture-output":true}}')
        exec_pid = None
        try:
            exec_pid = json.loads(lines[-1][len("reply "):])["return"]["pid"]
        except (ValueError, KeyError, TypeError, IndexError):
            pass
        status = {}
        for _ in range(20):
            if exec_pid is None:
                break
            rc, lines = client(NOBODY, f'{{"execute":"guest-exec-status","arguments":{{"pid":{exec_pid}}}}}')
            try:
                status = json.loads(lines[-1][len("reply "):]).get("return", {})
            except (ValueError, IndexError):
                status = {}
            if status.get("exited"):
                break
            time.sleep(0.2)
        out = base64.b64decode(status.get("out-data", "")).decode(errors="replace").strip()
        s.check("and so (what the check prevents) uid 65534 runs guest-exec as root through it",
                status.get("exited") and out == "0", f"pid {exec_pid}, status {status}, id -u -> {out!r}")
        s.check("nothing was refused", refusals() == "0", c.run(f"cat {VSOCK_LOG}")[1])
    finally:
        stop(pid)
    left = c.run("pidof qemu-ga-swift")[1].split()
    s.check("the vsock agents are gone: only the suite's own agent is left", len(left) == 1, f"{left}")


def s7_shutdown(s):
    """reboot: the agent answers again after the reboot; powerdown: SHUTDOWN and QEMU exits."""
    vm = s.ensure_vm("shutdown")
    a, q, c = vm.agent, vm.qmp, vm.ctl
    r = a.execute("guest-shutdown", {"mode": "sideways"})
    s.check("bad mode refused with qemu-ga's text",
            r == {"error": {"class": "GenericError",
                            "desc": "mode is invalid (valid values are: halt|powerdown|reboot"}}, f"{r}")
    boot_id = c.out("cat /proc/sys/kernel/random/boot_id")
    mark = q.mark()
    t0 = time.monotonic()
    a.discarded.clear()
    a.execute("guest-shutdown", {"mode": "reboot"}, reply=False)
    ev = q.wait_event("RESET", 60, mark)
    s.check("reboot: QMP RESET event", ev is not None, ev and f"{ev[1].get('data')}")
    ok = a.sync_delimited(90)
    t1 = time.monotonic()
    s.metric("reboot_to_reply_s", round(t1 - t0, 2))
    s.check("reboot: the agent answers again", ok, f"{t1 - t0:.2f} s after guest-shutdown")
    s.check("reboot: no reply was sent for guest-shutdown",
            not [d for d in a.discarded if isinstance(d, dict) and "return" in d and d["return"] == {}],
            f"discarded {a.discarded}")
    new_boot = c.run("cat /proc/sys/kernel/random/boot_id", 60)[1]
    s.check("reboot: the guest really rebooted (new boot_id)", new_boot and new_boot != boot_id,
            f"{boot_id[:8]} -> {new_boot[:8]}")
    s.check("reboot: QEMU still running", vm.alive())

    mark = q.mark()
    t0 = time.monotonic()
    a.execute("guest-shutdown", reply=False)
    ev = q.wait_event("SHUTDOWN", 60, mark)
    s.check("powerdown: QMP SHUTDOWN event", ev is not None and ev[1].get("data", {}).get("guest") is True,
            ev and f"{ev[1].get('data')}")
    rc = vm.guest.wait_exit(60)
    t1 = time.monotonic()
    s.metric("powerdown_to_exit_s", round(t1 - t0, 2))
    s.check("powerdown: QEMU exits by itself", rc is not None, f"rc {rc}, {t1 - t0:.2f} s after guest-shutdown")
    text = vm.console()
    s.check("powerdown: the init unmounted the data disk cleanly",
            "poweroff requested; syncing and unmounting" in text and "umount /mnt/data failed" not in text)


# (number, name, function, time limit in seconds; a boot is included when one is needed)
SCENARIOS = [
    (1, "boot", s1_boot, 150),
    (2, "vcpus", s2_vcpus, 150),
    (3, "snapshot", s3_snapshot, 180),
    (4, "frozen", s4_frozen, 180),
    (5, "suspend", s5_suspend, 180),
    (6, "reconnect", s6_reconnect, 180),
    # 8 before 7: the shutdown scenario ends the VM
    (8, "sysv", s8_sysv, 180),
    (9, "vsock", s9_vsock, 150),
    (7, "shutdown", s7_shutdown, 240),
]
# What an aarch64 guest runs (see the docstring); TCG emulates arm64 more slowly.
AARCH64_SCENARIOS = [(n, name, fn, limit * 2) for n, name, fn, limit in SCENARIOS if n in (1, 2, 3, 9, 8, 7)]


def _alarm(signum, frame):
    raise ScenarioTimeout()


def _terminate(signum, frame):
    # timeout(1) or Ctrl-C: unwind so that the VM is stopped and its logs kept
    raise SystemExit(f"stopped by signal {signum}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("guestdir", nargs="?", default=os.path.join(REPO, ".build-vm", "e2e", "guest"))
    ap.add_argument("--only", default="", help="comma-separated scenario numbers or names")
    ap.add_argument("--keep", action="store_true",
                    help="leave the last VM running (print how to reach it) instead of stopping it")
    ap.add_argument("--logdir", default=os.path.join(REPO, ".build-vm", "e2e", "logs"))
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    scenarios = AARCH64_SCENARIOS if guest_arch(args.guestdir) == "aarch64" else SCENARIOS
    if args.list:
        for n, name, fn, limit in scenarios:
            print(f"{n} {name:10} {fn.__doc__} (limit {limit} s)")
        return 0
    wanted = [w for w in args.only.split(",") if w]
    chosen = [sc for sc in scenarios if not wanted or str(sc[0]) in wanted or sc[1] in wanted]
    if not chosen:
        print(f"no scenario matches {args.only!r}")
        return 2
    shutil.rmtree(args.logdir, ignore_errors=True)
    os.makedirs(args.logdir)
    suite = Suite(args.guestdir, args.logdir, args.keep)
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGTERM, _terminate)
    t_suite = time.monotonic()
    try:
        for n, name, fn, limit in chosen:
            suite.scenario = f"{n} {name}"
            print(f"[{n}] {name}: {fn.__doc__}", flush=True)
            t = time.monotonic()
            before = len(suite.results)
            signal.alarm(limit)
            try:
                fn(suite)
            except ScenarioTimeout:
                suite.check("scenario finished in time", False, f"stopped after {limit} s")
            except SystemExit as e:
                signal.alarm(0)
                suite.check("suite ran to the end", False, str(e))
                break
            except (Failure, GuestError, OSError, ValueError, KeyError, TypeError) as e:
                suite.check("scenario ran to the end", False, f"{type(e).__name__}: {e}")
            finally:
                signal.alarm(0)
            if len(suite.results) == before:
                suite.check("scenario made its checks", False)
            failed = [r for r in suite.results[before:] if not r[2]]
            print(f"[{n}] {name}: {'PASS' if not failed else 'FAIL'} ({time.monotonic() - t:.1f} s)", flush=True)
        if args.keep and suite.vm is not None and suite.vm.alive():
            g = suite.vm.guest
            print(f"\nVM left running: QEMU pid {g.pid}\n  agent:   socat - UNIX-CONNECT:{g.qga_path}"
                  f"  (note: the suite's connection is closed now)\n"
                  f"  guest shell: vm/vmctl.py ctl {args.guestdir} 'cat /proc/loadavg'\n"
                  f"  QMP:     vm/vmctl.py qmp {args.guestdir} query-status\n"
                  f"  console: {os.path.join(args.guestdir, 'console.log')}\n"
                  f"  stop:    vm/vmctl.py stop {args.guestdir}")
            for ch in (suite.vm.agent, suite.vm.ctl):
                ch.close()
            suite.vm.qmp.close()
            suite.vm = None
    finally:
        suite.close()
    total = time.monotonic() - t_suite
    suite.metric("suite_s", round(total, 1))
    return write_report(suite.results, suite.metrics, args.logdir)


def write_report(results, metrics, logdir):
    """results.json, the metrics and the closing "N passed, N failed" line; the exit status."""
    with open(os.path.join(logdir, "results.json"), "w") as f:
        json.dump({"results": results, "metrics": metrics}, f, indent=2)
    print("\nmetrics: " + json.dumps(metrics))
    print(f"logs: {logdir}")
    failed = sum(1 for r in results if not r[2])
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
