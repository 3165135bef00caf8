import Commands
import Foundation
import FreezeHooks
import Glibc
import ProcessRunner
import QGAProtocol
import Testing

@Suite("fsfreeze over the fake seam")
struct FSFreezeFakeTests {
    @Test("freeze goes in reverse mount order, thaw forward; status and the state file follow")
    func freezeAndThaw() {
        let f = FreezeFixture()
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(f.execute("guest-fsfreeze-freeze") == #"{"return": 3}"#)
        #expect(f.fs.frozenOrder == ["/m3", "/m2", "/m1"])
        #expect(f.status() == #"{"return": "frozen"}"#)
        #expect(f.isFrozenOnDisk)
        #expect(["/m1", "/m2", "/m3"].allSatisfy(f.fs.isFrozen))

        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 3}"#)
        // Each mount: one FITHAW that works, one that fails (EINVAL), in mount order.
        #expect(f.fs.thawCalls == ["/m1", "/m1", "/m2", "/m2", "/m3", "/m3"])
        #expect(!["/m1", "/m2", "/m3"].contains(where: f.fs.isFrozen))
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(!f.isFrozenOnDisk)
        #expect(f.fs.openDescriptorCount == 0)
    }

    @Test("the state file exists before the first FIFREEZE")
    func stateFileBeforeIoctl() {
        let f = FreezeFixture()
        var seenBeforeFirstFreeze: Bool?
        f.fs.onFreeze = { _ in
            if seenBeforeFirstFreeze == nil { seenBeforeFirstFreeze = f.isFrozenOnDisk }
        }
        _ = f.execute("guest-fsfreeze-freeze")
        #expect(seenBeforeFirstFreeze == true)
    }

    @Test("EBUSY (bind mount) and EOPNOTSUPP are tolerated and not counted", arguments: [EBUSY, EOPNOTSUPP])
    func toleratedErrors(errno: Int32) {
        let f = FreezeFixture(mountinfo: FreezeFixture.mounts(["/m1", "/m2", "/m3"]))
        f.fs.freezeErrors["/m2"] = errno
        #expect(f.execute("guest-fsfreeze-freeze") == #"{"return": 2}"#)
        #expect(f.fs.frozenOrder == ["/m3", "/m2", "/m1"])
        #expect(f.status() == #"{"return": "frozen"}"#)
        _ = f.execute("guest-fsfreeze-thaw")
    }

    @Test("a bind mount of a frozen superblock gets EBUSY from the kernel rule and is not counted")
    func bindMount() {
        let f = FreezeFixture(mountinfo: FreezeFixture.mounts(["/data", "/srv/bind"]))
        f.fs.superblocks["/srv/bind"] = "/data"
        #expect(f.execute("guest-fsfreeze-freeze") == #"{"return": 1}"#)
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 1}"#)
        #expect(!f.fs.isFrozen("/data"))
    }

    @Test("EIO on the third mount: the two frozen before are thawed, error reply, agent thawed")
    func failureOnThird() {
        let f = FreezeFixture(mountinfo: FreezeFixture.mounts(["/m1", "/m2", "/m3", "/m4"]))
        // Reverse order: /m4, /m3, then /m2 is the third.
        f.fs.freezeErrors["/m2"] = EIO
        #expect(
            f.execute("guest-fsfreeze-freeze")
                == #"{"error": {"class": "GenericError", "desc": "failed to freeze /m2: Input/output error"}}"#)
        #expect(f.fs.frozenOrder == ["/m4", "/m3", "/m2"])
        #expect(f.fs.thawCalls.contains("/m4") && f.fs.thawCalls.contains("/m3"))
        #expect(!f.fs.isFrozen("/m4") && !f.fs.isFrozen("/m3"))
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(!f.isFrozenOnDisk)
        #expect(f.execute("guest-fstrim").hasPrefix(#"{"return""#))  // commands are enabled again
        #expect(f.fs.openDescriptorCount == 0)
    }

    @Test("an open failure is reported with qemu-ga's text and everything is thawed")
    func openFailure() {
        let f = FreezeFixture()
        f.fs.openErrors["/m2"] = EACCES
        #expect(
            f.execute("guest-fsfreeze-freeze")
                == #"{"error": {"class": "GenericError", "desc": "failed to open /m2: Permission denied"}}"#)
        #expect(!f.fs.isFrozen("/m3"))
        #expect(f.fs.thawCalls.contains("/m3"))
        #expect(f.status() == #"{"return": "thawed"}"#)
    }

    @Test("freeze-list freezes only the named mounts, ignores unknown names")
    func freezeList() {
        let f = FreezeFixture()
        #expect(f.execute("guest-fsfreeze-freeze-list", #"{"mountpoints":["/m1","/m3","/nope"]}"#) == #"{"return": 2}"#)
        #expect(f.fs.frozenOrder == ["/m3", "/m1"])
        #expect(!f.fs.isFrozen("/m2"))
        _ = f.execute("guest-fsfreeze-thaw")
    }

    @Test("freeze-list without mountpoints freezes all")
    func freezeListAll() {
        let f = FreezeFixture()
        #expect(f.execute("guest-fsfreeze-freeze-list") == #"{"return": 3}"#)
        _ = f.execute("guest-fsfreeze-thaw")
    }

    @Test("freezing nothing leaves the agent thawed and gives the freeze hook its thaw (qemu-ga does not)")
    func freezeNothing() {
        let f = FreezeFixture(hook: FreezeHook(path: "/hook"))
        f.system.executables = ["/hook"]
        #expect(f.execute("guest-fsfreeze-freeze-list", #"{"mountpoints":[]}"#) == #"{"return": 0}"#)
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(!f.isFrozenOnDisk)
        #expect(f.system.invocations.map(\.arguments) == [["freeze"], ["thaw"]])
    }

    @Test("a failing thaw hook after freezing nothing is logged; the reply is still 0")
    func freezeNothingThawHookFails() {
        let f = FreezeFixture(hook: FreezeHook(path: "/hook"))
        f.system.executables = ["/hook"]
        f.system.respond = { invocation in
            ProcessOutcome(termination: .exited(invocation.arguments == ["thaw"] ? 1 : 0))
        }
        #expect(f.execute("guest-fsfreeze-freeze-list", #"{"mountpoints":["/not-mounted"]}"#) == #"{"return": 0}"#)
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(f.system.invocations.map(\.arguments) == [["freeze"], ["thaw"]])
    }

    @Test("freeze-list argument errors use qemu's texts")
    func freezeListArguments() {
        let f = FreezeFixture()
        #expect(
            f.execute("guest-fsfreeze-freeze-list", #"{"mountpoints":"/m1"}"#)
                == #"{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'mountpoints', expected: array"}}"#)
        #expect(f.fs.frozenOrder.isEmpty)
    }

    @Test("thaw repeats FITHAW until it fails and counts a mount once; nothing frozen gives 0")
    func nestedThaw() {
        let f = FreezeFixture()
        f.fs.preFreeze("/m2", times: 3)
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 1}"#)
        #expect(f.fs.thawCalls.filter { $0 == "/m2" }.count == 4)
        #expect(!f.fs.isFrozen("/m2"))
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 0}"#)
    }

    @Test("thaw skips mounts it cannot open")
    func thawSkipsUnopenable() {
        let f = FreezeFixture()
        _ = f.execute("guest-fsfreeze-freeze")
        f.fs.openErrors["/m1"] = EACCES
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 2}"#)
        #expect(f.status() == #"{"return": "thawed"}"#)
    }

    @Test("mountinfo selection: major 0 skipped, btrfs on a block device kept, escapes decoded")
    func mountSelection() {
        let lines = [
            "22 27 0:21 / /proc rw,relatime - proc proc rw",
            "25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw",
            "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
            "40 27 0:45 / /home rw,relatime shared:9 - btrfs /dev/vdb rw",
            "41 27 0:46 / /snap rw,relatime - btrfs none rw",
            "42 27 7:0 / /mnt/with\\040space rw - ext4 /dev/loop0 rw",
            "43 27 0:50 / /overlay rw - overlay overlay rw",
            "garbage line",
        ]
        let mounts = MountTable.parseMountInfo(Array(lines.joined(separator: "\n").utf8)) { path in
            path == "/dev/vdb" ? DeviceNumber(major: 253, minor: 16) : nil
        }
        #expect(mounts.map(\.directory) == ["/", "/home", "/mnt/with space"])
        #expect(mounts[1] == MountEntry(directory: "/home", type: "btrfs", device: DeviceNumber(major: 253, minor: 16)))
        #expect(mounts[0].device == DeviceNumber(major: 254, minor: 0))
    }

    /// A bind mount of /a's device and a second btrfs subvolume of /c's device.
    static let duplicateDevices = [
        "30 1 8:1 / /a rw,relatime - ext4 /dev/sda1 rw",
        "31 1 8:1 /sub /a-bind rw,relatime - ext4 /dev/sda1 rw",
        "32 1 0:45 /@ /c rw,relatime - btrfs /dev/sdb rw",
        "33 1 0:46 /@home /c-home rw,relatime - btrfs /dev/sdb rw",
        "34 1 8:3 / /e rw,relatime - ext4 /dev/sda3 rw",
    ]

    @Test("a device mounted twice (bind mount, btrfs subvolumes) is listed once, at its first mount")
    func duplicateDevicesSkipped() {
        let mounts = MountTable.parseMountInfo(Array(Self.duplicateDevices.joined(separator: "\n").utf8)) { path in
            path == "/dev/sdb" ? DeviceNumber(major: 8, minor: 16) : nil
        }
        #expect(mounts.map(\.directory) == ["/a", "/c", "/e"])

        let f = FreezeFixture(mountinfo: Self.duplicateDevices)
        f.fs.blockDevices["/dev/sdb"] = DeviceNumber(major: 8, minor: 16)
        #expect(f.execute("guest-fsfreeze-freeze") == #"{"return": 3}"#)
        #expect(!f.fs.isFrozen("/a-bind") && !f.fs.isFrozen("/c-home"))
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 3}"#)
        // Named by its second mount only, the device is not in the list: nothing to freeze.
        #expect(f.execute("guest-fsfreeze-freeze-list", #"{"mountpoints":["/a-bind"]}"#) == #"{"return": 0}"#)
        #expect(
            f.execute("guest-fstrim")
                == #"{"return": {"paths": [{"path": "/e", "trimmed": 4096, "minimum": 0}, {"path": "/c", "trimmed": 4096, "minimum": 0}, {"path": "/a", "trimmed": 4096, "minimum": 0}]}}"#)
        let fsinfo = f.execute("guest-get-fsinfo")
        #expect(fsinfo.contains(#""mountpoint": "/c""#) && !fsinfo.contains("/c-home") && !fsinfo.contains("/a-bind"))

        let fallback = MountTable.parseMounts(
            Array("/dev/sda1 /a ext4 rw 0 0\n/dev/sda1 /again ext4 rw 0 0\n/dev/gone /x ext4 rw 0 0\n/dev/gone2 /y ext4 rw 0 0\n".utf8),
            fileExists: { _ in false }, blockDevice: { $0 == "/dev/sda1" ? DeviceNumber(major: 8, minor: 1) : nil })
        #expect(fallback.map(\.directory) == ["/a", "/x"])
    }

    @Test("without mountinfo, /proc/self/mounts is used: no bind mounts, no network filesystems")
    func mountsFallback() throws {
        let text = """
            proc /proc proc rw 0 0
            /dev/vda / ext4 rw 0 0
            //server/share /mnt/smb cifs rw 0 0
            /srv/data /mnt/bind none rw,bind 0 0
            /dev/vdc /mnt/x\\040y xfs rw 0 0
            """
        let mounts = MountTable.parseMounts(
            Array(text.utf8), fileExists: { $0 == "/srv/data" || $0.hasPrefix("/dev/") },
            blockDevice: { $0.hasPrefix("/dev/vd") ? DeviceNumber(major: 254, minor: $0 == "/dev/vda" ? 0 : 32) : nil })
        #expect(mounts.map(\.directory) == ["/", "/mnt/x y"])

        let f = FreezeFixture()
        try FileManager.default.removeItem(atPath: f.root.path + "/proc/self/mountinfo")
        f.root.write("proc/self/mounts", "/dev/sda1 /m1 ext4 rw 0 0\n")
        f.system.filesystems.blockDevices["/dev/sda1"] = DeviceNumber(major: 8, minor: 1)
        #expect(f.execute("guest-fsfreeze-freeze") == #"{"return": 1}"#)
        _ = f.execute("guest-fsfreeze-thaw")
        try FileManager.default.removeItem(atPath: f.root.path + "/proc/self/mounts")
        #expect(
            f.execute("guest-fsfreeze-freeze")
                == #"{"error": {"class": "GenericError", "desc": "failed to open mtab file: '\#(f.root.path)/proc/self/mounts': No such file or directory"}}"#)
    }
}

@Suite("fsfreeze frozen state")
struct FrozenStateTests {
    static let allowed = [
        "guest-ping", "guest-info", "guest-sync", "guest-sync-delimited", "guest-fsfreeze-status", "guest-fsfreeze-thaw",
    ]

    @Test("while frozen only the six allowed commands answer; the rest get qemu-ga's text")
    func allowList() {
        let f = FreezeFixture()
        _ = f.execute("guest-fsfreeze-freeze")
        // Thaw last: it is allowed, and it would end the frozen state.
        for command in f.context.registry.entries.map(\.name) where command != "guest-fsfreeze-thaw" {
            let reply: String
            switch command {
            case "guest-sync", "guest-sync-delimited": reply = f.execute(command, #"{"id":1}"#)
            default: reply = f.execute(command)
            }
            let disabled = #"{"error": {"class": "CommandNotFound", "desc": "Command \#(command) has been disabled: the agent is in frozen state"}}"#
            if Self.allowed.contains(command) {
                #expect(!reply.contains("error"), "\(command): \(reply)")
            } else {
                #expect(reply == disabled, "\(command)")
            }
        }
        // guest-info reports the same.
        let info = f.execute("guest-info")
        #expect(info.contains(#"{"name": "guest-fstrim", "enabled": false"#))
        #expect(info.contains(#"{"name": "guest-fsfreeze-thaw", "enabled": true"#))
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 3}"#)
        #expect(f.execute("guest-fstrim").hasPrefix(#"{"return": {"paths""#))
    }

    @Test("after thaw, commands blocked by -b or not in -a stay disabled")
    func blockedStayDisabled() {
        let f = FreezeFixture()
        f.context.registry.blocked = ["guest-fstrim"]
        _ = f.execute("guest-fsfreeze-freeze")
        _ = f.execute("guest-fsfreeze-thaw")
        #expect(
            f.execute("guest-fstrim")
                == #"{"error": {"class": "CommandNotFound", "desc": "Command guest-fstrim has been disabled: the command is not allowed"}}"#)
        #expect(f.execute("guest-fsfreeze-freeze-list", #"{"mountpoints":[]}"#) == #"{"return": 0}"#)

        let g = FreezeFixture()
        g.context.registry.allowed = ["guest-fsfreeze-freeze", "guest-fsfreeze-thaw", "guest-fsfreeze-status"]
        _ = g.execute("guest-fsfreeze-freeze")
        _ = g.execute("guest-fsfreeze-thaw")
        #expect(
            g.execute("guest-fstrim")
                == #"{"error": {"class": "CommandNotFound", "desc": "Command guest-fstrim has been disabled: the command is not allowed"}}"#)
        #expect(g.status() == #"{"return": "thawed"}"#)
    }

    @Test("a restart with the state file present starts frozen, says so, and thaws on request")
    func restartFrozen() {
        let f = FreezeFixture()
        f.root.write("state/qga.state.isfrozen", "")
        f.fs.preFreeze("/m2")
        #expect(FSFreeze.startupCheck(context: f.context))
        #expect(f.status() == #"{"return": "frozen"}"#)
        #expect(
            f.log.messages(at: .warning).contains(
                "previous instance appears to have exited with frozen filesystems. deferring logging/pidfile creation and disabling non-fsfreeze-safe commands until guest-fsfreeze-thaw is issued, or filesystems are manually unfrozen and the file \(f.stateFile) is removed"
            ))
        #expect(f.execute("guest-fstrim").contains("the agent is in frozen state"))
        #expect(f.context.freeze.watchdogDeadline == nil)  // fixture's watchdog is off
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 1}"#)
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(!f.isFrozenOnDisk)
    }

    @Test("without the state file the agent starts thawed")
    func startThawed() {
        let f = FreezeFixture()
        #expect(!FSFreeze.startupCheck(context: f.context))
        #expect(f.status() == #"{"return": "thawed"}"#)
    }

    @Test("work deferred until thaw (the pidfile) runs after thaw, or at once when thawed")
    func deferredWork() {
        let f = FreezeFixture()
        var ran: [String] = []
        f.context.freeze.whenThawed { ran.append("now") }
        _ = f.execute("guest-fsfreeze-freeze")
        f.context.freeze.whenThawed { ran.append("later") }
        #expect(ran == ["now"])
        _ = f.execute("guest-fsfreeze-thaw")
        #expect(ran == ["now", "later"])
    }

    @Test("SIGTERM while frozen: thawForShutdown thaws and runs the thaw hook; when thawed it does nothing")
    func shutdownThaw() {
        let f = FreezeFixture(hook: FreezeHook(path: "/hook"))
        f.system.executables = ["/hook"]
        #expect(FSFreeze.thawForShutdown(context: f.context) == nil)
        #expect(f.fs.thawCalls.isEmpty && f.system.invocations.isEmpty)
        _ = f.execute("guest-fsfreeze-freeze")
        #expect(FSFreeze.thawForShutdown(context: f.context) == 3)
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(!f.fs.isFrozen("/m1"))
        #expect(f.system.invocations.map(\.arguments) == [["freeze"], ["thaw"]])
    }

    @Test("watchdog: armed at freeze, due after the timeout, thaws, runs the thaw hook, logs why")
    func watchdog() {
        let f = FreezeFixture(watchdog: 2, hook: FreezeHook(path: "/hook"))
        f.system.executables = ["/hook"]
        #expect(f.context.freeze.watchdogDeadline == nil)
        _ = f.execute("guest-fsfreeze-freeze")
        #expect(f.context.freeze.watchdogDeadline == f.now + 2)
        #expect(f.context.freeze.watchdogDelayMilliseconds() == 2000)
        f.now += 1.5
        #expect(f.context.freeze.watchdogDelayMilliseconds() == 500)
        #expect(!FSFreeze.watchdogExpired(context: f.context))
        #expect(f.status() == #"{"return": "frozen"}"#)
        f.now += 0.5
        #expect(f.context.freeze.watchdogDelayMilliseconds() == 0)
        #expect(FSFreeze.watchdogExpired(context: f.context))
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(!f.fs.isFrozen("/m1") && !f.fs.isFrozen("/m3"))
        #expect(f.system.invocations.map(\.arguments) == [["freeze"], ["thaw"]])
        #expect(f.context.freeze.watchdogDeadline == nil)
        #expect(f.log.messages(at: .error).contains {
            $0.contains("no guest-fsfreeze-thaw within 2 seconds of the freeze") })
        #expect(!FSFreeze.watchdogExpired(context: f.context))
    }

    @Test("watchdog off (0): never armed")
    func watchdogOff() {
        let f = FreezeFixture(watchdog: 0)
        _ = f.execute("guest-fsfreeze-freeze")
        f.now += 1e6
        #expect(f.context.freeze.watchdogDeadline == nil)
        #expect(f.context.freeze.watchdogDelayMilliseconds() == nil)
        #expect(!FSFreeze.watchdogExpired(context: f.context))
        #expect(f.status() == #"{"return": "frozen"}"#)
        _ = f.execute("guest-fsfreeze-thaw")
    }

    @Test("watchdog whose thaw fails stays frozen and retries later instead of spinning")
    func watchdogRetry() throws {
        let f = FreezeFixture(watchdog: 5)
        _ = f.execute("guest-fsfreeze-freeze")
        try FileManager.default.removeItem(atPath: f.root.path + "/proc/self/mountinfo")
        f.now += 5
        #expect(FSFreeze.watchdogExpired(context: f.context))
        #expect(f.status() == #"{"return": "frozen"}"#)
        #expect(f.context.freeze.watchdogDeadline == f.now + FreezeState.watchdogRetryInterval)
        f.root.write("proc/self/mountinfo", FreezeFixture.mounts(["/m1", "/m2", "/m3"]).joined(separator: "\n"))
        f.now += FreezeState.watchdogRetryInterval
        #expect(FSFreeze.watchdogExpired(context: f.context))
        #expect(f.status() == #"{"return": "thawed"}"#)
    }
}

@Suite("fsfreeze hook through the commands (recorded)")
struct FreezeHookCommandTests {
    @Test("the hook runs with freeze before any FIFREEZE and with thaw after thaw, as a value")
    func invocations() {
        let f = FreezeFixture(hook: FreezeHook(path: "/etc/qemu/fsfreeze-hook", timeout: 7))
        f.system.executables = ["/etc/qemu/fsfreeze-hook"]
        var freezesBeforeHook: Int?
        f.system.respond = { _ in
            if freezesBeforeHook == nil { freezesBeforeHook = f.fs.frozenOrder.count }
            return ProcessOutcome(termination: .exited(0), output: Array("flushed\n".utf8))
        }
        _ = f.execute("guest-fsfreeze-freeze")
        _ = f.execute("guest-fsfreeze-thaw")
        #expect(freezesBeforeHook == 0)
        #expect(
            f.system.invocations == [
                ProcessInvocation("/etc/qemu/fsfreeze-hook", ["freeze"], input: .null, timeout: 7, newSession: true),
                ProcessInvocation("/etc/qemu/fsfreeze-hook", ["thaw"], input: .null, timeout: 7, newSession: true),
            ])
        #expect(f.log.messages.contains("fsfreeze hook output: flushed\n"))
    }

    @Test("a failing freeze hook refuses the freeze: nothing frozen, thawed, qemu-ga's text")
    func failingHook() {
        let f = FreezeFixture(hook: FreezeHook(path: "/hook"))
        f.system.executables = ["/hook"]
        f.system.respond = { _ in ProcessOutcome(termination: .exited(3)) }
        #expect(
            f.execute("guest-fsfreeze-freeze")
                == #"{"error": {"class": "GenericError", "desc": "child process has failed to execute fsfreeze hook: exit status 3"}}"#)
        #expect(f.fs.calls.isEmpty)
        #expect(f.status() == #"{"return": "thawed"}"#)
        #expect(!f.isFrozenOnDisk)
    }

    @Test("a timed-out freeze hook fails the freeze and gets its thaw run")
    func timedOutHook() {
        let f = FreezeFixture(hook: FreezeHook(path: "/hook", timeout: 2))
        f.system.executables = ["/hook"]
        f.system.respond = { $0.arguments == ["freeze"] ? ProcessOutcome(termination: .timedOut) : ProcessOutcome(termination: .exited(0)) }
        #expect(
            f.execute("guest-fsfreeze-freeze")
                == #"{"error": {"class": "GenericError", "desc": "fsfreeze hook '/hook' timed out after 2 seconds"}}"#)
        #expect(f.fs.calls.isEmpty)
        #expect(f.system.invocations.map(\.arguments) == [["freeze"], ["thaw"]])
        #expect(f.status() == #"{"return": "thawed"}"#)
    }

    @Test("a failing thaw hook makes the thaw reply an error, but the filesystems are thawed")
    func failingThawHook() {
        let f = FreezeFixture(hook: FreezeHook(path: "/hook"))
        f.system.executables = ["/hook"]
        f.system.respond = { $0.arguments == ["thaw"] ? ProcessOutcome(termination: .signaled(9)) : ProcessOutcome(termination: .exited(0)) }
        _ = f.execute("guest-fsfreeze-freeze")
        #expect(
            f.execute("guest-fsfreeze-thaw")
                == #"{"error": {"class": "GenericError", "desc": "child process has terminated abnormally"}}"#)
        #expect(!f.fs.isFrozen("/m1"))
        #expect(f.status() == #"{"return": "thawed"}"#)
    }

    @Test("a missing hook: qemu-ga 10.x's failed to exec, nothing frozen, no thaw run")
    func missingHook() {
        let f = FreezeFixture(hook: FreezeHook(path: f_missing))
        f.system.respond = { _ in ProcessOutcome(termination: .failedToStart(ENOENT)) }
        #expect(
            f.execute("guest-fsfreeze-freeze")
                == #"{"error": {"class": "GenericError", "desc": "child process has failed to execute fsfreeze hook: failed to exec '\#(f_missing)': No such file or directory\n"}}"#)
        #expect(f.system.invocations.map(\.arguments) == [["freeze"]])
        #expect(f.fs.calls.isEmpty)
        #expect(f.status() == #"{"return": "thawed"}"#)
    }
}

private let f_missing = "/nonexistent/qga-test-hook"

@Suite("guest-fstrim over the fake seam")
struct FstrimTests {
    @Test("one result per mount, last mount first, with qemu-ga's per-path errors")
    func results() {
        let f = FreezeFixture(mountinfo: FreezeFixture.mounts(["/a", "/b", "/c", "/d"]))
        f.fs.trimmedBytes["/a"] = 1 << 20
        f.fs.openErrors["/b"] = EACCES
        f.fs.trimErrors["/c"] = EOPNOTSUPP
        f.fs.trimErrors["/d"] = EIO
        let reply = f.execute("guest-fstrim", #"{"minimum":4096}"#)
        #expect(
            reply == #"{"return": {"paths": [{"path": "/d", "error": "failed to trim: Input/output error"}, {"path": "/c", "error": "trim not supported"}, {"path": "/b", "error": "failed to open: Permission denied"}, {"path": "/a", "trimmed": 1048576, "minimum": 4096}]}}"#)
        #expect(f.fs.calls.contains(.trim("/a", minimum: 4096)))
        #expect(f.fs.openDescriptorCount == 0)
    }

    @Test("ENOTTY is 'trim not supported'; minimum defaults to 0")
    func notty() {
        let f = FreezeFixture(mountinfo: FreezeFixture.mounts(["/cdrom", "/x"]))
        f.fs.trimErrors["/cdrom"] = ENOTTY
        #expect(
            f.execute("guest-fstrim")
                == #"{"return": {"paths": [{"path": "/x", "trimmed": 4096, "minimum": 0}, {"path": "/cdrom", "error": "trim not supported"}]}}"#)
    }

    @Test("bad minimum is a parameter error")
    func badMinimum() {
        let f = FreezeFixture()
        #expect(
            f.execute("guest-fstrim", #"{"minimum":"x"}"#)
                == #"{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'minimum', expected: integer"}}"#)
    }
}
