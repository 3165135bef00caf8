import Commands
import Foundation
import Testing

/// guest-ssh-*-authorized-keys never go through a symbolic link the user planted in their own
/// home: not a `~/.ssh` pointing at another directory (root's, say), not an `authorized_keys`
/// pointing at another file. The planted links point at files this test owns, which must stay
/// byte for byte and mode for mode as they were.
@Suite struct SSHKeysSymlinkTests {
    let harness: SysfsHarness
    let home: String
    /// Outside the home: what a planted link points at.
    let elsewhere: String

    init() throws {
        harness = try SysfsHarness()
        home = try declareAlice(in: harness).home
        elsewhere = harness.root + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
    }

    static let theirKeys = "ssh-ed25519 ROOT root@host\n"

    var sshDirectory: String { home + "/.ssh" }
    var keysPath: String { sshDirectory + "/authorized_keys" }

    func call(_ command: String, _ keys: [String]? = nil, reset: Bool? = nil) -> String? {
        var arguments: [String: Any] = ["username": "alice"]
        if let keys { arguments["keys"] = keys }
        if let reset { arguments["reset"] = reset }
        return harness.call(command, arguments).errorDesc
    }

    /// Every command and its arguments; each must leave the link's target alone.
    static let commands: [(String, [String]?, Bool?)] = [
        ("guest-ssh-get-authorized-keys", nil, nil),
        ("guest-ssh-add-authorized-keys", ["ssh-ed25519 NEW alice@host"], nil),
        ("guest-ssh-add-authorized-keys", ["ssh-ed25519 NEW alice@host"], true),
        ("guest-ssh-remove-authorized-keys", ["ssh-ed25519 ROOT root@host"], nil),
    ]

    /// Content, mode, owner and inode of `path` itself (lstat).
    func snapshot(_ path: String) -> (content: Data?, mode: UInt32, uid: UInt32, inode: UInt64)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (FileManager.default.contents(atPath: path), UInt32(info.st_mode & 0o7777), info.st_uid, UInt64(info.st_ino))
    }

    func expectUnchanged(
        _ path: String, _ before: (content: Data?, mode: UInt32, uid: UInt32, inode: UInt64)?, _ comment: Comment
    ) {
        let after = snapshot(path)
        #expect(after?.content == before?.content, comment)
        #expect(after?.mode == before?.mode, comment)
        #expect(after?.uid == before?.uid, comment)
        #expect(after?.inode == before?.inode, comment)
    }

    @Test("~/.ssh a symlink to another directory: every command fails, the target is untouched")
    func symlinkedSSHDirectory() throws {
        try Self.theirKeys.write(toFile: elsewhere + "/authorized_keys", atomically: false, encoding: .utf8)
        chmod(elsewhere + "/authorized_keys", 0o640)
        try FileManager.default.createSymbolicLink(atPath: sshDirectory, withDestinationPath: elsewhere)
        let before = snapshot(elsewhere + "/authorized_keys")
        let directoryBefore = snapshot(elsewhere)
        for (command, keys, reset) in Self.commands {
            let comment: Comment = "\(command) reset: \(String(describing: reset))"
            #expect(call(command, keys, reset: reset)
                == "failed to open directory '\(sshDirectory)': Too many levels of symbolic links", comment)
            expectUnchanged(elsewhere + "/authorized_keys", before, comment)
            #expect(snapshot(elsewhere)?.mode == directoryBefore?.mode, comment)
            #expect(snapshot(elsewhere)?.uid == directoryBefore?.uid, comment)
            #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere) == ["authorized_keys"], comment)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: sshDirectory) == elsewhere, comment)
        }
        #expect(harness.system.ownerChanges.isEmpty)
    }

    @Test("~/.ssh a symlink to a directory without keys: nothing is created there")
    func symlinkedSSHDirectoryToAnEmptyDirectory() throws {
        try FileManager.default.createSymbolicLink(atPath: sshDirectory, withDestinationPath: elsewhere)
        for (command, keys, reset) in Self.commands {
            _ = call(command, keys, reset: reset)
            #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere) == [], "\(command)")
        }
    }

    @Test("~/.ssh a file: every command fails with ENOTDIR, the file is untouched")
    func sshIsNotADirectory() throws {
        try Self.theirKeys.write(toFile: sshDirectory, atomically: false, encoding: .utf8)
        let before = snapshot(sshDirectory)
        for (command, keys, reset) in Self.commands {
            let comment: Comment = "\(command) reset: \(String(describing: reset))"
            #expect(call(command, keys, reset: reset) == "failed to open directory '\(sshDirectory)': Not a directory",
                comment)
            expectUnchanged(sshDirectory, before, comment)
        }
    }

    /// `~/.ssh/authorized_keys` planted as a link to a keys file outside (mode 0640): the
    /// target's path.
    func plantKeysFileLink() throws -> String {
        let victim = elsewhere + "/authorized_keys"
        try Self.theirKeys.write(toFile: victim, atomically: false, encoding: .utf8)
        chmod(victim, 0o640)
        try FileManager.default.createDirectory(atPath: sshDirectory, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: keysPath, withDestinationPath: victim)
        return victim
    }

    @Test("authorized_keys a symlink to a file outside: get and remove refuse it, the target is untouched")
    func symlinkedKeysFileIsNotRead() throws {
        let victim = try plantKeysFileLink()
        let before = snapshot(victim)
        let refused = "failed to read '\(keysPath)': Failed to open file “\(keysPath)”: Too many levels of symbolic links"
        #expect(call("guest-ssh-get-authorized-keys") == refused)
        #expect(call("guest-ssh-remove-authorized-keys", ["ssh-ed25519 ROOT root@host"]) == refused)
        expectUnchanged(victim, before, "get and remove")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: keysPath) == victim)
    }

    @Test("authorized_keys a symlink: add replaces the link, never reads nor changes the target", arguments: [false, true])
    func symlinkedKeysFileIsReplaced(reset: Bool) throws {
        let victim = try plantKeysFileLink()
        let before = snapshot(victim)
        #expect(call("guest-ssh-add-authorized-keys", ["ssh-ed25519 NEW alice@host"], reset: reset) == nil)
        expectUnchanged(victim, before, "add")
        // The target's keys were not read into the new file either.
        #expect(try String(contentsOfFile: keysPath, encoding: .utf8) == "ssh-ed25519 NEW alice@host")
        let created = try #require(snapshot(keysPath))
        #expect(created.mode == 0o600)
        #expect(created.inode != before?.inode)
    }

    @Test("a failed replace leaves no temporary file behind")
    func aFailedRenameRemovesTheTemporaryFile() throws {
        // A directory where the file should be: the rename over it fails (EISDIR).
        try FileManager.default.createDirectory(atPath: keysPath, withIntermediateDirectories: true)
        let error = try #require(call("guest-ssh-add-authorized-keys", ["ssh-ed25519 NEW alice@host"]))
        #expect(error.hasPrefix("failed to write to '\(keysPath)': Failed to rename file “\(keysPath)."))
        #expect(error.hasSuffix("” to “\(keysPath)”: g_rename() failed: Is a directory"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: sshDirectory) == ["authorized_keys"])
    }
}
