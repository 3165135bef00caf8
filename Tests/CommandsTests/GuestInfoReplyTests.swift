import Commands
import Foundation
import QGAProtocol
import Testing

/// guest-info is answered from a cache: it must still follow every change of enablement,
/// echo each request's id, and check its arguments.
@Suite("guest-info reply cache")
struct GuestInfoReplyTests {
    private func makeSession() -> (AgentSession, CommandRegistry) {
        let registry = CommandRegistry.standard()
        let context = CommandContext(system: RecordingSystem(), registry: registry)
        return (AgentSession(context: context), registry)
    }

    private func enabled(_ reply: [UInt8], _ name: String) throws -> Bool? {
        let object = try JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any]
        let commands = (object?["return"] as? [String: Any])?["supported_commands"] as? [[String: Any]] ?? []
        return commands.first { $0["name"] as? String == name }?["enabled"] as? Bool
    }

    @Test func followsBlockingAllowingAndFreezing() throws {
        let (session, registry) = makeSession()
        let request = Array(#"{"execute": "guest-info"}"#.utf8)
        #expect(try enabled(session.receive(request), "guest-get-vcpus") == true)
        registry.blocked = ["guest-get-vcpus"]
        #expect(try enabled(session.receive(request), "guest-get-vcpus") == false)
        registry.blocked = []
        #expect(try enabled(session.receive(request), "guest-get-vcpus") == true)
        registry.frozen = true
        #expect(try enabled(session.receive(request), "guest-get-vcpus") == false)
        #expect(try enabled(session.receive(request), "guest-fsfreeze-thaw") == true)
        registry.frozen = false
        registry.allowed = ["guest-info"]
        #expect(try enabled(session.receive(request), "guest-ping") == false)
    }

    @Test func sameBytesAsUncachedAndIDsEchoed() throws {
        let (session, registry) = makeSession()
        let first = session.receive(Array(#"{"execute": "guest-info"}"#.utf8))
        let second = session.receive(Array(#"{"execute": "guest-info", "arguments": {}}"#.utf8))
        #expect(first == second)
        // What the encoder produces without any cache.
        let info = try GuestInfo.run(NoArguments(), context: CommandContext(system: RecordingSystem(), registry: registry))
        var writer = JSONWriter()
        writer.writeSuccess(id: nil) { info.encode(to: &$0) }
        #expect(first == writer.bytes)

        let withID = session.receive(Array(#"{"execute": "guest-info", "id": "abc"}"#.utf8))
        #expect(withID == Array(first.dropLast(2)) + Array(#", "id": "abc"}"#.utf8) + [0x0A])
        let wrongArguments = session.receive(Array(#"{"execute": "guest-info", "arguments": {"x": 1}, "id": 2}"#.utf8))
        #expect(String(decoding: wrongArguments, as: UTF8.self)
            == #"{"id": 2, "error": {"class": "GenericError", "desc": "Parameter 'x' is unexpected"}}"# + "\n")
    }
}
