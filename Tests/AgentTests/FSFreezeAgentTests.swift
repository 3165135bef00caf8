import Foundation
import Glibc
import Testing

/// fsfreeze through the real `qemu-ga-swift` binary on a unix socket, over loop-mounted ext4
/// filesystems the test created; the agent sees only those (QGA_PROCFS_ROOT).
@Suite("qemu-ga-swift binary: fsfreeze", .serialized)
struct FSFreezeAgentTests {
    @Test("freeze and thaw over the socket; only the allow-list answers while frozen; log untouched while frozen")
    func freezeThaw() throws {
        let scene = try FreezeScene(filesystems: 2)
        defer { scene.teardown() }
        let agent = try FreezeAgent(scene: scene, arguments: ["-v"])
        defer { _ = agent.stop() }
        #expect(agent.request(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 2}"#)
        #expect(FileManager.default.fileExists(atPath: scene.stateFile))
        let logBefore = scene.read("agent.log")
        let writer = try BlockedWriter(into: scene.mountpoints[1])
        #expect(writer.isBlocked())
        #expect(agent.request(#"{"execute":"guest-ping"}"#) == #"{"return": {}}"#)
        #expect(agent.request(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "frozen"}"#)
        #expect(
            agent.request(#"{"execute":"guest-fstrim"}"#)
                == #"{"error": {"class": "CommandNotFound", "desc": "Command guest-fstrim has been disabled: the agent is in frozen state"}}"#)
        #expect(scene.read("agent.log") == logBefore)
        #expect(agent.request(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 2}"#)
        #expect(writer.finishes())
        #expect(!FileManager.default.fileExists(atPath: scene.stateFile))
        #expect(agent.request(#"{"execute":"guest-fstrim"}"#).hasPrefix(#"{"return": {"paths": ["#))
        #expect(scene.read("agent.log").contains("logging re-enabled due to filesystem unfreeze"))
    }

    @Test("SIGTERM while frozen: the agent thaws, runs the thaw hook and exits 0")
    func sigtermThaws() throws {
        let scene = try FreezeScene(filesystems: 1)
        defer { scene.teardown() }
        let hook = scene.script("hook", "#!/bin/sh\necho \"$1\" >> \(scene.root)/hook.calls\n")
        let agent = try FreezeAgent(scene: scene, arguments: ["-F\(hook)"])
        #expect(agent.request(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 1}"#)
        let writer = try BlockedWriter(into: scene.mountpoints[0])
        #expect(writer.isBlocked())
        #expect(agent.stop(with: SIGTERM) == 0)
        #expect(writer.finishes())
        #expect(scene.read("hook.calls") == "freeze\nthaw\n")
        #expect(!FileManager.default.fileExists(atPath: scene.stateFile))
    }

    @Test("--fsfreeze-timeout 2: the watchdog thaws when no thaw comes, and logs why")
    func watchdog() throws {
        let scene = try FreezeScene(filesystems: 1)
        defer { scene.teardown() }
        let agent = try FreezeAgent(scene: scene, arguments: ["--fsfreeze-timeout", "2"])
        defer { _ = agent.stop() }
        #expect(agent.request(#"{"execute":"guest-fsfreeze-freeze"}"#) == #"{"return": 1}"#)
        let writer = try BlockedWriter(into: scene.mountpoints[0])
        #expect(writer.isBlocked())
        #expect(writer.finishes(within: 15))
        #expect(agent.request(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "thawed"}"#)
        #expect(scene.read("agent.log").contains("no guest-fsfreeze-thaw within 2 seconds of the freeze"))
    }

    @Test("started with the state file present: frozen, says so, thaws on request")
    func restartFrozen() throws {
        let scene = try FreezeScene(filesystems: 1)
        defer { scene.teardown() }
        FileManager.default.createFile(atPath: scene.stateFile, contents: nil)
        let agent = try FreezeAgent(scene: scene, arguments: ["-v"])
        defer { _ = agent.stop() }
        #expect(agent.request(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "frozen"}"#)
        #expect(agent.request(#"{"execute":"guest-fstrim"}"#).contains("the agent is in frozen state"))
        #expect(!FileManager.default.fileExists(atPath: scene.root + "/agent.log"))  // deferred
        #expect(agent.request(#"{"execute":"guest-fsfreeze-thaw"}"#) == #"{"return": 0}"#)
        #expect(agent.request(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "thawed"}"#)
        #expect(scene.read("agent.log").contains("previous instance appears to have exited with frozen filesystems"))
        #expect(!FileManager.default.fileExists(atPath: scene.stateFile))
    }

    @Test("--fsfreeze-hook-timeout 1 with a hanging hook: the freeze fails, nothing is frozen")
    func hookTimeout() throws {
        let scene = try FreezeScene(filesystems: 1)
        defer { scene.teardown() }
        let hook = scene.script("hook", "#!/bin/sh\n[ \"$1\" = freeze ] && sleep 600\nexit 0\n")
        let agent = try FreezeAgent(scene: scene, arguments: ["-F\(hook)", "--fsfreeze-hook-timeout", "1"])
        defer { _ = agent.stop() }
        #expect(
            agent.request(#"{"execute":"guest-fsfreeze-freeze"}"#)
                == #"{"error": {"class": "GenericError", "desc": "fsfreeze hook '\#(hook)' timed out after 1 seconds"}}"#)
        #expect(agent.request(#"{"execute":"guest-fsfreeze-status"}"#) == #"{"return": "thawed"}"#)
        #expect(try BlockedWriter(into: scene.mountpoints[0]).finishes())
    }
}
