import Foundation
import Testing

/// The same bytes to Debian's qemu-ga and to ours; the replies must match.
///
/// Deliberate differences are not in this list: ids are echoed exactly as sent (qemu-ga
/// reformats `1.50` as `1.5` and prints `inf` for `1e400`), one error for an over-deep input
/// (qemu-ga sends one per leftover bracket), and `guest-info`'s version and command list.
@Suite("Differential: qemu-ga-swift vs Debian's qemu-ga", .serialized)
struct DifferentialTests {
    static let qemuGA = "/usr/sbin/qemu-ga"

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

    @Test func sameRepliesForTheSameBytes() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.qemuGA),
            "Debian's qemu-ga is the oracle: apt-get install qemu-guest-agent (make test does)")
        let qemuGA = try AgentProcess(binary: Self.qemuGA)
        let agent = try AgentProcess()
        let clock = ContinuousClock()
        let start = clock.now
        let theirs = try Self.transcript(qemuGA)
        let middle = clock.now
        let ours = try Self.transcript(agent)
        print("transcripts: qemu-ga \(middle - start), ours \(clock.now - middle)")
        #expect(theirs.count == Self.inputs.count)
        for (index, input) in Self.inputs.enumerated() where index < theirs.count && index < ours.count {
            #expect(
                String(decoding: ours[index], as: UTF8.self) == String(decoding: theirs[index], as: UTF8.self),
                "input: \(String(decoding: input, as: UTF8.self))")
        }
    }

    @Test func guestInfoHasTheSameShape() throws {
        let qemuGA = try AgentProcess(binary: Self.qemuGA)
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

        // Every command qemu-ga 7.2 lists, we list too, enabled alike and with the same
        // success-response (we add newer upstream ones such as guest-get-load).
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
        for (name, flags) in theirCommands {
            #expect(ourCommands[name] == flags, "\(name): qemu-ga \(flags), ours \(ourCommands[name] ?? [:])")
        }
    }
}
