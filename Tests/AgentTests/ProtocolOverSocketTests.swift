import Foundation
import Testing

/// test-qga.c's protocol cases, against the real binary over unix-listen.
@Suite("Agent binary over unix-listen (test-qga.c cases)", .serialized)
struct ProtocolOverSocketTests {
    @Test func syncDelimited() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let id = Int64.random(in: 1...Int64(Int32.max))
        client.send([0xFF] + Array(#"{'execute': 'guest-sync-delimited', 'arguments': {'id': \#(id)}}"#.utf8))
        // As test-qga: skip everything up to and including the 0xFF, then read the reply.
        let lines = client.readLines(2)
        #expect(lines.count == 2)
        #expect(lines.last?.first == 0xFF)
        let reply = try parseReply(lines.last ?? [])
        #expect((reply["return"] as? NSNumber)?.int64Value == id)
        #expect(agent.terminate() == 0)
    }

    @Test func syncPingIdAndInfo() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let sync = try client.call(#"{'execute': 'guest-sync', 'arguments': {'id': 1234567890123}}"#)
        #expect((sync["return"] as? NSNumber)?.int64Value == 1_234_567_890_123)
        let ping = try client.call(#"{'execute': 'guest-ping'}"#)
        #expect(ping["error"] == nil)
        #expect((ping["return"] as? [String: Any])?.isEmpty == true)
        let withID = try client.call(#"{'execute': 'guest-ping', 'id': 1}"#)
        #expect((withID["id"] as? NSNumber)?.intValue == 1)
        let info = try client.call(#"{'execute': 'guest-info'}"#)
        let result = info["return"] as? [String: Any]
        #expect(result?["version"] as? String == "11.1.3")
        let names = (result?["supported_commands"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("guest-sync-delimited") && names.contains("guest-ping"))
        #expect(agent.terminate() == 0)
    }

    @Test func invalidOobCmdAndArgs() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        let oob = try client.call(#"{'exec-oob': 'guest-ping'}"#)
        #expect(oob.errorClass == "GenericError")
        let cmd = try client.call(#"{'execute': 'guest-invalid-cmd'}"#)
        #expect(cmd.errorClass == "CommandNotFound")
        #expect(cmd.errorDesc == "The command guest-invalid-cmd has not been found")
        let args = try client.call(#"{'execute': 'guest-ping', 'arguments': {'foo': 42}}"#)
        #expect(args.errorDesc == "Parameter 'foo' is unexpected")
    }

    @Test func blockedRPCs() throws {
        let agent = try AgentProcess(extra: ["-b", "guest-ping,guest-sync"])
        let client = try agent.connect()
        for name in ["guest-ping", "guest-sync"] {
            let reply = try client.call(#"{"execute": "\#(name)", "arguments": {"id": 1}}"#)
            #expect(reply.errorClass == "CommandNotFound")
            #expect(reply.errorDesc == "Command \(name) has been disabled: the command is not allowed")
        }
        let info = try client.call(#"{"execute": "guest-info"}"#)
        let commands = (info["return"] as? [String: Any])?["supported_commands"] as? [[String: Any]] ?? []
        let ping = commands.first { $0["name"] as? String == "guest-ping" }
        #expect(ping?["enabled"] as? Bool == false)
    }

    @Test func allowedRPCs() throws {
        let agent = try AgentProcess(extra: ["-a", "guest-ping,guest-sync"])
        let client = try agent.connect()
        #expect(try client.call(#"{"execute": "guest-ping"}"#)["error"] == nil)
        let info = try client.call(#"{"execute": "guest-info"}"#)
        #expect(info.errorDesc == "Command guest-info has been disabled: the command is not allowed")
    }

    @Test func eachClientStartsWithACleanParser() throws {
        let agent = try AgentProcess()
        do {
            let first = try agent.connect()
            first.send(#"{"execute": "guest-ping""#)  // left unfinished
            _ = first.silent(for: 0.2)
        }
        let second = try agent.connect()
        #expect(try second.call(#"{"execute": "guest-ping"}"#)["return"] != nil)
    }

    @Test func clientLeavingWithRepliesUnreadDoesNotStopTheAgent() throws {
        let agent = try AgentProcess()
        do {
            let rude = try agent.connect()
            for _ in 0..<50 { rude.send(#"{"execute": "guest-info"}"#) }
        }  // closed without reading
        usleep(200_000)
        #expect(agent.process.isRunning)
        let next = try agent.connect()
        #expect(try next.call(#"{"execute": "guest-ping"}"#)["return"] != nil)
    }

    @Test func secondClientIsServedAfterTheFirstLeaves() throws {
        let agent = try AgentProcess()
        var first: AgentClient? = try agent.connect()
        #expect(try first?.call(#"{"execute": "guest-ping"}"#)["return"] != nil)
        let second = try agent.connect()
        second.send(#"{"execute": "guest-ping", "id": 2}"#)
        #expect(second.silent(for: 0.3))
        first = nil
        let reply = second.readLines(1).first.flatMap { try? parseReply($0) }
        #expect((reply?["id"] as? NSNumber)?.intValue == 2)
    }

    @Test func idsAreEchoedAsSentAndOutputStaysJSON() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        // qemu-ga 7.2 answers "inf" (not JSON) and a rounded double here.
        client.send(#"{"execute": "guest-ping", "id": 1e400}"#)
        #expect(client.readLines(1).first.map { String(decoding: $0, as: UTF8.self) } == #"{"return": {}, "id": 1e400}"#)
        client.send(#"{"execute": "guest-ping", "id": 123456789012345678901234567890}"#)
        #expect(client.readLines(1).first.map { String(decoding: $0, as: UTF8.self) }
            == #"{"return": {}, "id": 123456789012345678901234567890}"#)
        client.send(#"{"execute": "guest-sync", "arguments": {"id": -9223372036854775808}, "id": 18446744073709551615}"#)
        #expect(client.readLines(1).first.map { String(decoding: $0, as: UTF8.self) }
            == #"{"return": -9223372036854775808, "id": 18446744073709551615}"#)
    }

    @Test func deepInputAnswersOnceAndGoesOn() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        client.send(String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000))
        let lines = client.readLines(1)
        #expect(lines.count == 1)
        #expect(try parseReply(lines[0]).errorDesc == "JSON nesting depth limit exceeded")
        #expect(try client.call(#"{"execute": "guest-ping"}"#)["return"] != nil)
    }

    @Test func sigtermExitsZero() throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        client.send(#"{"execute": "guest-ping""#)  // mid-request
        #expect(agent.terminate() == 0)
    }
}
