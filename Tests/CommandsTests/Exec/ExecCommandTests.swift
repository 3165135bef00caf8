import Commands
import Foundation
import ProcessRunner
import Testing

/// guest-exec and guest-exec-status through AgentSession, running harmless real programs
/// (echo, cat, sh -c). Without the event loop, output moves on each guest-exec-status: these
/// tests exercise that path; the agent binary tests cover the loop.
@Suite struct ExecCommandTests {
    let harness: SysfsHarness

    init() throws { harness = try SysfsHarness() }

    /// Starts a child; nil (and the error recorded) when guest-exec failed.
    func exec(_ arguments: [String: Any]) -> Int? {
        let reply = harness.call("guest-exec", arguments)
        #expect(reply.errorDesc == nil, "guest-exec \(arguments): \(reply.errorDesc ?? "")")
        return reply.result["pid"] as? Int
    }

    /// Polls guest-exec-status until `exited` (at most 20 s: a condition, not a timing).
    func waitForExit(_ pid: Int) -> [String: Any] {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let reply = harness.call("guest-exec-status", ["pid": pid])
            if reply.result["exited"] as? Bool != false { return reply.object["return"] as? [String: Any] ?? reply.object }
            usleep(5_000)
        }
        return ["timeout": true]
    }

    func run(_ arguments: [String: Any]) throws -> [String: Any] {
        waitForExit(try #require(exec(arguments)))
    }

    /// test-qga.c /qga/guest-exec.
    @Test func echoWithCapture() throws {
        let status = try run(["path": "/bin/echo", "arg": ["-n", "\" test_str \""], "capture-output": true])
        #expect(status["exitcode"] as? Int == 0)
        #expect(unb64(status["out-data"]) == Array("\" test_str \"".utf8))
        #expect(status["out-truncated"] as? Bool == false)
        #expect(status["err-data"] == nil)
        #expect(status["signal"] == nil)
    }

    static let alternating = "echo stdout; sleep 0.05; echo stderr >&2; sleep 0.05; echo stdout; sleep 0.05; echo stderr >&2"

    /// test-qga.c /qga/guest-exec-separated.
    @Test(arguments: [true, "separated"] as [any Sendable])
    func separated(capture: any Sendable) throws {
        let status = try run(["path": "/bin/sh", "arg": ["-c", Self.alternating], "capture-output": capture])
        #expect(unb64(status["out-data"]) == Array("stdout\nstdout\n".utf8))
        #expect(unb64(status["err-data"]) == Array("stderr\nstderr\n".utf8))
        #expect(status["err-truncated"] as? Bool == false)
    }

    /// test-qga.c /qga/guest-exec-merged: one pipe, in the order written.
    @Test func merged() throws {
        let status = try run(["path": "/bin/sh", "arg": ["-c", Self.alternating], "capture-output": "merged"])
        #expect(unb64(status["out-data"]) == Array("stdout\nstderr\nstdout\nstderr\n".utf8))
        #expect(status["err-data"] == nil)
        #expect(harness.system.spawnRequests.last?.standardError == .standardOutput)
    }

    @Test(arguments: [
        ("stdout", "out\n", nil), ("stderr", nil, "err\n"), ("none", nil, nil),
    ] as [(String, String?, String?)])
    func captureOneStreamOrNone(mode: String, out: String?, err: String?) throws {
        let status = try run(["path": "/bin/sh", "arg": ["-c", "echo out; echo err >&2"], "capture-output": mode])
        #expect(status["exitcode"] as? Int == 0)
        #expect(unb64(status["out-data"]) == out.map { Array($0.utf8) })
        #expect(unb64(status["err-data"]) == err.map { Array($0.utf8) })
    }

    @Test func withoutCaptureNothingIsPiped() throws {
        let status = try run(["path": "/bin/sh", "arg": ["-c", "echo lost; exit 0"]])
        #expect(status["exitcode"] as? Int == 0)
        #expect(status["out-data"] == nil)
        let request = try #require(harness.system.spawnRequests.last)
        #expect([request.standardInput, request.standardOutput, request.standardError] == [.null, .null, .null])
    }

    @Test(arguments: [0, 1, 3, 42, 255])
    func exitCodes(code: Int) throws {
        let status = try run(["path": "/bin/sh", "arg": ["-c", "exit \(code)"], "capture-output": true])
        #expect(status["exited"] as? Bool == true)
        #expect(status["exitcode"] as? Int == code)
        #expect(status["signal"] == nil)
        // Empty captures are left out.
        #expect(status["out-data"] == nil && status["out-truncated"] == nil)
    }

    @Test(arguments: [SIGTERM, SIGKILL, SIGSEGV])
    func aChildThatKillsItself(signal: Int32) throws {
        let status = try run(["path": "/bin/sh", "arg": ["-c", "kill -\(signal) $$"], "capture-output": true])
        #expect(status["signal"] as? Int == Int(signal))
        #expect(status["exitcode"] == nil)
    }

    @Test func inputDataIsPipedToStandardInput() throws {
        let input = Array("piped\nthrough cat\n".utf8)
        let status = try run(["path": "/bin/cat", "input-data": b64(input), "capture-output": true])
        #expect(unb64(status["out-data"]) == input)
        #expect(harness.system.spawnRequests.last?.standardInput == .pipe)
    }

    @Test func withoutInputDataStandardInputIsDevNull() throws {
        let status = try run(["path": "/bin/cat", "capture-output": true])
        #expect(status["exitcode"] as? Int == 0)
        #expect(status["out-data"] == nil)
    }

    /// More than any pipe holds, both ways: moved a bite at a time, never blocking the agent.
    @Test func megabytesThroughCat() throws {
        let input = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
        let status = try run(["path": "cat", "input-data": b64(input), "capture-output": true])
        #expect(status["exitcode"] as? Int == 0)
        #expect(unb64(status["out-data"]) == input)
    }

    @Test func outputBeyond16MiBIsTruncated() throws {
        let limit = GuestProcesses.outputLimit
        let status = try run([
            "path": "/bin/sh", "arg": ["-c", "head -c \(limit + 1000) /dev/zero; echo small >&2"], "capture-output": true,
        ])
        #expect(status["exitcode"] as? Int == 0)
        #expect(unb64(status["out-data"])?.count == limit)
        #expect(status["out-truncated"] as? Bool == true)
        #expect(status["err-truncated"] as? Bool == false)
    }

    @Test func exactly16MiBIsNotTruncated() throws {
        let status = try run([
            "path": "/bin/sh", "arg": ["-c", "head -c \(GuestProcesses.outputLimit) /dev/zero"], "capture-output": true,
        ])
        #expect(unb64(status["out-data"])?.count == GuestProcesses.outputLimit)
        #expect(status["out-truncated"] as? Bool == false)
    }

    @Test func anExitedStatusIsAnsweredOnce() throws {
        let pid = try #require(exec(["path": "/bin/true"]))
        #expect(waitForExit(pid)["exited"] as? Bool == true)
        #expect(harness.call("guest-exec-status", ["pid": pid]).errorDesc == "PID \(pid) does not exist")
        #expect(harness.session.context.processes.count == 0)
    }

    @Test func aRunningChildIsNotExited() throws {
        let pid = try #require(exec(["path": "/bin/sh", "arg": ["-c", "read line"], "input-data": ""]))
        // Its input is closed at once (empty input-data): it ends by itself.
        #expect(waitForExit(pid)["exitcode"] as? Int == 1)

        let sleeper = try #require(exec(["path": "/bin/sleep", "arg": ["30"]]))
        defer { kill(Int32(sleeper), SIGKILL) }
        let status = harness.call("guest-exec-status", ["pid": sleeper]).result
        #expect(status["exited"] as? Bool == false)
        #expect(status.count == 1)
        kill(Int32(sleeper), SIGKILL)
        #expect(waitForExit(sleeper)["signal"] as? Int == Int(SIGKILL))
    }

    @Test(arguments: [0, -1, 99_999_999, Int(Int32.max) + 1])
    func unknownPid(pid: Int) {
        #expect(harness.call("guest-exec-status", ["pid": pid]).errorDesc == "PID \(pid) does not exist")
    }

    @Test(arguments: [
        ("/bin/invalid-cmd42", "No such file or directory"), ("invalid-cmd42", "No such file or directory"),
        ("/tmp", "Permission denied"), ("<root>/not-executable", "Permission denied"), ("", "No such file or directory"),
    ])
    func execFailuresUseGlibsText(path template: String, reason: String) {
        #expect(FileManager.default.createFile(atPath: harness.root + "/not-executable", contents: Data("echo\n".utf8)))
        let path = template.replacingOccurrences(of: "<root>", with: harness.root)
        #expect(harness.call("guest-exec", ["path": path]).errorDesc == "Failed to execute child process “\(path)” (\(reason))")
        #expect(harness.session.context.processes.count == 0)
    }

    @Test func environmentReplacesTheAgentsWhenGiven() throws {
        let status = try run(["path": "/usr/bin/env", "env": ["A=1", "B=two words"], "capture-output": true])
        #expect(unb64(status["out-data"]) == Array("A=1\nB=two words\n".utf8))
        let inherited = try run(["path": "/bin/sh", "arg": ["-c", "echo \"$HOME\""], "capture-output": true])
        #expect(unb64(inherited["out-data"]) == Array((ProcessInfo.processInfo.environment["HOME"]! + "\n").utf8))
    }

    @Test func bareNamesAreSearchedInThePathOfTheGivenEnvironment() throws {
        let bin = harness.root + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        writeExecutableScript(bin + "/qga-test-tool", "#!/bin/sh\necho mine \"$@\"\n")
        // A directory that is not there and one without the tool come first.
        let status = try run([
            "path": "qga-test-tool", "arg": ["x"], "env": ["PATH=/nonexistent:/usr/bin:\(bin)"], "capture-output": true,
        ])
        #expect(unb64(status["out-data"]) == Array("mine x\n".utf8))
        #expect(harness.call("guest-exec", ["path": "sh", "env": ["PATH=/nonexistent"]]).errorDesc
            == "Failed to execute child process “sh” (No such file or directory)")
    }

    @Test func aScriptWithoutAShebangRunsInTheShell() throws {
        let script = harness.root + "/plain-script"
        writeExecutableScript(script, "echo from sh \"$1\"\n")
        let status = try run(["path": script, "arg": ["arg1"], "capture-output": true])
        #expect(unb64(status["out-data"]) == Array("from sh arg1\n".utf8))
    }

    @Test func argv0IsThePathAsGiven() throws {
        let status = try run(["path": "sh", "arg": ["-c", "echo \"$0\""], "capture-output": true])
        #expect(unb64(status["out-data"]) == Array("sh\n".utf8))
    }

    @Test func argumentErrors() {
        #expect(harness.call("guest-exec", ["path": "/bin/true", "capture-output": 5]).errorDesc
            == "Invalid parameter type for 'capture-output', expected: GuestExecCaptureOutput")
        #expect(harness.call("guest-exec", ["path": "/bin/true", "capture-output": NSNull()]).errorDesc
            == "Invalid parameter type for 'capture-output', expected: GuestExecCaptureOutput")
        #expect(harness.call("guest-exec", ["path": "/bin/true", "capture-output": "all"]).errorDesc
            == "Parameter 'capture-output' does not accept value 'all'")
        #expect(harness.call("guest-exec", ["path": "/bin/true", "arg": "x"]).errorDesc
            == "Invalid parameter type for 'arg', expected: array")
        #expect(harness.call("guest-exec", ["path": "/bin/cat", "input-data": "!!"]).errorDesc
            == "Base64 data contains invalid characters")
        // Nothing was started for any of them.
        #expect(harness.system.spawnRequests.isEmpty)
    }
}
