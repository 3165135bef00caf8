import Commands
import Foundation
import Testing

/// The files the agent creates in its state directory are never written through a symlink
/// someone planted there: the file the symlink points to (one this test owns) stays as it
/// was, and the agent keeps working.
@Suite struct PlantedSymlinkTests {
    static let precious = "precious, not the agent's\n"

    func attributes(_ path: String) -> [FileAttributeKey: Any] {
        (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
    }

    func isSymlink(_ path: String) -> Bool { attributes(path)[.type] as? FileAttributeType == .typeSymbolicLink }

    @Test("qga.state: the counter replaces the symlink, the target is untouched")
    func handleCounter() throws {
        let harness = try SysfsHarness()
        let victim = harness.root + "/victim"
        try Self.precious.write(toFile: victim, atomically: false, encoding: .utf8)
        let state = harness.root + "/qga.state"
        try FileManager.default.createSymbolicLink(atPath: state, withDestinationPath: victim)

        let handle = harness.call("guest-file-open", ["path": harness.root + "/f", "mode": "w"]).value as? Int
        #expect(handle == 1000)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == Self.precious)
        #expect(!isSymlink(state))
        #expect(try String(contentsOfFile: state, encoding: .utf8) == "[global]\nfd_counter=1001\n")
    }

    @Test("qga.state.isfrozen: the marker replaces the symlink, the target is untouched", arguments: [true, false])
    func frozenMarker(targetExists: Bool) throws {
        let f = FreezeFixture()
        let victim = f.root.path + "/victim"
        if targetExists { try Self.precious.write(toFile: victim, atomically: false, encoding: .utf8) }
        try FileManager.default.createSymbolicLink(atPath: f.stateFile, withDestinationPath: victim)

        #expect(f.execute("guest-fsfreeze-freeze") == #"{"return": 3}"#)
        #expect(!isSymlink(f.stateFile))
        #expect(attributes(f.stateFile)[.type] as? FileAttributeType == .typeRegular)
        #expect(f.log.messages(at: .warning).isEmpty)
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 3}"#)
        #expect(!f.isFrozenOnDisk)
        #expect((try? String(contentsOfFile: victim, encoding: .utf8)) == (targetExists ? Self.precious : nil))
    }

    @Test("a stale marker from an earlier run is replaced, not appended to")
    func staleMarker() throws {
        let f = FreezeFixture()
        try "left over\n".write(toFile: f.stateFile, atomically: false, encoding: .utf8)
        // Not at startup: the agent thinks it is thawed, the host freezes.
        #expect(f.execute("guest-fsfreeze-freeze") == #"{"return": 3}"#)
        #expect(attributes(f.stateFile)[.size] as? Int == 0)
        #expect(f.execute("guest-fsfreeze-thaw") == #"{"return": 3}"#)
    }
}
