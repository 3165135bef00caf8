import Foundation
import Testing

/// QEMU's own functional test of the agent, `tests/unit/test-qga.c`: each of its cases (named
/// in the test's display name as `/qga/...`), with the same requests (single-quoted, as it
/// sends them) and the same checks, run against the shipped binary and each oracle. Where an
/// oracle predates what a case needs (7.2 has no `guest-get-load`, no `-a`, no
/// `capture-output` modes), the case checks that oracle's refusal instead.
@Suite("QEMU's tests/unit/test-qga.c, against our binary and qemu-ga 7.2, 10.0.2 and 11.1.3", .serialized)
struct UpstreamFunctionalTests {
    /// Our binary first, then the oracles.
    static var agents: [String] { [agentBinary] + Oracle.all }

    /// test-qga's `tests/data/test-qga-config`, byte for byte.
    static let testQGAConfig = """
        [general]
        daemon=false
        method=virtio-serial
        path=/path/to/org.qemu.guest_agent.0
        pidfile=/var/foo/qemu-ga.pid
        statedir=/var/state
        verbose=true
        block-rpcs=guest-ping;guest-get-time

        """

    /// test-qga's `tests/data/test-qga-os-release`, byte for byte.
    static let testQGAOSRelease = #"""
        ID=qemu-ga-test
        NAME=QEMU-GA
        PRETTY_NAME="QEMU Guest Agent test"
        VERSION="Test 1"
        VERSION_ID=1
        VARIANT="Unit test \"\'\$\`\\ and \\\\ etc."
        VARIANT_ID=unit-test

        """#

    /// An agent on `unix-listen` in a temp dir that is also its working directory (test-qga's
    /// fixture), and a connection to it.
    final class Fixture {
        let agent: AgentProcess
        let client: AgentClient

        init(_ binary: String, extra: [String] = [], environment: [String: String] = [:]) throws {
            if binary != agentBinary { try Oracle.require(binary) }
            agent = try AgentProcess(binary: binary, extra: extra, environment: environment, verbose: false)
            client = try agent.connect()
        }

        func call(_ request: String) throws -> [String: Any] { try client.call(request) }

        /// test-qga's `qmp_assert_no_error`, then the reply's `return`.
        func result(_ request: String) throws -> Any? {
            let reply = try call(request)
            #expect(reply["error"] == nil, "\(request): \(reply)")
            return reply["return"]
        }

        /// test-qga's teardown: SIGTERM, and the agent exits with status 0. Only ours is
        /// asked: the oracles can deadlock on SIGTERM (protocol.md §7), so they are killed.
        func tearDown() {
            let status = agent.terminate()
            if agent.binary == agentBinary { #expect(status == 0) }
        }
    }

    static func isOurs(_ binary: String) -> Bool { binary == agentBinary }

    /// A case of test-qga's shared fixture, on an agent of its own.
    static func alone(_ binary: String, _ testCase: (Fixture) throws -> Void) throws {
        let fixture = try Fixture(binary)
        try testCase(fixture)
        fixture.tearDown()
    }

    /// The cases test-qga's main() runs on its one shared fixture, in its order.
    static var sharedFixtureCases: [(name: String, run: (Fixture) throws -> Void)] {
        [
            ("/qga/sync-delimited", syncDelimitedCase), ("/qga/sync", syncCase), ("/qga/ping", pingCase),
            ("/qga/info", infoCase), ("/qga/network-get-interfaces", networkGetInterfacesCase),
            ("/qga/get-vcpus", getVCPUsCase), ("/qga/get-fsinfo", getFsinfoCase), ("/qga/get-load", getLoadCase),
            ("/qga/get-memory-block-info", getMemoryBlockInfoCase), ("/qga/get-memory-blocks", getMemoryBlocksCase),
            ("/qga/file-ops", fileOpsCase), ("/qga/file-write-read", fileWriteReadCase), ("/qga/get-time", getTimeCase),
            ("/qga/id", idCase), ("/qga/invalid-oob", invalidOOBCase), ("/qga/invalid-cmd", invalidCommandCase),
            ("/qga/invalid-args", invalidArgumentsCase), ("/qga/fsfreeze-status", fsfreezeStatusCase),
            ("/qga/guest-exec", guestExecCase), ("/qga/guest-exec-separated", { try captureModeCase($0, mode: "separated") }),
            ("/qga/guest-exec-merged", { try captureModeCase($0, mode: "merged") }),
            ("/qga/guest-exec-invalid", guestExecInvalidCase), ("/qga/guest-get-host-name", guestGetHostNameCase),
            ("/qga/guest-get-timezone", guestGetTimezoneCase), ("/qga/guest-get-users", guestGetUsersCase),
        ]
    }

    /// As test-qga runs them: every shared-fixture case in order on one agent and one
    /// connection (so what one case leaves, such as the error for sync-delimited's 0xFF or the
    /// file `foo`, is there for the next), then SIGTERM.
    @Test("test-qga's main(): the shared fixture's cases in order on one agent", arguments: agents)
    func sharedFixtureInOrder(_ binary: String) throws {
        let fixture = try Fixture(binary)
        for step in Self.sharedFixtureCases {
            do {
                try step.run(fixture)
            } catch {
                Issue.record("\(step.name): \(error)")
                throw error
            }
        }
        fixture.tearDown()
    }

    @Test("/qga/sync-delimited", arguments: agents)
    func syncDelimited(_ binary: String) throws { try Self.alone(binary, Self.syncDelimitedCase) }

    static func syncDelimitedCase(_ fixture: Fixture) throws {
        let id = UInt32.random(in: 1...UInt32.max)
        fixture.client.send([0xFF])
        fixture.client.send("{'execute': 'guest-sync-delimited', 'arguments': {'id': \(id) } }")
        // As test-qga: skip everything up to and including the agent's 0xFF, then read the reply.
        var line: [UInt8] = []
        while !line.contains(0xFF) {
            line = try #require(fixture.client.readLines(1).first, "no 0xFF from \(fixture.agent.binary)")
        }
        let reply = try parseReply(Array(line[(line.lastIndex(of: 0xFF)! + 1)...]))
        #expect(reply["error"] == nil)
        #expect(reply["return"] as? UInt32 == id)
    }

    @Test("/qga/sync", arguments: agents)
    func sync(_ binary: String) throws { try Self.alone(binary, Self.syncCase) }

    static func syncCase(_ fixture: Fixture) throws {
        let id = UInt32.random(in: 1...UInt32.max)
        #expect(try fixture.result("{'execute': 'guest-sync', 'arguments': {'id': \(id) } }") as? UInt32 == id)
    }

    @Test("/qga/ping", arguments: agents)
    func ping(_ binary: String) throws { try Self.alone(binary, Self.pingCase) }

    static func pingCase(_ fixture: Fixture) throws {
        #expect(try fixture.result("{'execute': 'guest-ping'}") != nil)
    }

    @Test("/qga/info: the version is the one -V prints", arguments: agents)
    func info(_ binary: String) throws { try Self.alone(binary, Self.infoCase) }

    static func infoCase(_ fixture: Fixture) throws {
        let info = try #require(try fixture.result("{'execute': 'guest-info'}") as? [String: Any])
        // test-qga compares with QEMU_VERSION, the version the binary was built as: for each
        // binary, the number `-V` prints after "QEMU Guest Agent".
        let banner = try runProcess(fixture.agent.binary, ["-V"]).stdout
        let version = banner.split(separator: "\n").first?.split(separator: " ").dropFirst(3).first.map(String.init)
        #expect(version != nil && info["version"] as? String == version, "\(banner)")
        if isOurs(fixture.agent.binary) { #expect(version == "11.1.3") }
    }

    @Test("/qga/network-get-interfaces", arguments: agents)
    func networkGetInterfaces(_ binary: String) throws { try Self.alone(binary, Self.networkGetInterfacesCase) }

    static func networkGetInterfacesCase(_ fixture: Fixture) throws {
        let interfaces = try #require(try fixture.result("{'execute': 'guest-network-get-interfaces'}") as? [[String: Any]])
        #expect(interfaces.first?["name"] != nil)
    }

    @Test("/qga/get-vcpus", arguments: agents)
    func getVCPUs(_ binary: String) throws { try Self.alone(binary, Self.getVCPUsCase) }

    static func getVCPUsCase(_ fixture: Fixture) throws {
        let vcpus = try #require(try fixture.result("{'execute': 'guest-get-vcpus'}") as? [[String: Any]])
        let first = try #require(vcpus.first)
        #expect(first["online"] != nil && first["logical-id"] != nil)
    }

    @Test("/qga/get-fsinfo", arguments: agents)
    func getFsinfo(_ binary: String) throws { try Self.alone(binary, Self.getFsinfoCase) }

    static func getFsinfoCase(_ fixture: Fixture) throws {
        let filesystems = try #require(try fixture.result("{'execute': 'guest-get-fsinfo'}") as? [[String: Any]])
        if let first = filesystems.first {
            for key in ["name", "mountpoint", "type", "disk"] { #expect(first[key] != nil, "\(key) in \(first)") }
        }
    }

    @Test("/qga/get-load (7.2 predates it)", arguments: agents)
    func getLoad(_ binary: String) throws { try Self.alone(binary, Self.getLoadCase) }

    static func getLoadCase(_ fixture: Fixture) throws {
        if Oracle.isV7(fixture.agent.binary) {
            #expect(try fixture.call("{'execute': 'guest-get-load'}").errorClass == "CommandNotFound")
        } else {
            let load = try #require(try fixture.result("{'execute': 'guest-get-load'}") as? [String: Any])
            for key in ["load1m", "load5m", "load15m"] { #expect(load[key] != nil, "\(key)") }
        }
    }

    @Test("/qga/get-memory-block-info", arguments: agents)
    func getMemoryBlockInfo(_ binary: String) throws { try Self.alone(binary, Self.getMemoryBlockInfoCase) }

    static func getMemoryBlockInfoCase(_ fixture: Fixture) throws {
        let reply = try fixture.call("{'execute': 'guest-get-memory-block-info'}")
        // Some systems do not expose memory blocks in sysfs; then only the error is checked.
        if reply["error"] == nil {
            #expect(((reply["return"] as? [String: Any])?["size"] as? Int ?? 0) > 0)
        } else {
            #expect(reply.errorClass == "GenericError")
        }
    }

    @Test("/qga/get-memory-blocks", arguments: agents)
    func getMemoryBlocks(_ binary: String) throws { try Self.alone(binary, Self.getMemoryBlocksCase) }

    static func getMemoryBlocksCase(_ fixture: Fixture) throws {
        let reply = try fixture.call("{'execute': 'guest-get-memory-blocks'}")
        if reply["error"] == nil, let first = (reply["return"] as? [[String: Any]])?.first {
            #expect(first["phys-index"] != nil && first["online"] != nil)
        }
    }

    /// test-qga's file content: "Hello World!\n" and its C string's NUL (`sizeof(helloworld)`).
    static let helloWorld = Array("Hello World!\n".utf8) + [0]

    @Test("/qga/file-ops", arguments: agents)
    func fileOps(_ binary: String) throws { try Self.alone(binary, Self.fileOpsCase) }

    static func fileOpsCase(_ fixture: Fixture) throws {
        let encoded = Data(Self.helloWorld).base64EncodedString()
        let handle = try #require(try fixture.result("{'execute': 'guest-file-open', 'arguments': { 'path': 'foo', 'mode': 'w+' } }") as? Int)
        let written = try #require(
            try fixture.result("{'execute': 'guest-file-write', 'arguments': { 'handle': \(handle), 'buf-b64': '\(encoded)' } }") as? [String: Any])
        #expect(written["count"] as? Int == Self.helloWorld.count && written["eof"] as? Bool == false)
        _ = try fixture.call("{'execute': 'guest-file-flush', 'arguments': {'handle': \(handle)} }")
        _ = try fixture.call("{'execute': 'guest-file-close', 'arguments': {'handle': \(handle)} }")
        // The file is `foo` in the agent's working directory.
        #expect(FileManager.default.contents(atPath: fixture.agent.dir.file("foo")) == Data(Self.helloWorld))

        let reading = try #require(try fixture.result("{'execute': 'guest-file-open', 'arguments': { 'path': 'foo', 'mode': 'r' } }") as? Int)
        let read = try #require(try fixture.result("{'execute': 'guest-file-read', 'arguments': { 'handle': \(reading)} }") as? [String: Any])
        #expect(read["count"] as? Int == Self.helloWorld.count && read["eof"] as? Bool == true)
        #expect(read["buf-b64"] as? String == encoded)
        let atEnd = try #require(try fixture.result("{'execute': 'guest-file-read', 'arguments': { 'handle': \(reading)} }") as? [String: Any])
        #expect(atEnd["count"] as? Int == 0 && atEnd["eof"] as? Bool == true && atEnd["buf-b64"] as? String == "")
        let seek = try #require(
            try fixture.result("{'execute': 'guest-file-seek', 'arguments': { 'handle': \(reading),  'offset': 6, 'whence': 'set' } }") as? [String: Any])
        #expect(seek["position"] as? Int == 6 && seek["eof"] as? Bool == false)
        let partial = try #require(try fixture.result("{'execute': 'guest-file-read', 'arguments': { 'handle': \(reading)} }") as? [String: Any])
        #expect(partial["count"] as? Int == Self.helloWorld.count - 6 && partial["eof"] as? Bool == true)
        let decoded = (partial["buf-b64"] as? String).flatMap { Data(base64Encoded: $0) }
        #expect(decoded == Data(Self.helloWorld.dropFirst(6)))
        _ = try fixture.call("{'execute': 'guest-file-close', 'arguments': {'handle': \(reading)} }")
    }

    @Test("/qga/file-write-read: a read right after the write sees the end of file", arguments: agents)
    func fileWriteRead(_ binary: String) throws { try Self.alone(binary, Self.fileWriteReadCase) }

    static func fileWriteReadCase(_ fixture: Fixture) throws {
        let encoded = Data(Self.helloWorld).base64EncodedString()
        let handle = try #require(try fixture.result("{'execute': 'guest-file-open', 'arguments': { 'path': 'foo', 'mode': 'w+' } }") as? Int)
        let written = try #require(
            try fixture.result("{'execute': 'guest-file-write', 'arguments': { 'handle': \(handle), 'buf-b64': '\(encoded)' } }") as? [String: Any])
        #expect(written["count"] as? Int == Self.helloWorld.count && written["eof"] as? Bool == false)
        let atEnd = try #require(try fixture.result("{'execute': 'guest-file-read', 'arguments': { 'handle': \(handle)} }") as? [String: Any])
        #expect(atEnd["count"] as? Int == 0 && atEnd["eof"] as? Bool == true && atEnd["buf-b64"] as? String == "")
        let seek = try #require(
            try fixture.result("{'execute': 'guest-file-seek', 'arguments': { 'handle': \(handle),  'offset': 0, 'whence': 'set' } }") as? [String: Any])
        #expect(seek["position"] as? Int == 0 && seek["eof"] as? Bool == false)
        let read = try #require(try fixture.result("{'execute': 'guest-file-read', 'arguments': { 'handle': \(handle)} }") as? [String: Any])
        #expect(read["count"] as? Int == Self.helloWorld.count && read["eof"] as? Bool == true)
        #expect(read["buf-b64"] as? String == encoded)
        _ = try fixture.call("{'execute': 'guest-file-close', 'arguments': {'handle': \(handle)} }")
    }

    @Test("/qga/get-time", arguments: agents)
    func getTime(_ binary: String) throws { try Self.alone(binary, Self.getTimeCase) }

    static func getTimeCase(_ fixture: Fixture) throws {
        #expect((try fixture.result("{'execute': 'guest-get-time'}") as? Int ?? 0) > 0)
    }

    @Test("/qga/id", arguments: agents)
    func id(_ binary: String) throws { try Self.alone(binary, Self.idCase) }

    static func idCase(_ fixture: Fixture) throws {
        let reply = try fixture.call("{'execute': 'guest-ping', 'id': 1}")
        #expect(reply["error"] == nil)
        #expect(reply["id"] as? Int == 1)
    }

    @Test("/qga/invalid-oob", arguments: agents)
    func invalidOOB(_ binary: String) throws { try Self.alone(binary, Self.invalidOOBCase) }

    static func invalidOOBCase(_ fixture: Fixture) throws {
        #expect(try fixture.call("{'exec-oob': 'guest-ping'}").errorClass == "GenericError")
    }

    @Test("/qga/invalid-cmd", arguments: agents)
    func invalidCommand(_ binary: String) throws { try Self.alone(binary, Self.invalidCommandCase) }

    static func invalidCommandCase(_ fixture: Fixture) throws {
        let reply = try fixture.call("{'execute': 'guest-invalid-cmd'}")
        #expect(reply.errorClass == "CommandNotFound")
        #expect(!(reply.errorDesc ?? "").isEmpty)
    }

    @Test("/qga/invalid-args", arguments: agents)
    func invalidArguments(_ binary: String) throws { try Self.alone(binary, Self.invalidArgumentsCase) }

    static func invalidArgumentsCase(_ fixture: Fixture) throws {
        let reply = try fixture.call("{'execute': 'guest-ping', 'arguments': {'foo': 42 }}")
        #expect(reply.errorClass == "GenericError")
        #expect(reply.errorDesc == "Parameter 'foo' is unexpected")
    }

    @Test("/qga/fsfreeze-status", arguments: agents)
    func fsfreezeStatus(_ binary: String) throws { try Self.alone(binary, Self.fsfreezeStatusCase) }

    static func fsfreezeStatusCase(_ fixture: Fixture) throws {
        #expect(try fixture.result("{'execute': 'guest-fsfreeze-status'}") as? String == "thawed")
    }

    @Test("/qga/blockedrpcs", arguments: agents)
    func blockedRPCs(_ binary: String) throws {
        let fixture = try Fixture(binary, extra: ["-b", "guest-ping,guest-get-time"])
        for command in ["guest-ping", "guest-get-time"] {
            let reply = try fixture.call("{'execute': '\(command)'}")
            #expect(reply.errorClass == "CommandNotFound")
            #expect(reply.errorDesc?.contains("has been disabled") == true, "\(reply)")
        }
        #expect(try fixture.result("{'execute': 'guest-get-fsinfo'}") != nil)
        fixture.tearDown()
    }

    @Test("/qga/allowedrpcs (7.2 predates -a)", arguments: agents)
    func allowedRPCs(_ binary: String) throws {
        if Oracle.isV7(binary) {
            let dir = TempDir()
            let refused = try runProcess(binary, ["-a", "guest-ping", "-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.path])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("invalid option -- 'a'"))
            return
        }
        let fixture = try Fixture(binary, extra: ["-a", "guest-ping,guest-get-time"])
        #expect(try fixture.result("{'execute': 'guest-ping'}") != nil)
        #expect(try fixture.result("{'execute': 'guest-get-time'}") != nil)
        let reply = try fixture.call("{'execute': 'guest-get-fsinfo'}")
        #expect(reply.errorClass == "CommandNotFound")
        #expect(reply.errorDesc?.contains("has been disabled") == true, "\(reply)")
        fixture.tearDown()
    }

    /// Reads `[general]` of a key file as test-qga does, with GLib's own key-file parser
    /// (`python3-gi`, GLib's introspection bindings): the start group, then each key with
    /// `g_key_file_get_boolean`, `_get_string` and `_get_string_list`, as JSON.
    static func readWithGLib(_ keyFile: String) throws -> [String: Any] {
        let dir = TempDir()
        try keyFile.write(toFile: dir.file("dump"), atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            import gi
            gi.require_version("GLib", "2.0")
            from gi.repository import GLib
            kf = GLib.KeyFile.new()
            data = open(sys.argv[1], "rb").read()
            kf.load_from_bytes(GLib.Bytes.new(data), GLib.KeyFileFlags.NONE)
            print(json.dumps({
                "start-group": kf.get_start_group(),
                "daemon": kf.get_boolean("general", "daemon"),
                "method": kf.get_string("general", "method"),
                "path": kf.get_string("general", "path"),
                "pidfile": kf.get_string("general", "pidfile"),
                "statedir": kf.get_string("general", "statedir"),
                "verbose": kf.get_boolean("general", "verbose"),
                "block-rpcs": kf.get_string_list("general", "block-rpcs"),
            }))
            """
        // Debian's python3 (python3-gi is installed for it), not one a PATH shim may select.
        let result = try runProcess("/usr/bin/python3", ["-c", script, dir.file("dump")])
        try #require(result.status == 0, "GLib could not read the dump (make test-deps installs python3-gi): \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test("/qga/config: the -D dump of test-qga-config, read back by GLib", arguments: agents)
    func config(_ binary: String) throws {
        if binary != agentBinary { try Oracle.require(binary) }
        let dir = TempDir()
        try Self.testQGAConfig.write(toFile: dir.file("test-qga-config"), atomically: true, encoding: .utf8)
        let dump = try runProcess(binary, ["-D"], environment: ["QGA_CONF": dir.file("test-qga-config")])
        #expect(dump.stderr == "")
        #expect(dump.status == 0)
        let keys = try Self.readWithGLib(dump.stdout)
        #expect(keys["start-group"] as? String == "general")
        #expect(keys["daemon"] as? Bool == false)
        #expect(keys["method"] as? String == "virtio-serial")
        #expect(keys["path"] as? String == "/path/to/org.qemu.guest_agent.0")
        #expect(keys["pidfile"] as? String == "/var/foo/qemu-ga.pid")
        #expect(keys["statedir"] as? String == "/var/state")
        #expect(keys["verbose"] as? Bool == true)
        let blocked = try #require(keys["block-rpcs"] as? [String], "\(dump.stdout)")
        #expect(blocked.count == 2 && blocked.contains("guest-ping") && blocked.contains("guest-get-time"), "\(dump.stdout)")
    }

    /// Polls guest-exec-status until `exited` (bounded at 5 s of tries, as test-qga's loop).
    static func waitForExit(_ fixture: Fixture, pid: Int) throws -> [String: Any] {
        var status: [String: Any] = [:]
        for _ in 0..<500 where status["exited"] as? Bool != true {
            status = try #require(try fixture.result("{'execute': 'guest-exec-status', 'arguments': { 'pid': \(pid) } }") as? [String: Any])
            if status["exited"] as? Bool != true { usleep(10_000) }
        }
        try #require(status["exited"] as? Bool == true)
        return status
    }

    static func decoded(_ value: Any?) -> String? {
        (value as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("/qga/guest-exec", arguments: agents)
    func guestExec(_ binary: String) throws { try Self.alone(binary, Self.guestExecCase) }

    static func guestExecCase(_ fixture: Fixture) throws {
        let started = try #require(
            try fixture.result(#"{'execute': 'guest-exec', 'arguments': { 'path': 'echo', 'arg': [ '-n', '" test_str "' ], 'capture-output': true } }"#)
                as? [String: Any])
        let pid = try #require(started["pid"] as? Int)
        #expect(pid > 0)
        let status = try waitForExit(fixture, pid: pid)
        #expect(status["exitcode"] as? Int == 0)
        #expect(decoded(status["out-data"]) == #"" test_str ""#)
    }

    static let alternatingOutput = "for i in $(seq 4); do if (( $i % 2 )); then echo stdout; else echo stderr 1>&2; fi; done;"

    @Test("/qga/guest-exec-separated and -merged (7.2 predates the modes)", arguments: agents, ["separated", "merged"])
    func guestExecCaptureModes(_ binary: String, mode: String) throws {
        try Self.alone(binary) { try Self.captureModeCase($0, mode: mode) }
    }

    static func captureModeCase(_ fixture: Fixture, mode: String) throws {
        let request = "{'execute': 'guest-exec', 'arguments': { 'path': 'bash', 'arg': [ '-c', '\(Self.alternatingOutput)' ], 'capture-output': '\(mode)' } }"
        if Oracle.isV7(fixture.agent.binary) {
            // 7.2's capture-output is a bool.
            #expect(try fixture.call(request).errorClass == "GenericError")
            return
        }
        let started = try #require(try fixture.result(request) as? [String: Any])
        let pid = try #require(started["pid"] as? Int)
        #expect(pid > 0)
        let status = try waitForExit(fixture, pid: pid)
        #expect(status["exitcode"] as? Int == 0)
        if mode == "separated" {
            #expect(decoded(status["out-data"]) == "stdout\nstdout\n")
            #expect(decoded(status["err-data"]) == "stderr\nstderr\n")
        } else {
            #expect(decoded(status["out-data"]) == "stdout\nstderr\nstdout\nstderr\n")
            #expect(status["err-data"] == nil)
        }
    }

    @Test("/qga/guest-exec-invalid", arguments: agents)
    func guestExecInvalid(_ binary: String) throws { try Self.alone(binary, Self.guestExecInvalidCase) }

    static func guestExecInvalidCase(_ fixture: Fixture) throws {
        let missing = try fixture.call("{'execute': 'guest-exec', 'arguments': { 'path': '/bin/invalid-cmd42' } }")
        #expect(missing.errorClass == "GenericError")
        #expect(!(missing.errorDesc ?? "").isEmpty)
        let badPID = try fixture.call("{'execute': 'guest-exec-status', 'arguments': { 'pid': 0 } }")
        #expect(badPID.errorClass == "GenericError")
        #expect(!(badPID.errorDesc ?? "").isEmpty)
    }

    @Test("/qga/guest-get-osinfo", arguments: agents)
    func guestGetOSInfo(_ binary: String) throws {
        let dir = TempDir()
        try Self.testQGAOSRelease.write(toFile: dir.file("test-qga-os-release"), atomically: true, encoding: .utf8)
        let fixture = try Fixture(binary, environment: ["QGA_OS_RELEASE": dir.file("test-qga-os-release")])
        let info = try #require(try fixture.result("{'execute': 'guest-get-osinfo'}") as? [String: Any])
        #expect(info["id"] as? String == "qemu-ga-test")
        #expect(info["name"] as? String == "QEMU-GA")
        #expect(info["pretty-name"] as? String == "QEMU Guest Agent test")
        #expect(info["version"] as? String == "Test 1")
        #expect(info["version-id"] as? String == "1")
        #expect(info["variant"] as? String == #"Unit test "'$`\ and \\ etc."#)
        #expect(info["variant-id"] as? String == "unit-test")
        fixture.tearDown()
    }

    @Test("/qga/guest-get-host-name", arguments: agents)
    func guestGetHostName(_ binary: String) throws { try Self.alone(binary, Self.guestGetHostNameCase) }

    static func guestGetHostNameCase(_ fixture: Fixture) throws {
        #expect((try fixture.result("{'execute': 'guest-get-host-name'}") as? [String: Any])?["host-name"] != nil)
    }

    @Test("/qga/guest-get-timezone", arguments: agents)
    func guestGetTimezone(_ binary: String) throws { try Self.alone(binary, Self.guestGetTimezoneCase) }

    static func guestGetTimezoneCase(_ fixture: Fixture) throws {
        #expect((try fixture.result("{'execute': 'guest-get-timezone'}") as? [String: Any])?["offset"] != nil)
    }

    @Test("/qga/guest-get-users", arguments: agents)
    func guestGetUsers(_ binary: String) throws { try Self.alone(binary, Self.guestGetUsersCase) }

    static func guestGetUsersCase(_ fixture: Fixture) throws {
        #expect(try fixture.result("{'execute': 'guest-get-users'}") as? [Any] != nil)
    }
}
