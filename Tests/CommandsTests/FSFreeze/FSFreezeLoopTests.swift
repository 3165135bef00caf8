import Commands
import Foundation
import FreezeHooks
import Glibc
import QGAProtocol
import Testing

/// Real filesystems: loop-mounted images this suite creates, frozen only through an agent whose
/// mount table lists nothing else, and only by explicit mountpoint where the test allows it.
/// Every test tears down with FITHAW, umount and loop detach, even when it fails.
@Suite("fsfreeze on loop-mounted filesystems", .serialized)
struct FSFreezeLoopTests {
    @Test("freeze-list freezes the named mounts: writes block until thaw; others stay writable", arguments: LoopMounts.availableTypes)
    func freezeListBlocksWrites(type: String) throws {
        let mounts = try LoopMounts(count: 3, type: type)
        defer { mounts.teardown() }
        let session = AgentSession(context: realContext(mounts))
        let named = #"["\#(mounts.mountpoints[0])","\#(mounts.mountpoints[1])"]"#
        #expect(session.run(#"{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":\#(named)}}"#) == #"{"return": 2}"#)
        #expect(session.run(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "frozen"}"#)

        let blocked = try Writer(into: mounts.mountpoints[0])
        let free = try Writer(into: mounts.mountpoints[2])
        #expect(free.finishes())
        #expect(blocked.isBlocked())

        #expect(session.run(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 2}"#)
        #expect(blocked.finishes())
        #expect(try String(contentsOfFile: mounts.mountpoints[0] + "/f", encoding: .utf8) == "x\n")
        #expect(session.run(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "thawed"}"#)
    }

    @Test("guest-fsfreeze-freeze over an injected table freezes all of it; thaw counts them")
    func freezeAll() throws {
        let mounts = try LoopMounts(count: 3)
        defer { mounts.teardown() }
        let session = AgentSession(context: realContext(mounts))
        #expect(session.run(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 3}"#)
        let writers = try mounts.mountpoints.map { try Writer(into: $0) }
        #expect(writers[2].isBlocked())
        #expect(session.run(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 3}"#)
        #expect(writers.allSatisfy { $0.finishes() })
        #expect(session.run(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 0}"#)
    }

    @Test("a filesystem frozen twice by someone else is thawed completely and counted once")
    func nestedFreeze() throws {
        let mounts = try LoopMounts(count: 1)
        defer { mounts.teardown() }
        let mnt = mounts.mountpoints[0]
        // fsfreeze(8) equivalent; a second FIFREEZE on a frozen ext4 is EBUSY, so this is depth 1.
        let fd = open(mnt, O_RDONLY | O_CLOEXEC)
        #expect(ioctl(fd, UInt(0xC004_5877), CInt(0)) == 0)
        close(fd)
        let session = AgentSession(context: realContext(mounts))
        #expect(session.run(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 0}"#)  // EBUSY: tolerated
        #expect(session.run(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "thawed"}"#)
        let writer = try Writer(into: mnt)
        #expect(writer.isBlocked())
        #expect(session.run(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 1}"#)
        #expect(writer.finishes())
    }

    @Test("the watchdog (2 s) thaws a freeze nobody thawed")
    func watchdog() throws {
        let mounts = try LoopMounts(count: 1)
        defer { mounts.teardown() }
        let context = realContext(mounts, freeze: FreezeState(watchdogTimeout: 2))
        let session = AgentSession(context: context)
        #expect(session.run(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 1}"#)
        let writer = try Writer(into: mounts.mountpoints[0])
        #expect(!FSFreeze.watchdogExpired(context: context))
        #expect(writer.isBlocked())
        // What the event loop does: sleep until the deadline, then call the watchdog.
        while let delay = context.freeze.watchdogDelayMilliseconds(), delay > 0 { usleep(UInt32(delay) * 1000) }
        #expect(FSFreeze.watchdogExpired(context: context))
        #expect(writer.finishes())
        #expect(session.run(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "thawed"}"#)
        #expect(!FileManager.default.fileExists(atPath: FSFreeze.stateFilePath(context)))
    }

    @Test("a bind mount of a loop mount is the same device: frozen, trimmed and reported once")
    func bindMountCountedOnce() throws {
        let mounts = try LoopMounts(count: 2)
        defer { mounts.teardown() }
        let bind = try mounts.bindMount(of: 0)
        #expect(mounts.mountinfo.count == 3)
        let session = AgentSession(context: realContext(mounts))
        // Listed only by its second mount, the device is not in the table.
        #expect(session.run(#"{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["\#(bind)"]}}"#) == #"{"return": 0}"#)
        #expect(session.run(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 2}"#)
        let writer = try Writer(into: bind)
        #expect(writer.isBlocked())
        #expect(session.run(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 2}"#)
        #expect(writer.finishes())

        func paths(_ reply: String, _ key: String) -> [String] {
            let regex = try? NSRegularExpression(pattern: "\"\(key)\": \"([^\"]*)\"")
            let range = NSRange(reply.startIndex..., in: reply)
            return (regex?.matches(in: reply, range: range) ?? []).compactMap { match in
                Range(match.range(at: 1), in: reply).map { String(reply[$0]) }
            }
        }
        let newestFirst = Array(mounts.mountpoints.reversed())
        #expect(paths(session.run(#"{"execute":"guest-fstrim"}"#), "path") == newestFirst)
        #expect(paths(session.run(#"{"execute":"guest-get-fsinfo"}"#), "mountpoint") == newestFirst)
    }

    @Test("an agent restarted while frozen starts frozen and thaws on request")
    func restart() throws {
        let mounts = try LoopMounts(count: 2)
        defer { mounts.teardown() }
        let state = mounts.root.path + "/state"
        do {
            let first = AgentSession(context: realContext(mounts, stateDirectory: state))
            #expect(first.run(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 2}"#)
        }  // the first agent "dies" frozen
        let context = realContext(mounts, stateDirectory: state)
        #expect(FSFreeze.startupCheck(context: context))
        let session = AgentSession(context: context)
        #expect(session.run(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "frozen"}"#)
        #expect(session.run(#"{"execute":"guest-fstrim"}"#).contains("the agent is in frozen state"))
        let writer = try Writer(into: mounts.mountpoints[1])
        #expect(writer.isBlocked())
        #expect(session.run(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 2}"#)
        #expect(writer.finishes())
        #expect(!FileManager.default.fileExists(atPath: state + "/qga.state.isfrozen"))
    }

    @Test("SIGTERM while frozen: thawForShutdown thaws the filesystems and runs the thaw hook")
    func shutdownThaws() throws {
        let mounts = try LoopMounts(count: 1)
        defer { mounts.teardown() }
        let hookDir = TempDirectory()
        hookDir.writeExecutable("hook", "#!/bin/sh\necho \"$1\" >> \(hookDir.path)/calls\n")
        let context = realContext(mounts, freeze: FreezeState(hook: FreezeHook(path: hookDir.path + "/hook", timeout: 10), watchdogTimeout: 0))
        #expect(AgentSession(context: context).run(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 1}"#)
        let writer = try Writer(into: mounts.mountpoints[0])
        #expect(writer.isBlocked())
        #expect(FSFreeze.thawForShutdown(context: context) == 1)
        #expect(writer.finishes())
        #expect(hookDir.read("calls") == "freeze\nthaw\n")
    }

    @Test("the shipped hook with a .d script that writes into the filesystem: runs before freeze and after thaw")
    func shippedHookAroundRealFreeze() throws {
        let mounts = try LoopMounts(count: 1)
        defer { mounts.teardown() }
        let mnt = mounts.mountpoints[0]
        let hookDir = TempDirectory()
        // Would block (and time out the hook) if it ran while the filesystem is frozen.
        hookDir.writeExecutable("fsfreeze-hook.d/10-touch", "#!/bin/sh\necho \"$1\" >> \"\(mnt)/hook-$1\"\nsync\n")
        let repoHook = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("hooks/fsfreeze-hook").path
        var environment = ProcessInfo.processInfo.environment
        environment["FSFREEZE_HOOK_D"] = hookDir.path + "/fsfreeze-hook.d"
        environment["FSFREEZE_HOOK_LOG"] = hookDir.path + "/hook.log"
        let hook = FreezeHook(path: repoHook, timeout: 20, environment: environment.map { "\($0.key)=\($0.value)" })
        let session = AgentSession(context: realContext(mounts, freeze: FreezeState(hook: hook, watchdogTimeout: 0)))
        #expect(session.run(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 1}"#)
        #expect(session.run(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 1}"#)
        let names = try FileManager.default.contentsOfDirectory(atPath: mnt)
        #expect(names.contains("hook-freeze") && names.contains("hook-thaw"))
        #expect(hookDir.read("hook.log")?.contains("10-touch thaw: finished with status=0") == true)
    }

    @Test("a freeze hook that exits 3 or hangs refuses the freeze: nothing is frozen", arguments: ["exit 3", "sleep 600"])
    func hookRefuses(body: String) throws {
        let mounts = try LoopMounts(count: 1)
        defer { mounts.teardown() }
        let hookDir = TempDirectory()
        hookDir.writeExecutable("hook", "#!/bin/sh\n[ \"$1\" = freeze ] && \(body)\nexit 0\n")
        let context = realContext(mounts, freeze: FreezeState(hook: FreezeHook(path: hookDir.path + "/hook", timeout: 1), watchdogTimeout: 0))
        let reply = AgentSession(context: context).run(#"{"execute":"guest-fsfreeze-freeze"}"#)
        #expect(reply.contains(#""class": "GenericError""#))
        #expect(reply.contains(body == "exit 3" ? "exit status 3" : "timed out after 1 seconds"))
        #expect(context.freeze.isFrozen == false)
        #expect(try Writer(into: mounts.mountpoints[0]).finishes())
    }

    @Test("guest-fstrim on a loop-mounted ext4 reports bytes trimmed")
    func fstrim() throws {
        let mounts = try LoopMounts(count: 1)
        defer { mounts.teardown() }
        let reply = AgentSession(context: realContext(mounts)).run(#"{"execute":"guest-fstrim","arguments":{"minimum":0}}"#)
        #expect(reply.hasPrefix(#"{"return": {"paths": [{"path": "\#(mounts.mountpoints[0])", "trimmed": "#))
        #expect(reply.hasSuffix(#", "minimum": 0}]}}"#))
    }

    @Test("nothing is written to the log file while frozen; the held lines appear after thaw")
    func noWritesWhileFrozen() throws {
        let mounts = try LoopMounts(count: 1)
        defer { mounts.teardown() }
        let logDir = TempDirectory()
        let logPath = logDir.path + "/agent.log"
        let syslog = SyslogRecorder()
        let sink = AgentLogSink(destination: .file(logPath), syslog: syslog.send)
        let logger = AgentLogger(sink: sink, level: .debug)
        let context = realContext(mounts, freeze: FreezeState(watchdogTimeout: 0, logSink: sink), logger: logger)
        let session = AgentSession(context: context)
        #expect(session.run(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 1}"#)
        let before = try fileStat(logPath)

        for n in 1...50 { context.logger.info("frozen line \(n)") }
        _ = session.run(#"{"execute":"guest-fstrim"}"#)
        _ = session.run(#"{"execute":"guest-ping"}"#)  // audited, allowed while frozen
        _ = session.run(#"{"execute":"guest-fsfreeze-status"}"#)
        _ = session.run("{bad json}")  // the session logs bad input at debug
        usleep(50_000)
        let during = try fileStat(logPath)
        #expect(during.size == before.size)
        #expect(during.mtime == before.mtime)
        #expect(sink.heldLineCount >= 51)
        // Audit lines wait too: the syslog daemon may write to a frozen filesystem.
        #expect(syslog.messages == ["info: guest-fsfreeze called"])
        #expect(!(try String(contentsOfFile: logPath, encoding: .utf8)).contains("frozen line"))

        #expect(session.run(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 1}"#)
        let text = try String(contentsOfFile: logPath, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let first = try #require(lines.firstIndex { $0.hasSuffix(": info: frozen line 1") })
        let last = try #require(lines.firstIndex { $0.hasSuffix(": info: frozen line 50") })
        let reenabled = try #require(lines.firstIndex { $0.hasSuffix(": warning: logging re-enabled due to filesystem unfreeze") })
        let holding = try #require(lines.firstIndex { $0.hasSuffix(": debug: holding log output in memory due to filesystem freeze") })
        #expect(holding < first && first < last && last < reenabled)
        #expect(!text.contains("guest-fsfreeze called"))  // audit lines go to syslog only
        #expect(syslog.messages == ["info: guest-fsfreeze called", "info: guest-ping called", "info: guest-fsthaw called"])
        #expect(lines.contains { $0.contains(": debug: bad input:") })
    }

    private func fileStat(_ path: String) throws -> (size: Int64, mtime: Int) {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else { throw QGAError.system("stat", errno: errno) }
        return (Int64(info.st_size), info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec)
    }
}
