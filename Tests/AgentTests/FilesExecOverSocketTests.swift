import Foundation
import Testing

/// test-qga.c's file and exec cases, and the event loop moving guest-exec pipes, against the
/// real binary over unix-listen. Children are harmless (echo, cat, sh -c, head).
@Suite("Agent binary: guest-file-* and guest-exec", .serialized)
struct FilesExecOverSocketTests {
    static let hello = Array("Hello World!\n\0".utf8)

    /// test-qga.c /qga/file-ops (the file is `foo` in the agent's working directory).
    @Test func fileOps() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let open = try client.call(#"{'execute': 'guest-file-open', 'arguments': { 'path': 'foo', 'mode': 'w+' } }"#)
        let handle = try #require((open["return"] as? NSNumber)?.int64Value)
        #expect(handle == 1000)
        let b64 = Data(Self.hello).base64EncodedString()
        let write = try client.call(
            #"{'execute': 'guest-file-write', 'arguments': { 'handle': \#(handle), 'buf-b64': '\#(b64)' } }"#)
        #expect((write["return"] as? [String: Any])?["count"] as? Int == 14)
        #expect((write["return"] as? [String: Any])?["eof"] as? Bool == false)
        #expect(try client.call(#"{'execute': 'guest-file-flush', 'arguments': {'handle': \#(handle)} }"#)["error"] == nil)
        #expect(try client.call(#"{'execute': 'guest-file-close', 'arguments': {'handle': \#(handle)} }"#)["error"] == nil)
        #expect(FileManager.default.contents(atPath: agent.dir.file("foo")).map(Array.init) == Self.hello)
        #expect(try String(contentsOfFile: agent.dir.file("state/qga.state"), encoding: .utf8) == "[global]\nfd_counter=1001\n")

        let reopen = try client.call(#"{'execute': 'guest-file-open', 'arguments': { 'path': 'foo', 'mode': 'r' } }"#)
        let reader = try #require((reopen["return"] as? NSNumber)?.int64Value)
        #expect(reader == 1001)
        let read = try client.call(#"{'execute': 'guest-file-read', 'arguments': { 'handle': \#(reader)} }"#)
        let first = read["return"] as? [String: Any]
        #expect(first?["count"] as? Int == 14)
        #expect(first?["eof"] as? Bool == true)
        #expect(first?["buf-b64"] as? String == b64)
        let again = try client.call(#"{'execute': 'guest-file-read', 'arguments': { 'handle': \#(reader)} }"#)
        let second = again["return"] as? [String: Any]
        #expect(second?["count"] as? Int == 0)
        #expect(second?["eof"] as? Bool == true)
        #expect(second?["buf-b64"] as? String == "")
        let seek = try client.call(
            #"{'execute': 'guest-file-seek', 'arguments': { 'handle': \#(reader), 'offset': 6, 'whence': 'set' } }"#)
        #expect((seek["return"] as? [String: Any])?["position"] as? Int == 6)
        #expect((seek["return"] as? [String: Any])?["eof"] as? Bool == false)
        let tail = try client.call(#"{'execute': 'guest-file-read', 'arguments': { 'handle': \#(reader)} }"#)
        let rest = tail["return"] as? [String: Any]
        #expect(rest?["count"] as? Int == 8)
        #expect(rest?["eof"] as? Bool == true)
        #expect((rest?["buf-b64"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) == Array(Self.hello[6...]))
        #expect(agent.terminate() == 0)
    }

    /// test-qga.c /qga/file-write-read.
    @Test func fileWriteRead() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let open = try client.call(#"{'execute': 'guest-file-open', 'arguments': { 'path': 'foo', 'mode': 'w+' } }"#)
        let handle = try #require((open["return"] as? NSNumber)?.int64Value)
        let b64 = Data(Self.hello).base64EncodedString()
        let write = try client.call(
            #"{'execute': 'guest-file-write', 'arguments': { 'handle': \#(handle), 'buf-b64': '\#(b64)' } }"#)
        #expect((write["return"] as? [String: Any])?["count"] as? Int == 14)
        let read = try client.call(#"{'execute': 'guest-file-read', 'arguments': { 'handle': \#(handle)} }"#)
        #expect((read["return"] as? [String: Any])?["count"] as? Int == 0)
        #expect((read["return"] as? [String: Any])?["eof"] as? Bool == true)
        #expect((read["return"] as? [String: Any])?["buf-b64"] as? String == "")
        let seek = try client.call(
            #"{'execute': 'guest-file-seek', 'arguments': { 'handle': \#(handle), 'offset': 0, 'whence': 'set' } }"#)
        #expect((seek["return"] as? [String: Any])?["position"] as? Int == 0)
        let back = try client.call(#"{'execute': 'guest-file-read', 'arguments': { 'handle': \#(handle)} }"#)
        #expect((back["return"] as? [String: Any])?["count"] as? Int == 14)
        #expect((back["return"] as? [String: Any])?["eof"] as? Bool == true)
        #expect((back["return"] as? [String: Any])?["buf-b64"] as? String == b64)
    }

    /// Starts a child and returns its pid.
    func exec(_ client: AgentClient, _ arguments: [String: Any]) throws -> Int {
        let request = try JSONSerialization.data(withJSONObject: ["execute": "guest-exec", "arguments": arguments])
        let reply = try client.call(String(decoding: request, as: UTF8.self))
        #expect(reply.errorDesc == nil, "guest-exec: \(reply.errorDesc ?? "")")
        return try #require((reply["return"] as? [String: Any])?["pid"] as? Int)
    }

    /// Polls guest-exec-status until `exited` (a condition with a generous bound, as test-qga).
    func waitForExit(_ client: AgentClient, _ pid: Int) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let reply = try client.call(#"{"execute": "guest-exec-status", "arguments": {"pid": \#(pid)}}"#)
            let status = reply["return"] as? [String: Any] ?? [:]
            if status["exited"] as? Bool != false { return status }
            usleep(10_000)
        }
        throw AgentTestError("pid \(pid) did not exit")
    }

    func decoded(_ value: Any?) -> String? {
        (value as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    static let alternating = "echo stdout; sleep 0.05; echo stderr >&2; sleep 0.05; echo stdout; sleep 0.05; echo stderr >&2"

    /// test-qga.c /qga/guest-exec, -separated, -merged and -invalid.
    @Test func testQGAExecCases() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let echo = try waitForExit(
            client, try exec(client, ["path": "/bin/echo", "arg": ["-n", "\" test_str \""], "capture-output": true]))
        #expect(echo["exitcode"] as? Int == 0)
        #expect(decoded(echo["out-data"]) == "\" test_str \"")

        let separated = try waitForExit(
            client, try exec(client, ["path": "/bin/bash", "arg": ["-c", Self.alternating], "capture-output": "separated"]))
        #expect(decoded(separated["out-data"]) == "stdout\nstdout\n")
        #expect(decoded(separated["err-data"]) == "stderr\nstderr\n")

        let merged = try waitForExit(
            client, try exec(client, ["path": "/bin/bash", "arg": ["-c", Self.alternating], "capture-output": "merged"]))
        #expect(decoded(merged["out-data"]) == "stdout\nstderr\nstdout\nstderr\n")
        #expect(merged["err-data"] == nil)

        let invalid = try client.call(#"{"execute": "guest-exec", "arguments": {"path": "/bin/invalid-cmd42"}}"#)
        #expect(invalid.errorClass == "GenericError")
        #expect(invalid.errorDesc == "Failed to execute child process “/bin/invalid-cmd42” (No such file or directory)")
        let unknown = try client.call(#"{"execute": "guest-exec-status", "arguments": {"pid": 0}}"#)
        #expect(unknown.errorClass == "GenericError")
        #expect(unknown.errorDesc == "PID 0 does not exist")
        #expect(agent.terminate() == 0)
    }

    /// The agent keeps answering while a child runs: the child waits for a file the test
    /// creates only after the pings were answered, so no answer can have waited for it.
    @Test func serveWhileAChildRuns() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let go = agent.dir.file("go")
        let pid = try exec(client, ["path": "/bin/sh", "arg": ["-c", "while [ ! -e '\(go)' ]; do sleep 0.05; done; echo done"],
            "capture-output": true])
        for _ in 0..<5 {
            #expect(try client.call(#"{"execute": "guest-ping"}"#)["error"] == nil)
            let status = try client.call(#"{"execute": "guest-exec-status", "arguments": {"pid": \#(pid)}}"#)
            #expect((status["return"] as? [String: Any])?["exited"] as? Bool == false)
        }
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        let status = try waitForExit(client, pid)
        #expect(status["exitcode"] as? Int == 0)
        #expect(decoded(status["out-data"]) == "done\n")
    }

    /// A long child (`sleep 2`) and pings in the meantime.
    @Test func sleepTwoWhilePinging() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let pid = try exec(client, ["path": "/bin/sleep", "arg": ["2"]])
        for _ in 0..<3 { #expect(try client.call(#"{"execute": "guest-ping"}"#)["error"] == nil) }
        #expect(try waitForExit(client, pid)["exitcode"] as? Int == 0)
    }

    /// The state letter in /proc/<pid>/stat ("Z" once it exited and waits to be reaped).
    func processState(_ pid: Int) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").first.map(String.init)
    }

    /// True once the child ended: a zombie, or already reaped by the agent's loop.
    func waitUntilEnded(_ pid: Int) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let state = processState(pid)
            if state == nil || state == "Z" { return true }
            usleep(10_000)
        }
        return false
    }

    /// Megabytes each way with no guest-exec-status in between: only the event loop moving
    /// the pipes lets the child finish (otherwise it blocks on a full pipe for ever).
    @Test func theLoopMovesPipesWithoutStatusCalls() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let output = try exec(client, ["path": "/bin/sh", "arg": ["-c", "head -c 3000000 /dev/zero"], "capture-output": true])
        #expect(waitUntilEnded(output), "the child blocked: nobody drained its stdout")
        let status = try waitForExit(client, output)
        #expect((status["out-data"] as? String).flatMap { Data(base64Encoded: $0) }?.count == 3_000_000)

        let input = (0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let cat = try exec(client, ["path": "/bin/cat", "input-data": Data(input).base64EncodedString(), "capture-output": true])
        #expect(waitUntilEnded(cat), "cat blocked: its input or output did not move")
        let echoed = try waitForExit(client, cat)
        #expect((echoed["out-data"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) == input)
    }

    /// A child sees stdio only (not the agent's socket, signalfd, open guest files, nor a
    /// descriptor the agent itself inherited), no blocked signal, and SIGPIPE at its default
    /// although the agent blocks and ignores signals. Programs are run directly: a shell's own
    /// descriptors and masks would blur the picture.
    @Test func childrenStartClean() throws {
        // A descriptor the agent inherits without close-on-exec.
        // Closed exactly once, right after the agent inherited it: tests run in parallel, and a
        // second close could close a descriptor another test has since opened under that number
        // (a parallel test's pipe read failed with EBADF and crashed the test process).
        let leaked = Glibc.open("/dev/null", O_RDONLY)
        let agent: AgentProcess
        do { agent = try AgentProcess() } catch {
            close(leaked)
            throw error
        }
        close(leaked)
        let client = try agent.connect()
        _ = try client.call(#"{"execute": "guest-file-open", "arguments": {"path": "x", "mode": "w"}}"#)
        let fds = try waitForExit(client, try exec(client, ["path": "/bin/ls", "arg": ["/proc/self/fd"], "capture-output": true]))
        // 3 is the directory ls itself is reading.
        #expect(decoded(fds["out-data"]) == "0\n1\n2\n3\n")
        let signals = try waitForExit(client, try exec(client, ["path": "/bin/cat", "arg": ["/proc/self/status"], "capture-output": true]))
        let lines = (decoded(signals["out-data"]) ?? "").split(separator: "\n").map(String.init)
        #expect(lines.contains("SigBlk:\t0000000000000000"))
        let ignored = lines.first { $0.hasPrefix("SigIgn:") }.flatMap { UInt64($0.dropFirst(8), radix: 16) }
        #expect(ignored.map { $0 & (1 << (UInt64(SIGPIPE) - 1)) } == 0)
    }
}
