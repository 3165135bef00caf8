@testable import Commands
import Foundation
import QGAProtocol
import SystemCalls
import Testing

/// Only the files part of the seam: every read answers the bytes or the error the test sets,
/// which is how a read(2) failing after a successful open(2) is reached (a real file cannot be
/// made to do that on demand).
private final class ScriptedFiles: GuestFiles {
    var contents: [String: [UInt8]] = [:]
    var failures: [String: SystemCallError] = [:]

    func readFile(_ path: String) throws(SystemCallError) -> [UInt8] {
        if let failure = failures[path] { throw failure }
        guard let bytes = contents[path] else { throw SystemCallError(.open, path: path, errno: .noSuchFileOrDirectory) }
        return bytes
    }
    func writeFile(_ path: String, _ bytes: [UInt8], create: Bool) throws(SystemCallError) { contents[path] = bytes }
    func replaceFile(_ path: String, with bytes: [UInt8], permissions: UInt32) throws(SystemCallError) {
        contents[path] = bytes
    }
    func removeFile(_ path: String) throws(SystemCallError) { contents[path] = nil }
    func listDirectory(_ path: String) throws(SystemCallError) -> [String] { [] }
    func checkDirectory(_ path: String) throws(SystemCallError) {}
    func fileExists(_ path: String) -> Bool { contents[path] != nil }
    func isDirectory(_ path: String) -> Bool { false }
    func isExecutable(_ path: String) -> Bool { false }
    func resolvePath(_ path: String) throws(SystemCallError) -> String { path }
    func symbolicLinkTarget(_ path: String) -> String? { nil }
    func makeDirectory(_ path: String, permissions: UInt32) throws(SystemCallError) {}
    func openDirectoryNoFollow(_ path: String) throws(SystemCallError) -> OpenDirectory {
        OpenDirectory(descriptor: -1, path: path)
    }
    func closeDirectory(_ directory: OpenDirectory) {}
    func setOwner(of directory: OpenDirectory, uid: UInt32, gid: UInt32) throws(SystemCallError) {}
    func setPermissions(of directory: OpenDirectory, _ permissions: UInt32) throws(SystemCallError) {}
    func readFile(_ name: String, in directory: OpenDirectory) throws(SystemCallError) -> [UInt8] {
        try readFile(directory.path(of: name))
    }
    func replaceFile(
        _ name: String, in directory: OpenDirectory, with bytes: [UInt8], uid: UInt32, gid: UInt32,
        permissions: UInt32
    ) throws(SystemCallError) {
        contents[directory.path(of: name)] = bytes
    }
}

@Suite("errors through the seam") struct SeamErrorTests {
    /// The one mapping gives qemu-ga's (and glib's) texts, and keeps the errno.
    @Test(arguments: [
        (SystemCallError(.open, path: "/sys/x", errno: .noSuchFileOrDirectory), #"open("/sys/x"): No such file or directory"#),
        (SystemCallError(.read, errno: .ioError), "read: Input/output error"),
        (SystemCallError(.gethostname, errno: .nameTooLong), "cannot get hostname: File name too long"),
        (SystemCallError(.freeze, errno: .busy), "ioctl(FIFREEZE): Device or resource busy"),
        (SystemCallError(.nvmeStatus(0x4002), path: "/dev/nvme0n1", errno: .ioError),
         "ioctl(NVME_IOCTL_ADMIN_CMD): NVMe status 16386"),
        (SystemCallError(.createTemporary, path: "/h/.ssh/k.AB12CD", errno: Errno(EACCES)),
         "Failed to create file “/h/.ssh/k.AB12CD”: Permission denied"),
        (SystemCallError(.renameTemporary(to: "/h/k"), path: "/h/k.AB12CD", errno: Errno(EXDEV)),
         "Failed to rename file “/h/k.AB12CD” to “/h/k”: g_rename() failed: Invalid cross-device link"),
        (SystemCallError(.spawn, path: "/bin/nope", errno: .noSuchFileOrDirectory),
         "Failed to execute child process “/bin/nope” (No such file or directory)"),
    ])
    func wording(error: SystemCallError, desc: String) {
        let worded = QGAError(error)
        #expect(worded.desc == desc)
        #expect(worded.errorClass == .genericError)
        #expect(worded.errno == error.errno.rawValue)
    }

    /// qemu-ga's ga_read_sysfs_file words a failed open and a failed read apart; the seam's
    /// call says which one failed (no text is inspected).
    @Test func sysfsAttributeSaysWhichCallFailed() throws {
        let files = ScriptedFiles()
        files.failures["/m/state"] = SystemCallError(.open, path: "/m/state", errno: Errno(EACCES))
        files.failures["/m/removable"] = SystemCallError(.read, path: "/m/removable", errno: .ioError)
        #expect(throws: QGAError.system(#"open sysfs file "state""#, errno: EACCES)) {
            try MemorySysfs.readAttribute("/m/", "state", files)
        }
        #expect(throws: QGAError.system(#"pread sysfs file "removable""#, errno: EIO)) {
            try MemorySysfs.readAttribute("/m/", "removable", files)
        }
        // A missing attribute is absent for the optional reader and an error for the required one.
        #expect(try MemorySysfs.readAttributeIfPresent("/m/", "block_size_bytes", files) == nil)
        #expect(throws: QGAError.system(#"open sysfs file "block_size_bytes""#, errno: ENOENT)) {
            try MemorySysfs.readAttribute("/m/", "block_size_bytes", files)
        }
        files.contents["/m/online"] = Array("online\n".utf8)
        #expect(try MemorySysfs.readAttribute("/m/", "online", files) == Array("online\n".utf8))
    }

    /// glib's g_file_get_contents: `Failed to open file` or `Failed to read from file`.
    @Test func authorizedKeysReadSaysWhichCallFailed() throws {
        let files = ScriptedFiles()
        files.failures["/h/.ssh/authorized_keys"] = SystemCallError(
            .read, path: "/h/.ssh/authorized_keys", errno: .ioError)
        #expect(throws: QGAError.system(
            "failed to read '/h/.ssh/authorized_keys': Failed to read from file “/h/.ssh/authorized_keys”", errno: EIO)
        ) {
            try AuthorizedKeys.read(in: OpenDirectory(descriptor: -1, path: "/h/.ssh"), system: files)
        }
        files.failures = [:]
        #expect(throws: QGAError.system(
            "failed to read '/h/.ssh/authorized_keys': Failed to open file “/h/.ssh/authorized_keys”", errno: ENOENT)
        ) {
            try AuthorizedKeys.read(in: OpenDirectory(descriptor: -1, path: "/h/.ssh"), system: files)
        }
    }

    /// The real seam reports the call, the path and the errno.
    @Test func linuxSystemReportsCallPathAndErrno() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("seam-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/file"))
        let system = LinuxSystem()
        #expect(throws: SystemCallError(.open, path: root + "/missing", errno: .noSuchFileOrDirectory)) {
            try system.readFile(root + "/missing")
        }
        // open(2) of a directory succeeds; read(2) is what fails.
        #expect(throws: SystemCallError(.read, path: root, errno: Errno(EISDIR))) { try system.readFile(root) }
        #expect(throws: SystemCallError(.open, path: root + "/file", errno: Errno(ENOTDIR))) {
            try system.checkDirectory(root + "/file")
        }
        try system.checkDirectory(root)
        #expect(throws: SystemCallError(.mkdir, path: root + "/file", errno: Errno(EEXIST))) {
            try system.makeDirectory(root + "/file", permissions: 0o700)
        }
        do {
            try system.replaceFile(root + "/no/such/dir/k", with: [], permissions: 0o600)
            Issue.record("replaceFile into a missing directory succeeded")
        } catch {
            #expect(error.call == .createTemporary)
            #expect(error.path?.hasPrefix(root + "/no/such/dir/k.") == true)
            #expect(error.isNoSuchFile)
        }
    }

    /// The calls inside a user's directory: a link to a directory or a file in it is never
    /// followed (ELOOP), a file is no directory (ENOTDIR), each naming its path; the new file
    /// gets exactly the mode asked for (no umask: fchmod) and replaces a link, not its target.
    @Test func linuxSystemNeverFollowsALinkFromAnOpenDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("seam-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/file"))
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/d")
        try FileManager.default.createSymbolicLink(atPath: root + "/d/k", withDestinationPath: root + "/file")
        let system = LinuxSystem()
        #expect(throws: SystemCallError(.open, path: root + "/link", errno: Errno(ELOOP))) {
            try system.openDirectoryNoFollow(root + "/link")
        }
        #expect(throws: SystemCallError(.open, path: root + "/file", errno: Errno(ENOTDIR))) {
            try system.openDirectoryNoFollow(root + "/file")
        }
        let directory = try system.openDirectoryNoFollow(root + "/d")
        defer { system.closeDirectory(directory) }
        #expect(throws: SystemCallError(.open, path: root + "/d/k", errno: Errno(ELOOP))) {
            try system.readFile("k", in: directory)
        }
        try system.replaceFile("k", in: directory, with: Array("new".utf8), uid: getuid(), gid: getgid(), permissions: 0o640)
        #expect(try system.readFile("k", in: directory) == Array("new".utf8))
        #expect(try String(contentsOfFile: root + "/file", encoding: .utf8) == "x")
        let mode = try FileManager.default.attributesOfItem(atPath: root + "/d/k")[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/d") == ["k"])
    }
}
