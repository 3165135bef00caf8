import Commands
import SystemCalls
import Foundation
import Testing

/// Declares the account `alice` to the harness's fake system, with a new, empty home in its
/// temp dir. As root the files really change owner (to 4242:4343); otherwise they stay ours.
func declareAlice(in harness: SysfsHarness) throws -> UserAccount {
    let home = harness.root + "/home/alice"
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    let uid: UInt32 = getuid() == 0 ? 4242 : getuid()
    let gid: UInt32 = getuid() == 0 ? 4343 : getgid()
    let account = UserAccount(home: home, uid: uid, gid: gid)
    harness.system.users["alice"] = account
    return account
}

/// guest-ssh-*-authorized-keys against a fake account whose home is a temp dir. A real
/// user's ~/.ssh is never looked up: RecordingSystem knows only the users a test declares.
@Suite struct SSHKeysTests {
    let harness: SysfsHarness
    let home: String
    let account: UserAccount

    init() throws {
        harness = try SysfsHarness()
        account = try declareAlice(in: harness)
        home = account.home
    }

    var keysPath: String { home + "/.ssh/authorized_keys" }

    func keysFile() -> String? { try? String(contentsOfFile: keysPath, encoding: .utf8) }

    func setKeysFile(_ content: String) throws {
        try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        try content.write(toFile: keysPath, atomically: false, encoding: .utf8)
    }

    func add(_ keys: [String], reset: Bool? = nil) -> SysfsHarness.Reply {
        var arguments: [String: Any] = ["username": "alice", "keys": keys]
        if let reset { arguments["reset"] = reset }
        return harness.call("guest-ssh-add-authorized-keys", arguments)
    }

    func remove(_ keys: [String]) -> SysfsHarness.Reply {
        harness.call("guest-ssh-remove-authorized-keys", ["username": "alice", "keys": keys])
    }

    func get() -> SysfsHarness.Reply { harness.call("guest-ssh-get-authorized-keys", ["username": "alice"]) }

    func stat(_ path: String) -> (mode: UInt32, uid: UInt32, gid: UInt32)? {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (UInt32(info.st_mode & 0o7777), info.st_uid, info.st_gid)
    }

    /// qemu's own unit test (commands-posix-ssh.c test_add_keys).
    @Test func addKeys() {
        #expect(add(["algo key2 comments"]).errorDesc == nil)
        #expect(keysFile() == "algo key2 comments")
        #expect(add(["algo key1 comments", "algo key2 comments"]).errorDesc == nil)
        // key2 came first, and is not duplicated; no newline is added at the end.
        #expect(keysFile() == "algo key2 comments\nalgo key1 comments")
    }

    /// test_add_reset_keys.
    @Test func addWithReset() {
        #expect(add(["algo key1 comments", "algo key2 comments"], reset: false).errorDesc == nil)
        #expect(keysFile() == "algo key1 comments\nalgo key2 comments")
        #expect(add(["algo key2 comments"], reset: true).errorDesc == nil)
        #expect(keysFile() == "algo key2 comments")
        #expect(add([], reset: true).errorDesc == nil)
        #expect(keysFile() == "")
    }

    @Test func addKeepsEverythingElseInTheFile() throws {
        try setKeysFile("# managed by hand\nssh-ed25519 AAAA old\n")
        #expect(add(["ssh-ed25519 BBBB new", "ssh-ed25519 BBBB new"]).errorDesc == nil)
        // The final newline splits off an empty line, which stays where it was.
        #expect(keysFile() == "# managed by hand\nssh-ed25519 AAAA old\n\nssh-ed25519 BBBB new")
    }

    /// test_remove_keys.
    @Test func removeKeys() throws {
        let original = "algo key1 comments\nalgo key1 comments\n# a commented line\nalgo some-key another\n"
        try setKeysFile(original)
        #expect(remove(["algo key2 comments"]).errorDesc == nil)
        #expect(keysFile() == original)
        #expect(remove(["algo key1 comments", "algo key2 comments"]).errorDesc == nil)
        #expect(keysFile() == "# a commented line\nalgo some-key another\n")
    }

    @Test func removeWithoutAFileIsNotAnError() {
        #expect(remove(["algo key comments"]).errorDesc == nil)
        #expect(!FileManager.default.fileExists(atPath: home + "/.ssh"))
    }

    /// test_get_keys, plus the order qemu-ga returns (it prepends each key) and its stripping.
    @Test func getKeys() throws {
        try setKeysFile("algo key1 comments\n# a commented line\n\n  algo some-key another \t\r\n   # indented comment\nalgo key3")
        let keys = get().result["keys"] as? [String]
        #expect(keys == ["algo key3", "algo some-key another", "algo key1 comments"])
    }

    @Test func getOfAnEmptyFileIsAnEmptyList() throws {
        try setKeysFile("")
        #expect(get().result["keys"] as? [String] == [])
    }

    @Test func getWithoutAFileReportsGlibsOpenError() {
        #expect(get().errorDesc
            == "failed to read '\(keysPath)': Failed to open file “\(keysPath)”: No such file or directory")
    }

    @Test func theSSHDirectoryAndFileBelongToTheUser() throws {
        #expect(add(["ssh-ed25519 AAAA alice@host"]).errorDesc == nil)
        let directory = try #require(stat(home + "/.ssh"))
        #expect(directory.mode == 0o700)
        #expect(directory.uid == account.uid && directory.gid == account.gid)
        let file = try #require(stat(keysPath))
        #expect(file.mode == 0o600)
        #expect(file.uid == account.uid && file.gid == account.gid)
        #expect(harness.system.ownerChanges.map(\.path) == [home + "/.ssh", keysPath])
    }

    @Test func anExistingSSHDirectoryIsLeftAsItIs() throws {
        try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        chmod(home + "/.ssh", 0o750)
        #expect(add(["ssh-ed25519 AAAA x"], reset: true).errorDesc == nil)
        #expect(stat(home + "/.ssh")?.mode == 0o750)
        #expect(harness.system.ownerChanges.map(\.path) == [keysPath])
    }

    /// The file is replaced, never written through a link a user planted.
    @Test func aSymlinkedKeysFileIsReplacedNotFollowed() throws {
        let victim = harness.root + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: keysPath, withDestinationPath: victim)
        #expect(add(["ssh-ed25519 AAAA x"], reset: true).errorDesc == nil)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try FileManager.default.attributesOfItem(atPath: keysPath)[.type] as? FileAttributeType == .typeRegular)
        #expect(keysFile() == "ssh-ed25519 AAAA x")
    }

    /// (Named cases: a raw newline in a test argument would garble the test log.)
    static let invalidKeys: [String: String] = [
        "comment": "#ssh-rsa AAAA", "two lines": "ssh-rsa AAAA\nssh-rsa BBBB", "CRLF": "ssh-rsa AAAA\r\n", "hash": "#",
    ]

    @Test(arguments: ["comment", "two lines", "CRLF", "hash"])
    func invalidKeysAreRefusedBeforeAnything(name: String) throws {
        let key = try #require(Self.invalidKeys[name])
        let expected = "invalid OpenSSH public key: '\(key)'"
        #expect(add(["ssh-rsa GOOD", key]).errorDesc == expected)
        #expect(remove([key]).errorDesc == expected)
        #expect(!FileManager.default.fileExists(atPath: home + "/.ssh"))
    }

    @Test func unknownUsers() {
        let expected = "failed to lookup user 'bob': No such file or directory"
        #expect(harness.call("guest-ssh-get-authorized-keys", ["username": "bob"]).errorDesc == expected)
        #expect(harness.call("guest-ssh-add-authorized-keys", ["username": "bob", "keys": []]).errorDesc == expected)
        #expect(harness.call("guest-ssh-remove-authorized-keys", ["username": "bob", "keys": []]).errorDesc == expected)
        // The key check comes first.
        #expect(harness.call("guest-ssh-add-authorized-keys", ["username": "bob", "keys": ["#"]]).errorDesc
            == "invalid OpenSSH public key: '#'")
    }

    @Test func aHomeThatIsNotThereFailsToCreateTheDirectory() {
        harness.system.users["ghost"] = UserAccount(home: harness.root + "/nonexistent", uid: 1, gid: 1)
        let path = harness.root + "/nonexistent/.ssh"
        #expect(harness.call("guest-ssh-add-authorized-keys", ["username": "ghost", "keys": ["k"]]).errorDesc
            == "failed to create directory '\(path)': No such file or directory")
    }

    /// qemu-ga's texts when the new file or directory cannot be given to the user: its
    /// ownership text says "directory" for the keys file too; its permissions text does not.
    @Test(arguments: [
        ("file owner", "/.ssh/authorized_keys", true, "failed to set ownership of directory '%@': Operation not permitted"),
        ("file mode", "/.ssh/authorized_keys", false, "failed to set permissions of '%@': Operation not permitted"),
        ("directory owner", "/.ssh", true, "failed to set ownership of directory '%@': Operation not permitted"),
        ("directory mode", "/.ssh", false, "failed to set permissions of directory '%@': Operation not permitted"),
    ])
    func ownershipAndPermissionFailures(name: String, suffix: String, owner: Bool, template: String) {
        let path = home + suffix
        if owner {
            harness.system.ownerErrors[path] = Errno(EPERM)
        } else {
            harness.system.permissionErrors[path] = Errno(EPERM)
        }
        let expected = template.replacingOccurrences(of: "%@", with: path)
        #expect(add(["algo key1 comments"]).errorDesc == expected, "\(name)")
        // A failure on the directory stops before any key file is written.
        if suffix == "/.ssh" { #expect(keysFile() == nil) }
    }

    @Test func aHomeWithATrailingSlashIsJoinedOnce() throws {
        harness.system.users["alice"] = UserAccount(home: home + "/", uid: account.uid, gid: account.gid)
        #expect(add(["k1"]).errorDesc == nil)
        #expect(harness.system.ownerChanges.map(\.path) == [home + "/.ssh", keysPath])
    }
}
