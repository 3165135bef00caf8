import Commands
import Foundation
import SystemCalls
import Testing

/// guest-file-* through AgentSession on real files in a temp dir.
@Suite struct FileCommandTests {
    let harness: SysfsHarness
    let dir: String

    init() throws {
        harness = try SysfsHarness()
        dir = harness.root + "/files"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func open(_ path: String, _ mode: String? = nil) -> Int? {
        var arguments: [String: Any] = ["path": path]
        if let mode { arguments["mode"] = mode }
        return harness.call("guest-file-open", arguments).value as? Int
    }

    func contents(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: dir + "/" + name).map(Array.init)
    }

    static let hello = Array("Hello World!\n\0".utf8)

    /// test-qga.c /qga/file-ops, step by step.
    @Test func testQGAFileOps() throws {
        let path = dir + "/foo"
        let handle = try #require(open(path, "w+"))
        #expect(handle == 1000)
        let write = harness.call("guest-file-write", ["handle": handle, "buf-b64": b64(Self.hello)])
        #expect(write.result["count"] as? Int == 14)
        #expect(write.result["eof"] as? Bool == false)
        #expect(harness.call("guest-file-flush", ["handle": handle]).value as? [String: Any] != nil)
        #expect(harness.call("guest-file-close", ["handle": handle]).value as? [String: Any] != nil)
        #expect(contents("foo") == Self.hello)

        let reader = try #require(open(path, "r"))
        #expect(reader == 1001)
        let read = harness.call("guest-file-read", ["handle": reader])
        #expect(read.result["count"] as? Int == 14)
        #expect(read.result["eof"] as? Bool == true)
        #expect(unb64(read.result["buf-b64"]) == Self.hello)
        let again = harness.call("guest-file-read", ["handle": reader])
        #expect(again.result["count"] as? Int == 0)
        #expect(again.result["eof"] as? Bool == true)
        #expect(again.result["buf-b64"] as? String == "")
        let seek = harness.call("guest-file-seek", ["handle": reader, "offset": 6, "whence": "set"])
        #expect(seek.result["position"] as? Int == 6)
        #expect(seek.result["eof"] as? Bool == false)
        let tail = harness.call("guest-file-read", ["handle": reader])
        #expect(tail.result["count"] as? Int == 8)
        #expect(unb64(tail.result["buf-b64"]) == Array(Self.hello[6...]))
        #expect(tail.result["eof"] as? Bool == true)
        _ = harness.call("guest-file-close", ["handle": reader])
    }

    /// test-qga.c /qga/file-write-read: a read right after the write sees the end of file.
    @Test func testQGAFileWriteRead() throws {
        let handle = try #require(open(dir + "/foo", "w+"))
        #expect(harness.call("guest-file-write", ["handle": handle, "buf-b64": b64(Self.hello)]).result["count"] as? Int == 14)
        let read = harness.call("guest-file-read", ["handle": handle])
        #expect(read.result["count"] as? Int == 0)
        #expect(read.result["eof"] as? Bool == true)
        #expect(read.result["buf-b64"] as? String == "")
        #expect(harness.call("guest-file-seek", ["handle": handle, "offset": 0, "whence": 0]).result["position"] as? Int == 0)
        let back = harness.call("guest-file-read", ["handle": handle])
        #expect(back.result["count"] as? Int == 14)
        #expect(back.result["eof"] as? Bool == true)
        #expect(unb64(back.result["buf-b64"]) == Self.hello)
    }

    @Test func readingExactlyWhatIsLeftIsNotYetEOF() throws {
        try Data(Self.hello).write(to: URL(fileURLWithPath: dir + "/f"))
        let handle = try #require(open(dir + "/f"))
        let exact = harness.call("guest-file-read", ["handle": handle, "count": 14])
        #expect(exact.result["count"] as? Int == 14)
        #expect(exact.result["eof"] as? Bool == false)
        let zero = harness.call("guest-file-read", ["handle": handle, "count": 0])
        #expect(zero.result["count"] as? Int == 0)
        #expect(zero.result["eof"] as? Bool == false)
        #expect(harness.call("guest-file-read", ["handle": handle, "count": 14]).result["eof"] as? Bool == true)
    }

    @Test func readsLargeFilesInOneCallUpToCount() throws {
        let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        try Data(big).write(to: URL(fileURLWithPath: dir + "/big"))
        let handle = try #require(open(dir + "/big", "rb"))
        let part = harness.call("guest-file-read", ["handle": handle, "count": 2_500_000])
        #expect(part.result["count"] as? Int == 2_500_000)
        #expect(unb64(part.result["buf-b64"]) == Array(big[0..<2_500_000]))
        let rest = harness.call("guest-file-read", ["handle": handle, "count": 48 << 20])
        #expect(rest.result["count"] as? Int == 500_000)
        #expect(rest.result["eof"] as? Bool == true)
        #expect(unb64(rest.result["buf-b64"]) == Array(big[2_500_000...]))
    }

    @Test func handlesCountFromTheStateFileAndCommitItBeforeEachOpen() throws {
        let state = harness.root + "/qga.state"
        try "# written by an older agent\n[global]\nfd_counter=5000\n".write(toFile: state, atomically: true, encoding: .utf8)
        try Data().write(to: URL(fileURLWithPath: dir + "/f"))
        #expect(open(dir + "/f") == 5000)
        #expect(try String(contentsOfFile: state, encoding: .utf8) == "[global]\nfd_counter=5001\n")
        #expect(open(dir + "/f") == 5001)
        #expect(try String(contentsOfFile: state, encoding: .utf8) == "[global]\nfd_counter=5002\n")

        // A restarted agent (a new session on the same state directory) goes on counting.
        let restarted = try SysfsHarness(root: harness.root)
        #expect(restarted.call("guest-file-open", ["path": dir + "/f"]).value as? Int == 5002)
    }

    @Test(arguments: ["", "[global]\n", "[other]\nfd_counter=7\n", "[global]\nfd_counter=abc\n"])
    func aStateFileWithoutACounterStartsAt1000(content: String) throws {
        try content.write(toFile: harness.root + "/qga.state", atomically: true, encoding: .utf8)
        try Data().write(to: URL(fileURLWithPath: dir + "/f"))
        #expect(open(dir + "/f") == 1000)
    }

    @Test func aStateFileThatCannotBeWrittenFailsTheOpenAndClosesTheFile() throws {
        try Data().write(to: URL(fileURLWithPath: dir + "/f"))
        harness.system.replaceErrors[harness.root + "/qga.state"] = SystemCallError(
            .createTemporary, path: harness.root + "/qga.state.XXXXXX", errno: Errno(EACCES))
        #expect(harness.call("guest-file-open", ["path": dir + "/f"]).errorDesc == "failed to commit persistent state to disk")
        #expect(harness.session.context.files.count == 0)
        #expect(descriptors(on: dir + "/f") == 0)
        // The counter moved on, as qemu-ga's does.
        harness.system.replaceErrors = [:]
        #expect(open(dir + "/f") == 1001)
    }

    /// (The umask is process-wide and tests run in parallel, so it is left alone here: under
    /// the usual 022 a plain create gives 0644 too. `FileModeOverSocketTests` starts the
    /// agent under umask 000 and 077, where only the fchmod gives 0644.)
    @Test func createdFilesGetMode0644ExistingFilesKeepTheirs() throws {
        _ = try #require(open(dir + "/new", "w"))
        var info = stat()
        #expect(stat(dir + "/new", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o644)
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/old"))
        chmod(dir + "/old", 0o640)
        _ = try #require(open(dir + "/old", "a+"))
        #expect(stat(dir + "/old", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o640)
    }

    /// Each fopen mode: does it create, truncate, append, and which ways can it go.
    static let modeCases: [(mode: String, creates: Bool, truncates: Bool, appends: Bool, reads: Bool, writes: Bool)] = [
        ("r", false, false, false, true, false), ("rb", false, false, false, true, false),
        ("w", true, true, false, false, true), ("wb", true, true, false, false, true),
        ("a", true, false, true, false, true), ("ab", true, false, true, false, true),
        ("r+", false, false, false, true, true), ("rb+", false, false, false, true, true),
        ("r+b", false, false, false, true, true), ("w+", true, true, false, true, true),
        ("wb+", true, true, false, true, true), ("w+b", true, true, false, true, true),
        ("a+", true, false, true, true, true), ("ab+", true, false, true, true, true),
        ("a+b", true, false, true, true, true),
    ]

    @Test(arguments: modeCases)
    func openModesBehaveAsFopen(mode: String, creates: Bool, truncates: Bool, appends: Bool, reads: Bool, writes: Bool)
        throws
    {
        let missing = harness.call("guest-file-open", ["path": dir + "/missing", "mode": mode])
        #expect((missing.value as? Int != nil) == creates)
        if !creates {
            #expect(
                missing.errorDesc == "failed to open file '\(dir)/missing' (mode: '\(mode)'): No such file or directory")
        }

        try Data("0123456789".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        let handle = try #require(open(dir + "/f", mode))
        #expect((contents("f")?.count == 0) == truncates)
        let read = harness.call("guest-file-read", ["handle": handle, "count": 3])
        if reads {
            #expect(read.result["count"] as? Int == (truncates ? 0 : 3))
        } else {
            #expect(read.errorDesc == "failed to read file: Bad file descriptor")
        }
        let write = harness.call("guest-file-write", ["handle": handle, "buf-b64": b64("AB")])
        if writes {
            #expect(write.result["count"] as? Int == 2)
            let expected = truncates ? "AB" : appends ? "0123456789AB" : "012AB56789"
            #expect(contents("f") == Array(expected.utf8))
        } else {
            #expect(write.errorDesc == "failed to write to file: Bad file descriptor")
        }
    }

    @Test(arguments: ["zz", "", "br", "rw", "r+a", "R", "w++"])
    func unknownModesAreRefused(mode: String) {
        #expect(harness.call("guest-file-open", ["path": dir + "/x", "mode": mode]).errorDesc == "invalid file open mode '\(mode)'")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
    }

    @Test func openErrorsCarryPathModeAndErrno() {
        #expect(harness.call("guest-file-open", ["path": "/x/y/z"]).errorDesc
            == "failed to open file '/x/y/z' (mode: 'r'): No such file or directory")
        #expect(harness.call("guest-file-open", ["path": dir, "mode": "w"]).errorDesc
            == "failed to open file '\(dir)' (mode: 'w'): Is a directory")
        #expect(harness.call("guest-file-open", ["path": ""]).errorDesc
            == "failed to open file '' (mode: 'r'): No such file or directory")
    }

    @Test func readingADirectoryHandleReportsIsADirectory() throws {
        let handle = try #require(open(dir))
        #expect(harness.call("guest-file-read", ["handle": handle]).errorDesc == "failed to read file: Is a directory")
    }

    /// Opened non-blocking, as qemu-ga opens: a FIFO with no writer answers at once.
    @Test func anEmptyFifoNeverHangsTheAgent() throws {
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        let handle = try #require(open(dir + "/fifo", "r"))
        // No writer yet: end of file. With a writer but no data: EAGAIN.
        #expect(harness.call("guest-file-read", ["handle": handle]).result["eof"] as? Bool == true)
        let writer = Glibc.open(dir + "/fifo", O_WRONLY | O_NONBLOCK)
        defer { close(writer) }
        #expect(harness.call("guest-file-read", ["handle": handle]).errorDesc
            == "failed to read file: Resource temporarily unavailable")
    }

    @Test func readCountLimits() throws {
        try Data().write(to: URL(fileURLWithPath: dir + "/f"))
        let handle = try #require(open(dir + "/f"))
        #expect(harness.call("guest-file-read", ["handle": handle, "count": 100_000_000]).errorDesc
            == "value '100000000' is invalid for argument count")
        #expect(harness.call("guest-file-read", ["handle": handle, "count": -1]).errorDesc
            == "value '-1' is invalid for argument count")
        #expect(harness.call("guest-file-read", ["handle": handle, "count": (48 << 20) + 1]).errorDesc
            == "value '50331649' is invalid for argument count")
        #expect(harness.call("guest-file-read", ["handle": handle, "count": 48 << 20]).result["eof"] as? Bool == true)
    }

    @Test func writeCountAndBase64() throws {
        let handle = try #require(open(dir + "/f", "w"))
        #expect(harness.call("guest-file-write", ["handle": handle, "buf-b64": "QUJD", "count": 5]).errorDesc
            == "value '5' is invalid for argument count")
        #expect(harness.call("guest-file-write", ["handle": handle, "buf-b64": "QUJD", "count": -1]).errorDesc
            == "value '-1' is invalid for argument count")
        #expect(harness.call("guest-file-write", ["handle": handle, "buf-b64": "!!!"]).errorDesc
            == "Base64 data contains invalid characters")
        #expect(harness.call("guest-file-write", ["handle": handle, "buf-b64": "QUJD", "count": 2]).result["count"] as? Int == 2)
        #expect(harness.call("guest-file-write", ["handle": handle, "buf-b64": "QUJD", "count": 0]).result["count"] as? Int == 0)
        #expect(harness.call("guest-file-write", ["handle": handle, "buf-b64": ""]).result["count"] as? Int == 0)
        #expect(contents("f") == Array("AB".utf8))
    }

    @Test func seekWhenceForms() throws {
        try Data(Self.hello).write(to: URL(fileURLWithPath: dir + "/f"))
        let handle = try #require(open(dir + "/f"))
        func seek(_ offset: Int, _ whence: Any) -> SysfsHarness.Reply {
            harness.call("guest-file-seek", ["handle": handle, "offset": offset, "whence": whence])
        }
        #expect(seek(0, "end").result["position"] as? Int == 14)
        #expect(seek(-3, "cur").result["position"] as? Int == 11)
        #expect(seek(2, 0).result["position"] as? Int == 2)
        #expect(seek(2, 1).result["position"] as? Int == 4)
        #expect(seek(-1, 2).result["position"] as? Int == 13)
        #expect(seek(100, "set").result["position"] as? Int == 100)
        #expect(seek(0, 5).errorDesc == "invalid whence code 5")
        #expect(seek(0, -1).errorDesc == "invalid whence code -1")
        #expect(seek(-100, "set").errorDesc == "failed to seek file: Invalid argument")
        #expect(seek(0, "bogus").errorDesc == "Parameter 'whence' does not accept value 'bogus'")
        #expect(seek(0, true).errorDesc == "Invalid parameter type for 'whence', expected: GuestFileWhence")
        #expect(seek(0, NSNull()).errorDesc == "Invalid parameter type for 'whence', expected: GuestFileWhence")
        #expect(seek(0, 1.5).errorDesc == "Invalid parameter type for 'whence', expected: integer")
        #expect(harness.call("guest-file-seek", ["handle": handle, "offset": 0]).errorDesc == "Parameter 'whence' is missing")
    }

    @Test(arguments: ["guest-file-close", "guest-file-flush", "guest-file-read", "guest-file-write", "guest-file-seek"])
    func unknownHandles(command: String) {
        var arguments: [String: Any] = ["handle": 12345]
        if command == "guest-file-write" { arguments["buf-b64"] = "" }
        if command == "guest-file-seek" { arguments["offset"] = 0; arguments["whence"] = "set" }
        #expect(harness.call(command, arguments).errorDesc == "handle '12345' has not been found")
    }

    @Test func unknownHandleIsReportedBeforeABadCount() {
        #expect(harness.call("guest-file-read", ["handle": 12345, "count": -1]).errorDesc == "handle '12345' has not been found")
    }

    /// Descriptors of this process open on `path` (other tests run in parallel: match by path).
    func descriptors(on path: String) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path }
            .count
    }

    @Test func closeForgetsTheHandleAndReleasesTheDescriptor() throws {
        try Data().write(to: URL(fileURLWithPath: dir + "/f"))
        let handle = try #require(open(dir + "/f"))
        #expect(descriptors(on: dir + "/f") == 1)
        #expect(harness.call("guest-file-close", ["handle": handle]).errorDesc == nil)
        #expect(descriptors(on: dir + "/f") == 0)
        #expect(harness.call("guest-file-close", ["handle": handle]).errorDesc == "handle '\(handle)' has not been found")
    }
}
