#!/usr/bin/env python3
"""The package and the tarball in a Debian 12 guest without systemd: sysvinit-core is PID 1,
OpenRC runs the boot scripts, udev still runs.

    vm/debian/e2e_sysv.py IMAGEDIR --deb dist/qemu-ga-swift_V_amd64.deb \\
        --tarball dist/qemu-ga-swift-V-x86_64-linux.tar.gz [--only 3,4] [--keep]

IMAGEDIR is made by `GUEST_INIT=sysv vm/debian/build-image.sh` (vm/debian/test.sh with
GUEST_INIT=sysv builds it and calls this): Debian's own qemu-guest-agent installed and started
at boot by its SysV script. One QEMU process (TCG) boots the image three times (two reboots
through the agent). The guest, its channels and the control shell are e2e_debian.py's; the
control shell is kept alive by init (a respawn line in /etc/inittab), outside every service.

Scenarios:
  1 boot       QEMU start -> first reply from Debian's agent; PID 1 is sysvinit, OpenRC ran the boot
  2 swap       apt-get install ./our.deb over Debian's qemu-guest-agent -> ours answers,
               started by the .deb's SysV script (pidfile, `service qemu-guest-agent status`)
  3 freeze     freeze/thaw the real root fs, the fsfreeze-hook.d script runs in order
  4 restart    service qemu-guest-agent restart: a new agent, the host gets answers again
  5 reboot     guest-shutdown reboot (through sysvinit): after the boot the SysV script
               started ours because the port exists
  6 purge      apt-get purge: no agent process, no file of the package left
  7 tarball    the tarball's install.sh picks OpenRC (and Debian's paths), installs, starts
  8 reboot2    guest-shutdown reboot: OpenRC starts ours at boot, the host gets answers
  9 uninstall  install.sh --uninstall removes every path of its manifest and stops the agent;
               install.sh again (the agent for 10)
 10 shutdown   guest-shutdown (powerdown) through sysvinit: QMP SHUTDOWN, QEMU exits

Logs: .build-vm/debian-bookworm-sysv/logs/. The last line is "N passed, N failed"; the exit
status is 1 on any failure.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from e2e_debian import (Suite, Failure, run_scenarios, leftover_paths, hook_calls, q,  # noqa: E402
                        HOOK_DIR, HOOK_LOG, RECORD_HOOK, REPO)

SERVICE = "qemu-guest-agent"
PIDFILE = "/var/run/qemu-ga.pid"
OURS = "/usr/sbin/qemu-ga-swift"


class SysvSuite(Suite):
    """e2e_debian.Suite without systemd: the agent is found through its pidfile."""

    def __init__(self, args):
        super().__init__(args)
        self.tarball = os.path.abspath(args.tarball) if args.tarball else None
        self.tarball_in_guest = None

    def pkg_image(self):
        """The package disk (label qga-pkg) with the .deb and the tarball."""
        img = os.path.join(self.rundir, "pkg.img")
        with tempfile.TemporaryDirectory(dir=self.rundir) as d:
            size = 16 * 2**20
            for f in (self.deb, self.tarball):
                shutil.copy(f, d)
                size += os.path.getsize(f)
            subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "qga-pkg", "-d", d, img, f"{size // 2**20}M"],
                           check=True, timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.deb_in_guest = "/root/pkg/" + os.path.basename(self.deb)
        self.tarball_in_guest = "/root/pkg/" + os.path.basename(self.tarball)
        return img

    def agent_pid(self):
        """The PID of the agent process (ours or Debian's), 0 when none runs."""
        rc, out = self.sh("pidof qemu-ga-swift qemu-ga")
        pids = out.split() if rc == 0 else []
        return int(pids[0]) if len(pids) == 1 else (-len(pids) if pids else 0)

    def wait_agent(self, timeout, old_pid=None):
        """Polls until one agent process runs (with a PID other than old_pid); its PID or 0."""
        deadline = time.monotonic() + timeout
        while True:
            pid = self.agent_pid()
            if pid > 0 and pid != old_pid:
                return pid
            if time.monotonic() > deadline:
                return 0
            time.sleep(0.5)

    def reboot_through_agent(self, what):
        """guest-shutdown mode reboot; returns when the control shell answers in the new boot
        (the agent's first reply timed as a metric)."""
        boot_id = self.out("cat /proc/sys/kernel/random/boot_id")
        mark = self.qmp.mark()
        t = time.monotonic()
        self.agent.execute("guest-shutdown", {"mode": "reboot"}, reply=False)
        # sysvinit runs every stop script first: minutes under TCG on a loaded host
        ev = self.qmp.wait_event("RESET", 300, mark)
        self.check(f"{what}: guest-shutdown reboot: QMP RESET (sysvinit rebooted the guest)", ev is not None,
                   ev and f"after {ev[0] - t:.1f} s")
        ok = self.agent.sync_delimited(self.args.boot_timeout, resend=5.0)
        self.metric(f"{what}_reboot_to_first_reply_s", round(time.monotonic() - t, 1))
        self.check(f"{what}: after the reboot an agent answers (nothing started it but the boot scripts)", ok)
        if self.ctl:
            self.ctl.close()
            self.ctl = None
        self.connect_ctl(60)
        new_boot = self.out("cat /proc/sys/kernel/random/boot_id")
        self.check(f"{what}: a new boot", new_boot != boot_id, f"{boot_id[:8]} -> {new_boot[:8]}")


def exe_of(s, pid):
    return s.sh(f"readlink /proc/{pid}/exe")[1].strip() if pid > 0 else ""


def s1_boot(s):
    """QEMU start -> first reply from Debian's agent; PID 1 is sysvinit, OpenRC ran the boot."""
    s.boot()
    ok = s.agent.sync_delimited(s.args.boot_timeout, resend=5.0)
    t = s.guest.elapsed()
    s.check("first reply to guest-sync-delimited after boot (started by the boot scripts)", ok,
            f"{t:.1f} s after QEMU started")
    if not ok:
        raise Failure("the guest's agent never answered")
    s.metric("boot_to_first_reply_s", round(t, 1))
    s.connect_ctl(60)
    init = s.out("readlink -f /proc/1/exe")
    s.check("PID 1 is sysvinit's /sbin/init, no systemd runs", init.endswith("/sbin/init")
            and s.sh("test -d /run/systemd/system")[0] != 0 and s.sh("pidof systemd")[0] != 0, init)
    s.check("OpenRC ran the boot (/run/openrc, rc-status)", s.sh("test -d /run/openrc && rc-status -r")[0] == 0,
            s.sh("rc-status -r")[1])
    s.check("udev runs", s.sh("pidof systemd-udevd udevd")[0] == 0)
    pid = s.agent_pid()
    s.check("Debian's agent runs: /usr/sbin/qemu-ga", exe_of(s, pid) == "/usr/sbin/qemu-ga", f"pid {pid}")
    s.debian_version = s.agent.ok("guest-info").get("version")
    s.check("the guest runs the image's kernel", s.out("uname -r") == s.guest.kernel_version)


def s2_swap(s):
    """apt-get install ./our.deb over Debian's qemu-guest-agent -> ours answers, started by the
    .deb's SysV script."""
    s.out("mkdir -p /mnt/pkg /root/pkg && mount -o ro LABEL=qga-pkg /mnt/pkg && "
          "cp /mnt/pkg/*.deb /mnt/pkg/*.tar.gz /root/pkg/ && umount /mnt/pkg")
    old = s.agent_pid()
    rc, out, took = s.apt(f"install -y {s.deb_in_guest}")
    s.metric("swap_apt_install_s", took)
    s.check("apt-get install ./qemu-ga-swift_*.deb succeeds", rc == 0, out[-1500:])
    gap = s.wait_answers(60)
    s.metric("swap_host_answers_again_s", gap)
    s.check("the host gets answers again after the swap", gap is not None, f"{gap} s after apt-get returned")
    pid = s.wait_agent(30, old)
    s.check("one agent runs, ours", exe_of(s, pid) == OURS, f"pid {old} -> {pid} {exe_of(s, pid)}")
    s.check(f"{PIDFILE} names it (the SysV script started it as a daemon)",
            s.sh(f"cat {PIDFILE}")[1].strip() == str(pid), s.sh(f"cat {PIDFILE}")[1])
    rc, out = s.sh(f"service {SERVICE} status")
    s.check(f"service {SERVICE} status: running (exit 0)", rc == 0, out)
    ours = s.sh("dpkg-query -W -f='${db:Status-Abbrev}' qemu-ga-swift")[1].strip()
    theirs = s.sh("dpkg-query -W -f='${db:Status-Abbrev}' qemu-guest-agent")[1].strip()
    s.check("dpkg: qemu-ga-swift installed, Debian's qemu-guest-agent removed",
            ours == "ii" and not theirs.startswith("ii"), f"{ours} / {theirs}")
    info = s.agent.ok("guest-info")
    s.check("guest-info now comes from ours (not Debian's version)", info.get("version") != s.debian_version,
            f"{s.debian_version!r} -> {info.get('version')!r}")


def s3_freeze(s):
    """Freeze and thaw the real root filesystem; the fsfreeze-hook.d script runs in order."""
    s.out(f"mkdir -p {HOOK_DIR} && printf '%s\\n' {' '.join(q(l) for l in RECORD_HOOK)} >{HOOK_DIR}/50-e2e-record && "
          f"chmod 755 {HOOK_DIR}/50-e2e-record && rm -f {HOOK_LOG} /run/probe-done /root/frozen-probe && sync")
    t = time.monotonic()
    r = s.agent.execute("guest-fsfreeze-freeze", timeout=60)
    s.metric("freeze_s", round(time.monotonic() - t, 2))
    try:
        s.check("guest-fsfreeze-freeze froze the root filesystem", isinstance(r.get("return"), int)
                and r["return"] >= 1, f"{r}")
        s.check("status: frozen", s.agent.ok("guest-fsfreeze-status") == "frozen")
        s.out("(echo probe >/root/frozen-probe; touch /run/probe-done) </dev/null >/dev/null 2>&1 &")
        time.sleep(2)
        s.check("a write to / blocks while frozen", s.sh("test -e /run/probe-done")[0] != 0)
        s.check("the hook ran with 'freeze'", hook_calls(s) == ["freeze"], f"{hook_calls(s)}")
    finally:
        r = s.agent.execute("guest-fsfreeze-thaw", timeout=60)
    s.check("guest-fsfreeze-thaw", isinstance(r.get("return"), int) and r["return"] >= 1, f"{r}")
    deadline = time.monotonic() + 10
    while s.sh("test -e /run/probe-done")[0] != 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    s.check("the blocked write completes after thaw", s.sh("cat /root/frozen-probe")[1].strip() == "probe")
    s.check("the hook ran in order: freeze, then thaw", hook_calls(s) == ["freeze", "thaw"], f"{hook_calls(s)}")
    s.out(f"rm -f {HOOK_DIR}/50-e2e-record")


def s4_restart(s):
    """service qemu-guest-agent restart: a new agent, the host gets answers again."""
    old = s.agent_pid()
    t = time.monotonic()
    rc, out = s.sh(f"service {SERVICE} restart", 120)
    s.check(f"service {SERVICE} restart exits 0", rc == 0, out)
    pid = s.wait_agent(30, old)
    gap = s.wait_answers(60)
    s.metric("restart_host_answers_again_s", gap and round(time.monotonic() - t, 2))
    s.check("a new agent (ours), the old one gone; the host gets answers again",
            pid > 0 and pid != old and exe_of(s, pid) == OURS and gap is not None
            and s.sh(f"test -d /proc/{old}")[0] != 0, f"pid {old} -> {pid}")
    s.check("guest-ping", s.agent.execute("guest-ping") == {"return": {}})


def s5_reboot(s):
    """guest-shutdown reboot through sysvinit: after the boot the .deb's SysV script started
    ours (the port exists)."""
    s.reboot_through_agent("deb")
    pid = s.agent_pid()
    s.check("ours runs after the boot, from the SysV script (its pidfile names it)",
            exe_of(s, pid) == OURS and s.sh(f"cat {PIDFILE}")[1].strip() == str(pid), f"pid {pid}")
    # Debian's openrc runs LSB scripts itself; the runlevel entry that made it start ours:
    s.metric("deb_boot_entry", s.sh(f"ls /etc/runlevels/*/{SERVICE} /etc/rc2.d/*{SERVICE} 2>/dev/null")[1].strip())


def s6_purge(s):
    """apt-get purge qemu-ga-swift: no agent process, no file of the package left."""
    listed = s.out("dpkg -L qemu-ga-swift").splitlines()
    conffiles = [l.split()[0] for l in s.out("dpkg-query -W -f='${Conffiles}\\n' qemu-ga-swift").splitlines()
                 if l.strip()]
    rc, out, took = s.apt("purge -y qemu-ga-swift")
    s.metric("purge_s", took)
    s.check("apt-get purge -y qemu-ga-swift succeeds", rc == 0, out[-1000:])
    st = s.sh("dpkg-query -W -f='${db:Status-Abbrev}' qemu-ga-swift 2>&1")[1].strip()
    s.check("dpkg no longer knows the package", not st.startswith(("ii", "rc")), st)
    left = leftover_paths(s, listed + conffiles)
    s.check("no file, link or own directory of the package is left", not left.strip(), left.replace("\n", "; "))
    s.check("no agent process runs, no pidfile", s.agent_pid() == 0 and s.sh(f"test -e {PIDFILE}")[0] != 0)


def s7_tarball(s):
    """The tarball's install.sh picks OpenRC (and Debian's paths), installs and starts ours."""
    name = os.path.basename(s.tarball_in_guest)[:-len(".tar.gz")]
    rc, out = s.sh(f"cd /root/pkg && tar xzf {q(s.tarball_in_guest)} && sh {q(name)}/install.sh", 120)
    s.metric("install_sh_output", out.replace("\n", " | "))
    s.check("sh install.sh exits 0", rc == 0, out)
    s.check("install.sh chose OpenRC and Debian's layout", "debian layout, openrc" in out, out)
    head = s.sh("head -1 /etc/init.d/qemu-guest-agent")[1].strip()
    s.check("/etc/init.d/qemu-guest-agent is the OpenRC script, enabled in the default runlevel",
            head == "#!/sbin/openrc-run" and s.sh(f"test -L /etc/runlevels/default/{SERVICE}")[0] == 0, head)
    gap = s.wait_answers(60)
    s.check("the host gets answers from the tarball's agent", gap is not None, f"{gap} s")
    pid = s.wait_agent(30)
    s.check("ours runs", exe_of(s, pid) == OURS, f"pid {pid}")
    rc, out = s.sh(f"rc-service {SERVICE} status")
    s.check(f"rc-service {SERVICE} status: started", rc == 0 and "started" in out, out)


def s8_reboot2(s):
    """guest-shutdown reboot: OpenRC starts ours at boot, the host gets answers."""
    s.reboot_through_agent("tarball")
    pid = s.agent_pid()
    s.check("ours runs after the boot, started by OpenRC", exe_of(s, pid) == OURS
            and s.sh(f"rc-service {SERVICE} status")[0] == 0, f"pid {pid}")


def s9_uninstall(s):
    """install.sh --uninstall removes every path of its manifest and stops the agent; then
    install.sh again (the agent for the last scenario)."""
    manifest = [l for l in s.out("tail -n +2 /var/lib/qemu-ga-swift/manifest").splitlines() if l.strip()]
    s.metric("manifest_paths", len(manifest))
    rc, out = s.sh("sh /usr/share/qemu-ga-swift/install.sh --uninstall", 120)
    s.check("install.sh --uninstall (the installed copy) exits 0", rc == 0, out)
    left = leftover_paths(s, manifest)
    s.check("every path of the manifest is gone (directories others own excepted)", not left.strip(),
            left.replace("\n", "; "))
    pid, known = s.agent_pid(), s.sh(f"rc-service -e {SERVICE}; echo $?")[1].strip()
    s.check("no agent runs, the service is unknown to OpenRC (rc-service -e fails)", pid == 0 and known != "0",
            f"pid {pid}, rc-service -e: {known}")
    name = os.path.basename(s.tarball_in_guest)[:-len(".tar.gz")]
    rc, out = s.sh(f"sh /root/pkg/{q(name)}/install.sh", 120)
    s.check("install.sh again", rc == 0 and s.wait_answers(60) is not None, out)


def s10_shutdown(s):
    """guest-shutdown (powerdown) through sysvinit: QMP SHUTDOWN, QEMU exits."""
    mark = s.qmp.mark()
    t = time.monotonic()
    s.agent.execute("guest-shutdown", reply=False)
    ev = s.qmp.wait_event("SHUTDOWN", 120, mark)
    s.check("QMP SHUTDOWN caused by the guest", ev is not None and ev[1].get("data", {}).get("guest") is True,
            ev and f"{ev[1].get('data')}")
    rc = s.guest.wait_exit(60)
    s.metric("powerdown_to_exit_s", round(time.monotonic() - t, 1))
    s.check("QEMU exits by itself", rc is not None, f"rc {rc}")
    s.check("the guest powered off (console: 'reboot: Power down')", "reboot: Power down" in s.guest.console())


# (number, name, function, time limit in seconds, needs our package)
SCENARIOS = [
    (1, "boot", s1_boot, 660, False),
    (2, "swap", s2_swap, 360, True),
    (3, "freeze", s3_freeze, 180, True),
    (4, "restart", s4_restart, 180, True),
    (5, "reboot", s5_reboot, 960, True),
    (6, "purge", s6_purge, 360, True),
    (7, "tarball", s7_tarball, 240, True),
    (8, "reboot2", s8_reboot2, 960, True),
    (9, "uninstall", s9_uninstall, 240, True),
    (10, "shutdown", s10_shutdown, 200, True),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("imagedir")
    ap.add_argument("--deb", required=True, help="our package, installed in the guest by apt-get")
    ap.add_argument("--tarball", required=True, help="our tarball, installed by its install.sh")
    ap.add_argument("--only", default="", help="comma-separated scenario numbers or names (1 and 2 always run)")
    ap.add_argument("--keep", action="store_true", help="leave the VM running at the end")
    # a sysvinit + OpenRC boot: 250-340 s to the first reply at load 8-15 on 2 cores
    ap.add_argument("--boot-timeout", type=float, default=600)
    ap.add_argument("--logdir", default=os.path.join(REPO, ".build-vm", "debian-bookworm-sysv", "logs"))
    ap.add_argument("--rundir", default=os.path.join(REPO, ".build-vm", "debian-bookworm-sysv", "run"))
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        for n, name, fn, limit, _ in SCENARIOS:
            print(f"{n} {name:9} {fn.__doc__} (limit {limit} s)")
        return 0
    wanted = [w for w in args.only.split(",") if w]
    chosen = [sc for sc in SCENARIOS if not wanted or str(sc[0]) in wanted or sc[1] in wanted or sc[0] in (1, 2)]
    return run_scenarios(SysvSuite(args), chosen, args)


if __name__ == "__main__":
    sys.exit(main())
