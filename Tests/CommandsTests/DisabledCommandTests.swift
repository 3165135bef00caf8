import Commands
import Foundation
import Testing

/// Which commands answer, and the reason a disabled one gives: qemu-ga 10.x's `-b`/`-a` rules
/// through the registry and a session (the binary's side is in ProtocolOverSocketTests).
@Suite("Disabled commands: -b, -a, the frozen state, other systems' commands")
struct DisabledCommandTests {
    static func disabled(_ name: String, _ reason: String) -> String {
        #"{"id": 1, "error": {"class": "CommandNotFound", "desc": "Command \#(name) has been disabled: \#(reason)"}}"# + "\n"
    }

    /// `name` → enabled, from guest-info.
    static func enabled(_ harness: SysfsHarness) throws -> [String: Bool] {
        let reply = harness.send(#"{"execute":"guest-info"}"#)
        let object = try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]
        let list = (object?["return"] as? [String: Any])?["supported_commands"] as? [[String: Any]] ?? []
        var result: [String: Bool] = [:]
        for command in list {
            if let name = command["name"] as? String { result[name] = command["enabled"] as? Bool }
        }
        return result
    }

    @Test("the Windows-only guest-get-devices is not built: not found, not listed")
    func windowsOnlyCommandIsNotFound() throws {
        let harness = try SysfsHarness()
        #expect(harness.send(#"{"execute":"guest-get-devices","id":1}"#)
            == #"{"id": 1, "error": {"class": "CommandNotFound", "desc": "The command guest-get-devices has not been found"}}"# + "\n")
        let listed = try Self.enabled(harness)
        #expect(listed["guest-get-devices"] == nil)
        #expect(listed["guest-ping"] == true)
        #expect(listed.count == harness.session.context.registry.entries.count)
    }

    @Test("-b: blocked commands say 'the command is not allowed'; the rest answer")
    func blocked() throws {
        let harness = try SysfsHarness()
        harness.session.context.registry.blocked = ["guest-get-time", "no-such-command"]
        #expect(harness.send(#"{"execute":"guest-get-time","id":1}"#) == Self.disabled("guest-get-time", "the command is not allowed"))
        #expect(harness.send(#"{"execute":"guest-ping","id":1}"#) == #"{"return": {}, "id": 1}"# + "\n")
        let listed = try Self.enabled(harness)
        #expect(listed["guest-get-time"] == false)
        #expect(listed.filter { !$0.value }.count == 1)
    }

    @Test("-a: commands left out say 'the command is not allowed', guest-sync included")
    func allowed() throws {
        let harness = try SysfsHarness()
        harness.session.context.registry.allowed = ["guest-ping", "guest-info"]
        #expect(harness.send(#"{"execute":"guest-ping","id":1}"#) == #"{"return": {}, "id": 1}"# + "\n")
        for name in ["guest-get-time", "guest-sync"] {
            #expect(harness.send(#"{"execute":"\#(name)","arguments":{"id":1},"id":1}"#) == Self.disabled(name, "the command is not allowed"))
        }
        let listed = try Self.enabled(harness)
        #expect(Set(listed.filter(\.value).keys) == ["guest-ping", "guest-info"])
    }

    @Test("-a and -b together: the block list wins")
    func blockListWins() throws {
        let harness = try SysfsHarness()
        harness.session.context.registry.allowed = ["guest-ping", "guest-info", "guest-get-time"]
        harness.session.context.registry.blocked = ["guest-get-time", "guest-ping"]
        for name in ["guest-get-time", "guest-ping", "guest-get-host-name"] {
            #expect(harness.send(#"{"execute":"\#(name)","id":1}"#) == Self.disabled(name, "the command is not allowed"))
        }
        #expect(Set(try Self.enabled(harness).filter(\.value).keys) == ["guest-info"])
    }

    @Test("frozen: the frozen state's own reason; a blocked command stays blocked, with the block reason")
    func frozen() throws {
        let harness = try SysfsHarness()
        let registry = harness.session.context.registry
        registry.blocked = ["guest-ping", "guest-get-time"]
        registry.frozen = true
        // guest-ping is on the frozen allow list, but the admin blocked it (10.x would answer it).
        #expect(harness.send(#"{"execute":"guest-ping","id":1}"#) == Self.disabled("guest-ping", "the command is not allowed"))
        #expect(harness.send(#"{"execute":"guest-get-time","id":1}"#) == Self.disabled("guest-get-time", "the command is not allowed"))
        #expect(harness.send(#"{"execute":"guest-get-host-name","id":1}"#)
            == Self.disabled("guest-get-host-name", "the agent is in frozen state"))
        #expect(harness.send(#"{"execute":"guest-fsfreeze-status","id":1}"#).hasPrefix(#"{"return": "#))
        registry.frozen = false
        #expect(harness.send(#"{"execute":"guest-get-host-name","id":1}"#).hasPrefix(#"{"return": "#))
        #expect(harness.send(#"{"execute":"guest-ping","id":1}"#) == Self.disabled("guest-ping", "the command is not allowed"))
    }
}
