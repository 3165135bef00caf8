import Foundation
import Testing

/// `qga` against our agent over unix-listen.
@Suite("qga client against qemu-ga-swift", .serialized)
struct ClientAgainstOurAgentTests {
    @Test func pingInfoAndJSON() throws {
        let agent = try AgentProcess()
        let ping = try runClient(["--socket", agent.socketPath, "ping"])
        #expect(ping.status == 0)
        #expect(ping.stdout == "The agent is alive.\n")
        #expect(ping.stderr.isEmpty)

        let pingJSON = try runClient(["--socket", agent.socketPath, "--json", "ping"])
        #expect(pingJSON.stdout == "{}\n")

        let info = try runClient(["--socket", agent.socketPath, "info"])
        #expect(info.status == 0)
        let lines = info.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "version: 11.1.3")
        #expect(lines.dropFirst().first?.hasPrefix("COMMAND") == true)
        let row = lines.first { $0.hasPrefix("guest-ping ") }
        #expect(row?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) == ["guest-ping", "yes", "yes"])

        let infoJSON = try runClient(["--socket", agent.socketPath, "--json", "info"])
        let object = try JSONSerialization.jsonObject(with: Data(infoJSON.stdout.utf8)) as? [String: Any]
        let names = (object?["supported_commands"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("guest-sync-delimited"))
        #expect(names.count == lines.count - 2)
        #expect(agent.terminate() == 0)
    }

    @Test func rawRequests() throws {
        let agent = try AgentProcess()
        let sync = try runClient(["--socket", agent.socketPath, "raw", #"{"execute": "guest-sync", "arguments": {"id": 4242}}"#])
        #expect(sync.status == 0)
        #expect(sync.stdout == "4242\n")
        // Single quotes, as qemu-ga's own lexer allows.
        let quoted = try runClient(["--socket", agent.socketPath, "raw", "{'execute': 'guest-sync', 'arguments': {'id': 7}}"])
        #expect(quoted.stdout == "7\n")

        let unknown = try runClient(["--socket", agent.socketPath, "raw", #"{"execute": "guest-no-such-thing"}"#])
        #expect(unknown.status == 1)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr == "qga: The command guest-no-such-thing has not been found\n")

        let badArgument = try runClient(["--socket", agent.socketPath, "raw", #"{"execute": "guest-sync", "arguments": {"id": "x"}}"#])
        #expect(badArgument.status == 1)
        #expect(badArgument.stderr == "qga: Invalid parameter type for 'id', expected: integer\n")
        #expect(agent.terminate() == 0)
    }

    @Test(arguments: [#"{"execute": "guest-ping""#, "[1, 2]", "42", #"{"a": 1} {"b": 2}"#, "{bad}"])
    func rawRejectsWhatIsNotOneObject(text: String) throws {
        // Checked before connecting: no agent is needed, and none is reached.
        let result = try runClient(["--socket", "/nonexistent/qga.sock", "raw", text])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Error:"))
        #expect(!result.stderr.contains("cannot connect"))
    }

    @Test func vcpusFromAFakeSysfs() throws {
        let sysfs = TempDir()
        let fm = FileManager.default
        for cpu in 0..<3 { try fm.createDirectory(atPath: sysfs.file("devices/system/cpu/cpu\(cpu)"), withIntermediateDirectories: true) }
        try "0\n".write(toFile: sysfs.file("devices/system/cpu/cpu1/online"), atomically: false, encoding: .utf8)
        try "1\n".write(toFile: sysfs.file("devices/system/cpu/cpu2/online"), atomically: false, encoding: .utf8)
        let agent = try AgentProcess(environment: ["QGA_SYSFS_ROOT": sysfs.path])

        let table = try runClient(["--socket", agent.socketPath, "vcpus"])
        #expect(table.status == 0)
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows == [["CPU", "ONLINE", "CAN-OFFLINE"], ["0", "yes", "no"], ["1", "no", "yes"], ["2", "yes", "yes"]])

        let json = try runClient(["--socket", agent.socketPath, "--json", "vcpus"])
        let list = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(list?.count == 3)
        #expect(list?.first?["logical-id"] as? Int == 0)
        #expect(agent.terminate() == 0)
    }

    @Test func errorReplyGoesToStderrWithStatus1() throws {
        // A blocked command is the agent's error, whatever the command: exit 1, its desc on stderr.
        let agent = try AgentProcess(extra: ["-b", "guest-get-vcpus,guest-info"])
        let vcpus = try runClient(["--socket", agent.socketPath, "vcpus"])
        #expect(vcpus.status == 1)
        #expect(vcpus.stdout.isEmpty)
        #expect(vcpus.stderr == "qga: Command guest-get-vcpus has been disabled: the command is not allowed\n")
        let raw = try runClient(["--socket", agent.socketPath, "raw", #"{"execute": "guest-get-vcpus"}"#])
        #expect(raw.status == 1)
        #expect(raw.stderr == "qga: Command guest-get-vcpus has been disabled: the command is not allowed\n")
        // exec asks guest-info first; its error is reported the same way.
        let exec = try runClient(["--socket", agent.socketPath, "exec", "--", "/bin/true"])
        #expect(exec.status == 1)
        #expect(exec.stderr == "qga: Command guest-info has been disabled: the command is not allowed\n")
        #expect(agent.terminate() == 0)
    }

    @Test func execRunsAProgramInTheGuest() throws {
        let agent = try AgentProcess()
        let echo = try runClient(["--socket", agent.socketPath, "exec", "--", "/bin/echo", "hi"])
        #expect(echo.status == 0)
        #expect(echo.stdout == "hi\n")
        let failing = try runClient(["--socket", agent.socketPath, "exec", "--", "/bin/sh", "-c", "echo oops >&2; exit 3"])
        #expect(failing.status == 3)
        #expect(failing.stderr == "oops\n")
        let cat = try runClient(["--socket", agent.socketPath, "exec", "--input", "to stdin", "--", "/bin/cat"])
        #expect(cat.stdout == "to stdin")
        #expect(agent.terminate() == 0)
    }

    @Test func execNeedsGuestExecEnabled() throws {
        let agent = try AgentProcess(extra: ["-b", "guest-exec"])
        let result = try runClient(["--socket", agent.socketPath, "exec", "--", "/bin/echo", "hi"])
        #expect(result.status == 1)
        #expect(result.stderr == "qga: guest-exec is disabled on the agent\n")
        #expect(agent.terminate() == 0)
    }

    @Test func noAgentIsStatus2() throws {
        let dir = TempDir()
        let result = try runClient(["--socket", dir.file("nothing.sock"), "ping"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("qga: \(dir.file("nothing.sock")): cannot connect to "))
        #expect(result.stderr.contains("No such file or directory"))

        let none = try runClient(["ping"])
        #expect(none.status == 64)
        #expect(none.stderr.contains("--socket PATH, --vsock CID:PORT or --serial DEVICE"))

        let two = try runClient(["--socket", "a", "--vsock", "3:4", "ping"])
        #expect(two.status == 64)
    }
}

/// `qga` against a scripted fake agent: the handshake with junk and stale replies, and the
/// commands that must never reach a real agent.
@Suite("qga client against a scripted fake agent", .serialized)
struct ClientAgainstFakeAgentTests {
    @Test func handshakeDiscardsJunkAndStaleReplies() throws {
        let fake = try FakeAgent { connection in
            // Junk and a stale reply before any 0xFF, then a stale delimited reply with
            // another id and a stale plain reply after it; only then the real sync reply.
            let stale = Array("garbage ]}\n{\"return\": \"stale-1\"}\n".utf8) + [0xFF]
                + Array("{\"return\": 999}\n{\"return\": \"stale-2\"}\n".utf8)
            try connection.answerSync(prefix: stale)
            let request = try connection.nextRequestObject()
            guard request["execute"] as? String == "guest-get-host-name" else { throw AgentTestError("got \(request)") }
            connection.send(#"{"return": {"host-name": "fresh"}}"# + "\n")
        }
        let result = try runClient(["--socket", fake.socketPath, "raw", #"{"execute": "guest-get-host-name"}"#])
        #expect(fake.finish())
        #expect(fake.failure == nil)
        #expect(result.status == 0)
        #expect(result.stdout == #"{"host-name": "fresh"}"# + "\n")
    }

    @Test func handshakeBytesAreFlushThenSyncDelimited() throws {
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            _ = try connection.nextRequest()
            connection.send("{\"return\": {}}\n")
        }
        let result = try runClient(["--socket", fake.socketPath, "ping"])
        #expect(fake.finish())
        #expect(result.status == 0)
        let sent = fake.received
        #expect(sent.first == 0xFF)
        let text = String(decoding: sent.dropFirst(), as: UTF8.self)
        let pattern = #"^\{"execute": "guest-sync-delimited", "arguments": \{"id": ([0-9]+)\}\}\{"execute": "guest-ping"\}$"#
        let match = text.range(of: pattern, options: .regularExpression)
        #expect(match != nil, "sent: \(text)")
    }

    @Test func twoHandshakesUseDifferentIDs() throws {
        var ids: [Int64] = []
        for _ in 0..<2 {
            let box = IDBox()
            let fake = try FakeAgent { connection in
                box.set(try connection.answerSync())
                _ = try connection.nextRequest()
                connection.send("{\"return\": {}}\n")
            }
            #expect(try runClient(["--socket", fake.socketPath, "ping"]).status == 0)
            #expect(fake.finish())
            ids.append(box.get())
        }
        #expect(ids[0] != ids[1])
    }

    @Test func silentAgentTimesOutWithStatus2() throws {
        let fake = try FakeAgent { connection in
            _ = try connection.nextRequest()  // reads the sync, never answers
            Thread.sleep(forTimeInterval: 2)
        }
        let result = try runClient(["--socket", fake.socketPath, "--timeout", "0.5", "ping"])
        #expect(fake.finish())
        #expect(result.status == 2)
        #expect(result.stderr.hasSuffix("no reply to guest-sync-delimited within 0.5 s\n"))
    }

    @Test func agentClosingBeforeTheReplyIsStatus2() throws {
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            _ = try connection.nextRequest()
            // closes without a reply
        }
        let result = try runClient(["--socket", fake.socketPath, "info"])
        #expect(fake.finish())
        #expect(result.status == 2)
        #expect(result.stderr.hasSuffix("the agent closed the connection before answering guest-info\n"))
    }

    @Test(arguments: [
        (["shutdown"], #"{"execute": "guest-shutdown", "arguments": {"mode": "powerdown"}}"#),
        (["shutdown", "--mode", "halt"], #"{"execute": "guest-shutdown", "arguments": {"mode": "halt"}}"#),
        (["shutdown", "--mode", "reboot"], #"{"execute": "guest-shutdown", "arguments": {"mode": "reboot"}}"#),
        (["suspend", "ram"], #"{"execute": "guest-suspend-ram"}"#),
        (["suspend", "disk"], #"{"execute": "guest-suspend-disk"}"#),
        (["suspend", "hybrid"], #"{"execute": "guest-suspend-hybrid"}"#),
        (["raw", #"{"execute": "guest-shutdown"}"#], #"{"execute": "guest-shutdown"}"#),
    ])
    func noReplyCommandSucceedsOnEOF(arguments: [String], expected: String) throws {
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            _ = try connection.nextRequest()
            _ = try connection.nextRequest()  // the guest-sync behind it
            // The guest goes down: the channel closes with no reply.
        }
        let result = try runClient(["--socket", fake.socketPath] + arguments)
        #expect(fake.finish())
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let text = String(decoding: fake.received.drop { $0 != 0xFF }.dropFirst(), as: UTF8.self)
        let afterSync = text.components(separatedBy: "}}").dropFirst().joined(separator: "}}")
        let pattern = "^" + NSRegularExpression.escapedPattern(for: expected)
            + #"\{"execute": "guest-sync", "arguments": \{"id": [0-9]+\}\}$"#
        #expect(afterSync.range(of: pattern, options: .regularExpression) != nil, "sent: \(text)")
    }

    @Test func noReplyCommandSucceedsOnTimeout() throws {
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            _ = try connection.nextRequest()
            _ = try connection.nextRequest()
            Thread.sleep(forTimeInterval: 2)  // neither a reply nor EOF until the client gave up
        }
        let result = try runClient(["--socket", fake.socketPath, "--timeout", "0.5", "shutdown"])
        #expect(fake.finish())
        #expect(result.status == 0)
        #expect(result.stdout == "Requested powerdown\n")
    }

    @Test func noReplyCommandSucceedsWhenTheSyncBehindItIsAnswered() throws {
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            _ = try connection.nextRequest()
            let sync = try connection.nextRequestObject()
            let id = ((sync["arguments"] as? [String: Any])?["id"] as? NSNumber)?.int64Value ?? -1
            connection.send("{\"return\": \(id)}\n")
        }
        let result = try runClient(["--socket", fake.socketPath, "--timeout", "30", "suspend", "ram"])
        #expect(fake.finish())
        #expect(result.status == 0)
        #expect(result.stdout == "Requested suspend to ram\n")
    }

    @Test func noReplyCommandReportsTheAgentsError() throws {
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            _ = try connection.nextRequest()
            _ = try connection.nextRequest()
            connection.send(#"{"error": {"class": "GenericError", "desc": "this feature or command is not currently supported"}}"# + "\n")
        }
        let result = try runClient(["--socket", fake.socketPath, "suspend", "disk"])
        #expect(fake.finish())
        #expect(result.status == 1)
        #expect(result.stderr == "qga: this feature or command is not currently supported\n")
    }

    @Test func fsfreezeCommands() throws {
        let freeze = try scripted(["fsfreeze", "freeze", "--mountpoint", "/mnt/a", "--mountpoint", "/mnt/b"], reply: "2")
        #expect(freeze.sent == #"{"execute": "guest-fsfreeze-freeze-list", "arguments": {"mountpoints": ["/mnt/a", "/mnt/b"]}}"#)
        #expect(freeze.result.stdout == "Froze 2 filesystem(s)\n")
        let all = try scripted(["fsfreeze", "freeze"], reply: "3")
        #expect(all.sent == #"{"execute": "guest-fsfreeze-freeze"}"#)
        #expect(all.result.stdout == "Froze 3 filesystem(s)\n")
        let thaw = try scripted(["fsfreeze", "thaw"], reply: "3")
        #expect(thaw.sent == #"{"execute": "guest-fsfreeze-thaw"}"#)
        #expect(thaw.result.stdout == "Thawed 3 filesystem(s)\n")
        let status = try scripted(["--json", "fsfreeze", "status"], reply: "\"frozen\"")
        #expect(status.sent == #"{"execute": "guest-fsfreeze-status"}"#)
        #expect(status.result.stdout == "\"frozen\"\n")
    }

    @Test func fstrimTable() throws {
        let trim = try scripted(
            ["fstrim", "--minimum", "4096"],
            reply: #"{"paths": [{"path": "/", "trimmed": 1048576, "minimum": 4096}, {"path": "/boot", "error": "Operation not supported"}]}"#)
        #expect(trim.sent == #"{"execute": "guest-fstrim", "arguments": {"minimum": 4096}}"#)
        let rows = trim.result.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first?.split(separator: " ").map(String.init) == ["PATH", "TRIMMED", "MINIMUM", "ERROR"])
        #expect(rows.dropFirst().first?.split(separator: " ").map(String.init) == ["/", "1048576", "4096", "-"])
        #expect(rows.last?.hasSuffix("Operation not supported") == true)
        // A path that failed makes the run fail.
        #expect(trim.result.status == 1)
    }

    @Test func setVCPUs() throws {
        let set = try scripted(["vcpus", "--online", "1,2", "--offline", "3"], reply: "3")
        #expect(set.sent
            == #"{"execute": "guest-set-vcpus", "arguments": {"vcpus": [{"logical-id": 1, "online": true}, {"logical-id": 2, "online": true}, {"logical-id": 3, "online": false}]}}"#)
        #expect(set.result.status == 0)
        #expect(set.result.stdout == "Changed 3 of 3 vCPU(s)\n")
        // The agent stops at the first it cannot change: partial success is a failure.
        let partial = try scripted(["vcpus", "--offline", "1,2"], reply: "1")
        #expect(partial.result.status == 1)
        #expect(partial.result.stderr == "qga: vCPU 2 could not be changed\n")
        let both = try runClient(["--socket", "/nonexistent", "vcpus", "--online", "1", "--offline", "1"])
        #expect(both.status == 64)
    }

    @Test func execRunsAndPollsUntilExit() throws {
        let box = RequestsBox()
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            box.append(try connection.nextRequestObject())
            connection.send(#"{"return": {"version": "x", "supported_commands": [{"name": "guest-exec", "enabled": true, "success-response": true}, {"name": "guest-exec-status", "enabled": true, "success-response": true}]}}"# + "\n")
            box.append(try connection.nextRequestObject())
            connection.send(#"{"return": {"pid": 321}}"# + "\n")
            box.append(try connection.nextRequestObject())
            connection.send(#"{"return": {"exited": false}}"# + "\n")
            box.append(try connection.nextRequestObject())
            // "out\n" and "err\n" in base64.
            connection.send(#"{"return": {"exited": true, "exitcode": 3, "out-data": "b3V0Cg==", "err-data": "ZXJyCg=="}}"# + "\n")
        }
        let result = try runClient(["--socket", fake.socketPath, "exec", "--input", "abc", "--", "/bin/sh", "-c", "exit 3"])
        #expect(fake.finish())
        #expect(fake.failure == nil)
        #expect(result.status == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        let requests = box.all
        #expect(requests.map { $0["execute"] as? String } == ["guest-info", "guest-exec", "guest-exec-status", "guest-exec-status"])
        let exec = requests.count > 1 ? requests[1]["arguments"] as? [String: Any] : nil
        #expect(exec?["path"] as? String == "/bin/sh")
        #expect(exec?["arg"] as? [String] == ["-c", "exit 3"])
        #expect(exec?["input-data"] as? String == "YWJj")
        #expect(exec?["capture-output"] as? Bool == true)
        #expect((requests.last?["arguments"] as? [String: Any])?["pid"] as? Int == 321)
    }

    /// Runs `qga ARGS` against a fake that answers the one command with `reply`.
    private func scripted(_ arguments: [String], reply: String) throws -> (sent: String, result: (status: Int32, stdout: String, stderr: String)) {
        let box = RequestsBox()
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            let request = try connection.nextRequest()
            box.appendRaw(String(decoding: request, as: UTF8.self))
            connection.send("{\"return\": \(reply)}\n")
        }
        let result = try runClient(["--socket", fake.socketPath] + arguments)
        #expect(fake.finish())
        #expect(fake.failure == nil)
        return (box.raw.first ?? "", result)
    }
}

/// `qga` against each oracle, qemu-ga 7.2 and 10.0.2: the commands that only read. 7.2 exits
/// when a client leaves with replies unread, so the agent still running afterwards also shows
/// that qga reads every reply.
@Suite("qga client against qemu-ga 7.2, 10.0.2 and 11.1.3", .serialized)
struct ClientAgainstQemuGaTests {
    @Test(arguments: Oracle.all)
    func pingInfoVcpusFsfreezeStatusAndExec(oracle: String) throws {
        try Oracle.require(oracle)
        let agent = try AgentProcess(binary: oracle)

        let ping = try runClient(["--socket", agent.socketPath, "ping"])
        #expect(ping.status == 0)
        #expect(ping.stdout == "The agent is alive.\n")

        let info = try runClient(["--socket", agent.socketPath, "--json", "info"])
        #expect(info.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any]
        let version = object?["version"] as? String ?? ""
        #expect(runProcessOutput(oracle, ["-V"]).contains(version) && !version.isEmpty)
        let names = (object?["supported_commands"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("guest-get-vcpus"))

        let vcpus = try runClient(["--socket", agent.socketPath, "vcpus"])
        #expect(vcpus.status == 0)
        let rows = vcpus.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first == ["CPU", "ONLINE", "CAN-OFFLINE"])
        let onlineCPUs = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        #expect(rows.dropFirst().filter { $0.count == 3 && $0[1] == "yes" }.count == onlineCPUs)
        let ids = rows.dropFirst().compactMap { Int($0[0]) }
        #expect(ids.count == rows.count - 1 && ids == ids.sorted())

        let status = try runClient(["--socket", agent.socketPath, "fsfreeze", "status"])
        #expect(status.status == 0)
        #expect(status.stdout == "thawed\n")

        let exec = try runClient(["--socket", agent.socketPath, "exec", "--", "/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(exec.status == 3)
        #expect(exec.stdout == "out\n")
        #expect(exec.stderr == "err\n")

        let unknown = try runClient(["--socket", agent.socketPath, "raw", #"{"execute": "guest-no-such-thing"}"#])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "qga: The command guest-no-such-thing has not been found\n")

        #expect(agent.process.isRunning)
        // SIGKILL: SIGTERM can deadlock 7.2 (it quits its main loop from the signal handler).
        kill(agent.process.processIdentifier, SIGKILL)
        agent.process.waitUntilExit()
    }
}

private func runProcessOutput(_ executable: String, _ arguments: [String]) -> String {
    guard let result = try? runProcess(executable, arguments) else { return "" }
    return result.stdout + result.stderr
}

private final class IDBox: @unchecked Sendable {
    private let lock = NSLock()
    private var id: Int64 = 0
    func set(_ value: Int64) { lock.lock(); id = value; lock.unlock() }
    func get() -> Int64 { lock.lock(); defer { lock.unlock() }; return id }
}
