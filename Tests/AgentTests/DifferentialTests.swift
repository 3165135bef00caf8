import Foundation
import Testing

/// The same bytes to each oracle (qemu-ga 7.2, 10.0.2 and 11.1.3) and to ours; the replies must match.
///
/// Deliberate differences are not in this list: ids are echoed exactly as sent (qemu-ga
/// reformats `1.50` as `1.5` and prints `inf` for `1e400`), one error for an over-deep input
/// (qemu-ga sends one per leftover bracket), and `guest-info`'s version and command list.
@Suite("Differential: qemu-ga-swift vs qemu-ga 7.2, 10.0.2 and 11.1.3", .serialized)
struct DifferentialTests {
    static let textInputs: [String] = [
        #"{"execute":"guest-ping"}"#, #"{"execute":"guest-ping","id":{"a":[1,"x",null,true,-2]}}"#,
        "{'execute':'guest-sync','arguments':{'id':-1}}", #"{"execute":"guest-foo","id":7}"#, #"{"id":5}"#, "[]",
        #""s""#, "42 ", "null ", #"{"execute":1}"#, #"{"execute":"guest-ping","arguments":null}"#,
        #"{"execute":"guest-ping","arguments":[]}"#, #"{"execute":"guest-ping","foo":1}"#, "{'exec-oob':'guest-ping'}",
        #"{"execute":"guest-ping","arguments":{"foo":42}}"#, #"{"execute":"guest-sync"}"#,
        #"{"execute":"guest-sync","arguments":{}}"#, #"{"execute":"guest-sync","arguments":{"id":1.5}}"#,
        #"{"execute":"guest-sync","arguments":{"id":"5"}}"#, #"{"execute":"guest-sync","arguments":{"id":true}}"#,
        #"{"execute":"guest-sync","arguments":{"id":null}}"#,
        #"{"execute":"guest-sync","arguments":{"id":9223372036854775808}}"#,
        #"{"execute":"guest-sync","arguments":{"id":-9223372036854775808}}"#, #"{"execute": bad}"#, #"{"a":%}"#,
        #"{"a":01}"#, "{\"tab\t\"}", "}", "]", ":", ",", #"{"a" 1}"#, #"{"a":[1 2]}"#, #"{"a":1 "b":2}"#, "{1:2}",
        #"{"a":1,}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{"a":true,"a":false}"#, #"["a",}"#, #"{"a":tru}"#,
        #"{"execute":"guest-ping","id":"\/\u00e9\"\\"}"#, #"{"execute":"guest-info","arguments":{"x":1}}"#,
        #"{'a':'it\'s'}"#, "{\"execute\":\"guest-ping\"}\n{\"execute\":\"guest-ping\"}\r\n",
    ]

    static let byteInputs: [[UInt8]] = [
        [0xFF] + Array(#"{"execute":"guest-sync-delimited","arguments":{"id":123}}"#.utf8),
        Array(#"{"execute":"guest-ping""#.utf8) + [0xFF] + Array(#"{"execute":"guest-ping"}"#.utf8),
        [0x04],
        Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8),
        Array(#"{"execute":"guest-ping","id":""#.utf8) + [0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0x7F] + Array(#""}"#.utf8),
    ]

    static let inputs: [[UInt8]] = textInputs.map { Array($0.utf8) } + byteInputs

    /// Sends each input followed by a marker sync, and collects the replies before the marker.
    static func transcript(_ agent: AgentProcess) throws -> [[UInt8]] {
        let client = try agent.connect()
        let marker = Array(#"{"return": 777}"#.utf8)
        var result: [[UInt8]] = []
        for input in inputs {
            client.send(input + Array(#"{"execute":"guest-sync","arguments":{"id":777}}"#.utf8))
            var replies: [UInt8] = []
            while true {
                guard let line = client.readLines(1, timeout: 5).first else {
                    throw AgentTestError("no marker after \(String(decoding: input, as: UTF8.self))")
                }
                if line == marker { break }
                replies += line + [0x0A]
            }
            result.append(replies)
        }
        return result
    }

    /// qemu-ga 11.x's parse errors in 10.x's words, which we keep for now (WireProtocol,
    /// "Parse errors of 11.x"): 11.0 put the line and column of the offending token in the
    /// stream before each (`1:84: JSON parse error, ...`; not before the limit errors) and
    /// renamed four texts. Checks that each parse error of 11.1.3 has that form.
    static func as10Words(_ replies: [UInt8], input: [UInt8]) -> [UInt8] {
        replies.split(separator: 0x0A).flatMap { line -> [UInt8] in
            // The 0xFF before guest-sync-delimited's reply is no UTF-8: such a line stays as it is.
            guard !line.contains(0xFF) else { return Array(line) + [0x0A] }
            var text = String(decoding: line, as: UTF8.self)
            guard let range = text.range(of: #""desc": "\d+:\d+: JSON parse error, "#, options: .regularExpression) else {
                #expect(!text.contains("JSON parse error"), "11.1.3 without a position: \(text)")
                return Array(line) + [0x0A]
            }
            text.replaceSubrange(range, with: #""desc": "JSON parse error, "#)
            // `{"a":1,}`: a key was due, so 11.x says so; 10.x said a value was.
            let key = input == Array(#"{"a":1,}"#.utf8) ? "expecting value" : "key is not a string in object"
            for (new, old) in [
                ("expecting ':'", "missing : in object pair"), ("expected ',' or '}'", "expected separator in dict"),
                ("expected ',' or ']'", "expected separator in list"), ("expecting key", key),
            ] {
                text = text.replacingOccurrences(of: "JSON parse error, \(new)\"", with: "JSON parse error, \(old)\"")
            }
            return Array(text.utf8) + [0x0A]
        }
    }

    @Test(arguments: Oracle.all)
    func sameRepliesForTheSameBytes(oracle: String) throws {
        try Oracle.require(oracle)
        let qemuGA = try AgentProcess(binary: oracle)
        let agent = try AgentProcess()
        let clock = ContinuousClock()
        let start = clock.now
        var theirs = try Self.transcript(qemuGA)
        let middle = clock.now
        let ours = try Self.transcript(agent)
        print("transcripts: qemu-ga \(middle - start), ours \(clock.now - middle)")
        #expect(theirs.count == Self.inputs.count)
        if Oracle.isV11(oracle) {
            theirs = zip(Self.inputs, theirs).map { input, replies in Self.as10Words(replies, input: input) }
        }
        for (index, input) in Self.inputs.enumerated() where index < theirs.count && index < ours.count {
            #expect(
                String(decoding: ours[index], as: UTF8.self) == String(decoding: theirs[index], as: UTF8.self),
                "input: \(String(decoding: input, as: UTF8.self))")
        }
    }

    @Test(arguments: Oracle.all)
    func guestInfoHasTheSameShape(oracle: String) throws {
        try Oracle.require(oracle)
        let qemuGA = try AgentProcess(binary: oracle)
        let agent = try AgentProcess()
        let theirs = try qemuGA.connect().call(#"{"execute":"guest-info"}"#)
        let ours = try agent.connect().call(#"{"execute":"guest-info"}"#)
        func shape(_ reply: [String: Any]) -> Set<String> {
            let result = reply["return"] as? [String: Any] ?? [:]
            let first = (result["supported_commands"] as? [[String: Any]])?.first ?? [:]
            return Set(result.keys).union(first.keys.map { "command." + $0 })
        }
        #expect(shape(ours) == shape(theirs))
        #expect(!shape(ours).isEmpty)

        // Every command the oracle lists, we list too, enabled alike and with the same
        // success-response. 10.0.2's list is ours exactly; 7.2 lacks newer ones (guest-get-load)
        // and lists the Windows-only guest-get-devices, disabled, which 10.x no longer builds
        // on Linux (a deliberate difference from 7.2).
        func commands(_ reply: [String: Any]) -> [String: [String: Bool]] {
            let list = (reply["return"] as? [String: Any])?["supported_commands"] as? [[String: Any]] ?? []
            var result: [String: [String: Bool]] = [:]
            for command in list {
                guard let name = command["name"] as? String else { continue }
                result[name] = [
                    "enabled": command["enabled"] as? Bool ?? false,
                    "success-response": command["success-response"] as? Bool ?? false,
                ]
            }
            return result
        }
        let ourCommands = commands(ours)
        let theirCommands = commands(theirs)
        #expect(theirCommands.count >= 40)
        for (name, flags) in theirCommands where !(Oracle.isV7(oracle) && name == "guest-get-devices") {
            #expect(ourCommands[name] == flags, "\(name): qemu-ga \(flags), ours \(ourCommands[name] ?? [:])")
        }
        if Oracle.isV7(oracle) {
            #expect(theirCommands["guest-get-devices"] == ["enabled": false, "success-response": true])
            #expect(ourCommands["guest-get-devices"] == nil)
        } else {
            #expect(Set(ourCommands.keys) == Set(theirCommands.keys))
        }
    }

    /// Requests whose answers depend on `-b`/`-a`.
    static let listRequests = [
        #"{"execute":"guest-ping","id":1}"#, #"{"execute":"guest-get-time","id":2}"#,
        #"{"execute":"guest-sync","arguments":{"id":3}}"#, #"{"execute":"guest-get-host-name","id":4}"#,
        #"{"execute":"guest-get-devices","id":5}"#,
    ]

    /// Each reply line, and `name` → enabled from guest-info.
    static func answers(_ agent: AgentProcess) throws -> (replies: [String], enabled: [String: Bool]) {
        let client = try agent.connect()
        let replies = listRequests.map { request -> String in
            client.send(request)
            return client.readLines(1).first.map { String(decoding: $0, as: UTF8.self) } ?? "no reply"
        }
        let info = try client.call(#"{"execute":"guest-info"}"#)
        var enabled: [String: Bool] = [:]
        for command in (info["return"] as? [String: Any])?["supported_commands"] as? [[String: Any]] ?? [] {
            if let name = command["name"] as? String { enabled[name] = command["enabled"] as? Bool }
        }
        return (replies, enabled)
    }

    @Test(arguments: Oracle.all)
    func sameBlockList(oracle: String) throws {
        try Oracle.require(oracle)
        let extra = ["-b", "guest-get-time,guest-sync,no-such-command"]
        var (theirs, theirEnabled) = try Self.answers(AgentProcess(binary: oracle, extra: extra))
        let (ours, ourEnabled) = try Self.answers(AgentProcess(extra: extra))
        if Oracle.isV7(oracle) {
            // 7.2 gives -b no reason (10.x: "the command is not allowed") and lists the
            // Windows-only guest-get-devices, disabled (10.x does not build it).
            #expect(theirs[4] == #"{"id": 5, "error": {"class": "CommandNotFound", "desc": "Command guest-get-devices has been disabled"}}"#)
            theirs[4] = #"{"id": 5, "error": {"class": "CommandNotFound", "desc": "The command guest-get-devices has not been found"}}"#
            theirs = theirs.map { $0.replacingOccurrences(of: #"has been disabled""#, with: #"has been disabled: the command is not allowed""#) }
            #expect(theirEnabled.removeValue(forKey: "guest-get-devices") == false)
            theirEnabled["guest-get-load"] = true  // newer than 7.2
            theirEnabled["guest-network-get-route"] = true
        }
        #expect(ours == theirs)
        #expect(ours[1] == #"{"id": 2, "error": {"class": "CommandNotFound", "desc": "Command guest-get-time has been disabled: the command is not allowed"}}"#)
        #expect(ourEnabled == theirEnabled)
        #expect(ourEnabled.filter { !$0.value }.keys.sorted() == ["guest-get-time", "guest-sync"])
    }

    /// `-a` is newer than 7.2 (8.1), so only 10.0.2 is asked.
    @Test func sameAllowListAs10() throws {
        try Oracle.require(Oracle.v10)
        let extra = ["-a", "guest-ping,guest-info,guest-get-host-name,guest-get-devices"]
        let (theirs, theirEnabled) = try Self.answers(AgentProcess(binary: Oracle.v10, extra: extra))
        let (ours, ourEnabled) = try Self.answers(AgentProcess(extra: extra))
        #expect(ours == theirs)
        #expect(ours[2] == #"{"error": {"class": "CommandNotFound", "desc": "Command guest-sync has been disabled: the command is not allowed"}}"#)
        #expect(ourEnabled == theirEnabled)
        #expect(ourEnabled.filter(\.value).keys.sorted() == ["guest-get-host-name", "guest-info", "guest-ping"])
    }

    /// Each agent starts frozen (`qga.state.isfrozen` left by a "previous instance"), with
    /// guest-ping and guest-get-time blocked. Nothing here touches a filesystem: no thaw is
    /// sent, our watchdog is off, and ours is stopped with SIGKILL (SIGTERM would thaw first).
    @Test(arguments: Oracle.all)
    func frozenAtStartWithABlockList(oracle: String) throws {
        try Oracle.require(oracle)
        let requests = [
            #"{"execute":"guest-ping","id":1}"#, #"{"execute":"guest-get-time","id":2}"#,
            #"{"execute":"guest-get-host-name","id":3}"#, #"{"execute":"guest-fsfreeze-status","id":4}"#,
        ]
        func answers(_ binary: String, _ extra: [String]) throws -> [String] {
            let state = TempDir()
            FileManager.default.createFile(atPath: state.file("qga.state.isfrozen"), contents: nil)
            let agent = try AgentProcess(binary: binary, extra: ["-t", state.path, "-b", "guest-ping,guest-get-time"] + extra)
            defer {
                kill(agent.process.processIdentifier, SIGKILL)
                agent.process.waitUntilExit()
            }
            let client = try agent.connect()
            return requests.map { request in
                client.send(request)
                return client.readLines(1).first.map { String(decoding: $0, as: UTF8.self) } ?? "no reply"
            }
        }
        func disabled(_ id: Int, _ name: String, _ reason: String?) -> String {
            #"{"id": \#(id), "error": {"class": "CommandNotFound", "desc": "Command \#(name) has been disabled\#(reason.map { ": " + $0 } ?? "")"}}"#
        }
        let frozen = #"{"return": "frozen", "id": 4}"#
        let theirs = try answers(oracle, [])
        if Oracle.isV7(oracle) {
            // 7.2: the block list first (no reason), then the frozen state.
            #expect(theirs == [
                disabled(1, "guest-ping", nil), disabled(2, "guest-get-time", nil),
                disabled(3, "guest-get-host-name", "the agent is in frozen state"), frozen,
            ])
        } else {
            // 10.0.2: one reason for everything, and the frozen allow list beats the block list.
            #expect(theirs == [
                #"{"return": {}, "id": 1}"#, disabled(2, "guest-get-time", "the command is not allowed"),
                disabled(3, "guest-get-host-name", "the command is not allowed"), frozen,
            ])
        }
        // Ours: 10.x's reason for the block list, which stays in force while frozen; 7.2's
        // reason for the frozen state.
        #expect(try answers(agentBinary, ["--fsfreeze-timeout", "0"]) == [
            disabled(1, "guest-ping", "the command is not allowed"), disabled(2, "guest-get-time", "the command is not allowed"),
            disabled(3, "guest-get-host-name", "the agent is in frozen state"), frozen,
        ])
    }

    /// A vCPU this machine does not have: every agent fails to open its sysfs directory before
    /// anything is written. 11.x words it with upstream's `error_setg_file_open`; we follow 11.x.
    @Test(arguments: Oracle.all)
    func unknownVCPUIsWordedAs11(oracle: String) throws {
        try Oracle.require(oracle)
        let directory = "/sys/devices/system/cpu/cpu999/"
        try #require(!FileManager.default.fileExists(atPath: directory), "this machine has a cpu999")
        let request = #"{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":999,"online":true}]}}"#
        let theirAgent = try AgentProcess(binary: oracle)
        let ourAgent = try AgentProcess()
        let theirs = try theirAgent.connect().call(request)
        let ours = try ourAgent.connect().call(request)
        let words11 = "Could not open '\(directory)': No such file or directory"
        #expect(theirs.errorDesc == (Oracle.isV11(oracle) ? words11 : "open(\"\(directory)\"): No such file or directory"))
        #expect(ours.errorDesc == words11)
        #expect(ours.errorClass == theirs.errorClass)
    }

    /// A missing fsfreeze hook fails the freeze before anything is looked at. The request names
    /// only a mountpoint that does not exist, so even a freeze that went on would freeze nothing.
    @Test(arguments: Oracle.all)
    func missingFreezeHook(oracle: String) throws {
        try Oracle.require(oracle)
        let hook = "/nonexistent/qga-test-hook"
        let request = #"{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["/nonexistent/qga-test-mount"]}}"#
        let theirAgent = try AgentProcess(binary: oracle, extra: ["-F" + hook])
        let ourAgent = try AgentProcess(extra: ["-F" + hook])
        let theirs = try theirAgent.connect().call(request)
        let ours = try ourAgent.connect().call(request)
        let exec = "child process has failed to execute fsfreeze hook: failed to exec '\(hook)': No such file or directory\n"
        // 7.2 checked access(X_OK) first; 10.x tries to run it.
        #expect(theirs.errorDesc == (Oracle.isV7(oracle) ? "can't access fsfreeze hook '\(hook)': No such file or directory" : exec))
        #expect(ours.errorDesc == exec)
        #expect(ours.errorClass == theirs.errorClass)
    }
}
