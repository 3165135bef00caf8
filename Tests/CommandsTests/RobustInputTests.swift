import Commands
import Foundation
import QGAProtocol
import Testing

/// SplitMix64: a seeded generator, so every run feeds the same "random" input.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Garbage, truncated and mutated requests never crash the session, and a host can always
/// resynchronise afterwards with 0xFF + guest-sync-delimited.
@Suite("Robustness against bad input")
struct RobustInputTests {
    /// Commands that only read the fake tree: the fuzzer may call them with any arguments.
    /// An array, not a Set: a Set's order changes from run to run, so a failing round could
    /// not be replayed from the seed.
    static let readOnly: [String] = [
        "guest-ping", "guest-sync", "guest-sync-delimited", "guest-info", "guest-get-vcpus",
        "guest-get-memory-blocks", "guest-get-memory-block-info", "guest-fsfreeze-status",
        "guest-get-osinfo", "guest-get-host-name", "guest-get-timezone", "guest-get-time", "guest-get-load",
    ]

    static let fragments: [String] = [
        "{", "}", "[", "]", ":", ",", "\"", "'", "\\", "\"execute\"", "\"arguments\"", "\"id\"", "\"guest-ping\"",
        "\"guest-sync\"", "\"guest-get-vcpus\"", "\"guest-info\"", "\"vcpus\"", "\"logical-id\"", "true", "null", "-",
        "0", "1e400", "18446744073709551616", "-9223372036854775809", "1.5", "\"\\u00e9\"", "\"\\ud800\"", "\"\\x\"",
        "nul", " ", "\n", "\t", "%", "\u{7F}", "\"\u{1}\"", "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":",
    ]

    @Test func garbageNeverStopsTheAgent() throws {
        let harness = try SysfsHarness()
        try harness.file("devices/system/cpu/cpu0/topology/core_id", "0\n")
        try harness.file("devices/system/cpu/cpu1/online", "1\n")
        let registry = harness.session.context.registry
        registry.allowed = Set(Self.readOnly)
        var random = SeededGenerator(state: 0x51E_DA7A)
        for round in 0..<3000 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                switch Int.random(in: 0..<10, using: &random) {
                case 0:
                    input += (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                case 1:
                    let name = Self.readOnly.randomElement(using: &random) ?? "guest-ping"
                    let argument = Self.fragments.randomElement(using: &random) ?? "1"
                    input += Array(#"{"execute":"\#(name)","arguments":{"id":\#(argument),"vcpus":[{"logical-id":\#(argument)}]}}"#.utf8)
                default:
                    input += Array((Self.fragments.randomElement(using: &random) ?? "{").utf8)
                }
            }
            _ = harness.session.receive(input)
            let id = 1_000_000 + round
            let reply = harness.session.receive([0xFF] + Array(#"{"execute":"guest-sync-delimited","arguments":{"id":\#(id)}}"#.utf8))
            let expected: [UInt8] = [0xFF] + Array(#"{"return": \#(id)}"#.utf8) + [0x0A]
            guard reply.count >= expected.count, Array(reply.suffix(expected.count)) == expected else {
                Issue.record("round \(round): no resync after \(String(decoding: input, as: UTF8.self).debugDescription)")
                return
            }
        }
        // Nothing the fuzzer could reach ran a program.
        #expect(harness.system.invocations.isEmpty)
    }
}
