import CLinux
import Foundation
import SystemCalls
import Testing

@Suite("SystemCalls: Errno and the EINTR retry")
struct ErrnoTests {
    @Test func textIsStrerror() {
        #expect(Errno(ENOENT).description == "No such file or directory")
        #expect(Errno(EACCES).description == "Permission denied")
    }

    @Test func interruptedCallsAreRepeatedUntilTheyAnswer() throws {
        var calls = 0
        let result = try retryingInterrupts { () -> Int32 in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7)
        #expect(calls == 3)
    }

    @Test func otherFailuresAreThrownAfterOneCall() {
        var calls = 0
        #expect(throws: Errno(ENOENT)) {
            _ = try retryingInterrupts { () -> Int32 in
                calls += 1
                errno = ENOENT
                return -1
            }
        }
        #expect(calls == 1)
    }

    @Test func callingOnceDoesNotRetryInterrupts() {
        var calls = 0
        #expect(throws: Errno.interrupted) {
            _ = try callingOnce { () -> Int32 in
                calls += 1
                errno = EINTR
                return -1
            }
        }
        #expect(calls == 1)
    }
}

@Suite("SystemCalls: FileDescriptor")
struct FileDescriptorTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "systemcalls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @Test func openingAMissingFileThrowsENOENT() {
        #expect(throws: Errno(ENOENT)) { _ = try FileDescriptor.open(directory + "/missing", O_RDONLY) }
    }

    @Test func everyOpenedDescriptorIsCloseOnExec() throws {
        let fd = try FileDescriptor.open(directory + "/file", O_WRONLY | O_CREAT, permissions: 0o600)
        defer { try? fd.close() }
        #expect(fcntl(fd.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        let (reader, writer) = try FileDescriptor.pipe()
        defer {
            try? reader.close()
            try? writer.close()
        }
        #expect(fcntl(reader.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(writer.rawValue, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test(arguments: [0, 1, 4095, 4096, 4097, 1 << 20])
    func writeAllThenReadToEndGivesTheSameBytes(count: Int) throws {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let path = directory + "/data"
        let writer = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o600)
        try writer.writeAll(bytes)
        try writer.close()
        let reader = try FileDescriptor.open(path, O_RDONLY)
        defer { try? reader.close() }
        #expect(try reader.readToEnd() == bytes)
    }

    @Test func writeAllIntoAFullNonBlockingPipeThrowsEAGAIN() throws {
        let (reader, writer) = try FileDescriptor.pipe()
        defer {
            try? reader.close()
            try? writer.close()
        }
        try writer.setNonBlocking()
        #expect(fcntl(writer.rawValue, F_GETFL) & O_NONBLOCK != 0)
        // A pipe holds 64 KiB by default: 1 MiB cannot fit with nobody reading.
        #expect(throws: Errno.wouldBlock) { try writer.writeAll([UInt8](repeating: 1, count: 1 << 20)) }
    }

    @Test func aDescriptorIsClosedOnce() throws {
        let (reader, writer) = try FileDescriptor.pipe()
        try writer.close()
        try reader.close()
        #expect(throws: Errno(EBADF)) { try reader.close() }
    }

    @Test func directoryNamesLeaveOutDotAndDotDot() throws {
        for name in ["b", "a", ".hidden"] {
            FileManager.default.createFile(atPath: directory + "/" + name, contents: nil)
        }
        #expect(try Directory.names(directory).sorted() == [".hidden", "a", "b"])
        #expect(throws: Errno(ENOTDIR)) { _ = try Directory.names(directory + "/a") }
        #expect(throws: Errno(ENOENT)) { _ = try Directory.names(directory + "/missing") }
    }

    @Test func readingAClosedPipeGivesEndOfFile() throws {
        let (reader, writer) = try FileDescriptor.pipe()
        defer { try? reader.close() }
        try writer.writeAll(Array("abc".utf8))
        try writer.close()
        var buffer = [UInt8](repeating: 0, count: 16)
        let first = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        #expect(Array(buffer[0..<first]) == Array("abc".utf8))
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 0)
    }
}

@Suite("SystemCalls: socket addresses")
struct SocketAddressTests {
    @Test func unixSocketsBindAcceptAndConnect() throws {
        let path = NSTemporaryDirectory() + "sc-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        defer { unlink(path) }
        let server = try FileDescriptor.streamSocket(family: AF_UNIX)
        defer { try? server.close() }
        try server.bind(to: .unix(path: path))
        try server.listen(backlog: 1)
        let client = try FileDescriptor.connectedStream(to: .unix(path: path))
        defer { try? client.close() }
        let accepted = try server.accept()
        defer { try? accepted.close() }
        #expect(fcntl(accepted.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        try client.writeAll(Array("ping".utf8))
        var buffer = [UInt8](repeating: 0, count: 8)
        let n = try buffer.withUnsafeMutableBytes { try accepted.read(into: $0) }
        #expect(Array(buffer[0..<n]) == Array("ping".utf8))
    }

    @Test func acceptReportsThePeersAddress() throws {
        let base = NSTemporaryDirectory() + "sc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(base + ".server"); unlink(base + ".client") }
        let server = try FileDescriptor.streamSocket(family: AF_UNIX)
        defer { try? server.close() }
        try server.bind(to: .unix(path: base + ".server"))
        try server.listen(backlog: 2)
        let named = try FileDescriptor.streamSocket(family: AF_UNIX)
        defer { try? named.close() }
        try named.bind(to: .unix(path: base + ".client"))
        try named.connect(to: .unix(path: base + ".server"))
        let first = try server.acceptWithPeer()
        defer { try? first.connection.close() }
        #expect(first.peer == .unix(path: base + ".client"))
        #expect(fcntl(first.connection.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        let unnamed = try FileDescriptor.connectedStream(to: .unix(path: base + ".server"))
        defer { try? unnamed.close() }
        let second = try server.acceptWithPeer()
        defer { try? second.connection.close() }
        #expect(second.peer == .unix(path: ""))
    }

    @Test func aVsockPeerIsReadFromItsSockaddrVm() {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            var address = sockaddr_vm()
            address.svm_family = sa_family_t(AF_VSOCK)
            address.svm_cid = 1
            address.svm_port = 4321
            raw.storeBytes(of: address, as: sockaddr_vm.self)
        }
        #expect(SocketAddress(storage, length: socklen_t(MemoryLayout<sockaddr_vm>.size)) == .vsock(cid: 1, port: 4321))
        storage.ss_family = sa_family_t(AF_INET)
        #expect(SocketAddress(storage, length: socklen_t(MemoryLayout<sockaddr_storage>.size)) == nil)
    }

    @Test func connectingToNothingThrowsTheErrno() {
        #expect(throws: Errno(ENOENT)) {
            _ = try FileDescriptor.connectedStream(to: .unix(path: "/nonexistent-dir-\(getpid())/sock"))
        }
    }

    @Test func aPathThatDoesNotFitSunPathIsRefused() {
        let tooLong = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: Errno.nameTooLong) { try SocketAddress.unix(path: tooLong).withSockaddr { _, _ in () } }
        // 107 bytes and the NUL fill sun_path exactly.
        let longest = "/" + String(repeating: "y", count: 106)
        #expect(throws: Never.self) { try SocketAddress.unix(path: longest).withSockaddr { _, _ in () } }
    }

    @Test func unixAddressesCarryThePath() throws {
        let (family, length, path) = try SocketAddress.unix(path: "/run/a.sock").withSockaddr { address, length in
            let path = UnsafeRawPointer(address).advanced(by: 2).assumingMemoryBound(to: CChar.self)
            return (Int32(address.pointee.sa_family), Int(length), String(cString: path))
        }
        #expect(family == AF_UNIX)
        #expect(length == MemoryLayout<sockaddr_un>.size)
        #expect(path == "/run/a.sock")
    }

    @Test(arguments: [
        ("3:1234", SocketAddress.vsock(cid: 3, port: 1234)), ("4294967295:0", .vsock(cid: 4294967295, port: 0)),
        ("3", nil), ("3:", nil), (":1", nil), ("3:1:2", nil), ("x:1", nil), ("-1:1", nil), ("4294967296:1", nil),
    ])
    func vsockAddressesAreParsedFromCIDColonPort(text: String, expected: SocketAddress?) {
        #expect(SocketAddress(vsock: text) == expected)
    }

    @Test func vsockAddressesCarryCIDAndPort() throws {
        // struct sockaddr_vm: family (2), reserved (2), port (4), cid (4), zero padding.
        let fields = try SocketAddress.vsock(cid: 3, port: 1234).withSockaddr { address, length in
            let raw = UnsafeRawBufferPointer(start: address, count: Int(length))
            return (
                raw.load(as: UInt16.self), raw.load(fromByteOffset: 4, as: UInt32.self),
                raw.load(fromByteOffset: 8, as: UInt32.self), Int(length)
            )
        }
        #expect(fields.0 == 40)  // AF_VSOCK
        #expect(fields.1 == 1234)
        #expect(fields.2 == 3)
        #expect(fields.3 == 16)
    }
}

@Suite("SystemCalls: monotonic clock and deadlines")
struct DeadlineTests {
    @Test func theClockNeverGoesBack() {
        var previous = MonotonicClock.nanoseconds()
        for _ in 0..<1000 {
            let now = MonotonicClock.nanoseconds()
            #expect(now >= previous)
            previous = now
        }
    }

    @Test func neverIsAnInfinitePollTimeout() {
        #expect(Deadline.never.pollTimeout == -1)
        #expect(Deadline.never.secondsLeft == nil)
        #expect(!Deadline.never.hasPassed)
        #expect(Deadline(secondsFromNow: nil) == .never)
    }

    @Test func aPastDeadlineHasPassed() {
        let past = Deadline(secondsFromNow: -1)
        #expect(past.hasPassed)
        #expect(past.pollTimeout == 0)
        #expect(past.secondsLeft == 0)
    }

    @Test func aFutureDeadlineRoundsThePollTimeoutUp() throws {
        let hour = Deadline(secondsFromNow: 3600)
        #expect(!hour.hasPassed)
        let timeout = hour.pollTimeout
        // Some time passes between the two reads; never more than the hour itself.
        #expect(timeout > 3_500_000 && timeout <= 3_600_001)
    }

    @Test func earlierPicksTheSoonerAndIgnoresNever() {
        let soon = Deadline(at: 10)
        let late = Deadline(at: 20)
        #expect(soon.earlier(late) == soon)
        #expect(late.earlier(soon) == soon)
        #expect(Deadline.never.earlier(late) == late)
        #expect(late.earlier(.never) == late)
    }
}

@Suite("SystemCalls: ChildProcess")
struct ChildProcessTests {
    /// Runs `script` with `sh -c`, its stdout (and with `mergeErrors` its stderr) captured.
    func run(_ script: String, environment: [String]? = nil, mergeErrors: Bool = false, newSession: Bool = false)
        throws -> (output: String, exit: ChildProcess.Exit?)
    {
        let (reader, writer) = try FileDescriptor.pipe()
        defer { try? reader.close() }
        let pid = try ChildProcess.spawn(
            SpawnRequest(
                path: "/bin/sh", arguments: ["sh", "-c", script], environment: environment,
                standardOutput: .descriptor(writer), standardError: mergeErrors ? .standardOutput : .null,
                newSession: newSession))
        try writer.close()
        let output = try reader.readToEnd()
        return (String(decoding: output, as: UTF8.self), try ChildProcess.wait(pid))
    }

    @Test(arguments: [0, 3, 255])
    func theExitCodeComesBack(code: Int32) throws {
        #expect(try run("exit \(code)").exit == ChildProcess.Exit.exited(code))
    }

    @Test func stdoutGoesToTheGivenDescriptorAndStderrCanFollowIt() throws {
        #expect(try run("echo out; echo err >&2").output == "out\n")
        #expect(try run("echo out; echo err >&2", mergeErrors: true).output == "out\nerr\n")
    }

    @Test func theEnvironmentIsReplacedWhenGiven() throws {
        #expect(try run("echo \"[$SYSTEMCALLS_TEST]\"", environment: ["SYSTEMCALLS_TEST=given"]).output == "[given]\n")
        setenv("SYSTEMCALLS_TEST", "inherited", 1)
        defer { unsetenv("SYSTEMCALLS_TEST") }
        #expect(try run("echo \"[$SYSTEMCALLS_TEST]\"").output == "[inherited]\n")
    }

    @Test func aNewSessionIsLedByTheChild() throws {
        // /proc/PID/stat field 6 is the session id; `$$` is the shell's pid.
        let script = "read -r line < /proc/$$/stat; set -- ${line##*) }; echo \"$$ $4\""
        let own = try run(script, newSession: true).output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(own.count == 2 && own[0] == own[1])
        let inherited = try run(script).output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(inherited.count == 2 && inherited[0] != inherited[1])
    }

    @Test func theChildStartsWithNoBlockedSignal() throws {
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGUSR2)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let mask = try run("grep SigBlk /proc/self/status").output
        #expect(mask == "SigBlk:\t0000000000000000\n")
    }

    @Test func descriptorsNotGivenAreNotInherited() throws {
        // Opened without O_CLOEXEC: the spawn marks it close-on-exec before the child starts.
        let leaked = Glibc.open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        let listing = try run("ls /proc/self/fd").output.split(separator: "\n").map(String.init)
        #expect(!listing.contains(String(leaked)))
    }

    @Test func aMissingProgramIsTheExecError() {
        #expect(throws: Errno(ENOENT)) {
            _ = try ChildProcess.spawn(SpawnRequest(path: "/nonexistent/program", arguments: ["program"]))
        }
        #expect(throws: Errno(ENOENT)) {
            _ = try ChildProcess.spawn(SpawnRequest(path: "no-such-program-here", arguments: ["x"], searchPath: true))
        }
    }

    @Test func aKilledChildReportsTheSignalAndIsNotWaitedForTwice() throws {
        let pid = try ChildProcess.spawn(SpawnRequest(path: "/bin/sleep", arguments: ["sleep", "30"]))
        #expect(try ChildProcess.wait(pid, blocking: false) == nil)
        try ChildProcess.kill(pid, SIGKILL)
        #expect(try ChildProcess.wait(pid) == ChildProcess.Exit.signaled(SIGKILL))
        #expect(throws: Errno.noChildProcess) { _ = try ChildProcess.wait(pid) }
    }

    @Test func killingTheGroupEndsTheGrandchildren() throws {
        let (reader, writer) = try FileDescriptor.pipe()
        defer { try? reader.close() }
        // The shell prints its background sleep's pid, then waits.
        let pid = try ChildProcess.spawn(
            SpawnRequest(
                path: "/bin/sh", arguments: ["sh", "-c", "sleep 30 & echo $!; wait"], standardOutput: .descriptor(writer),
                newSession: true))
        try writer.close()
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        let grandchild = try #require(Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        try ChildProcess.kill(pid, SIGKILL, group: true)
        #expect(try ChildProcess.wait(pid) == ChildProcess.Exit.signaled(SIGKILL))
        // The sleep died with the group (without the group kill it sleeps on for 30 s).
        func state() -> Substring? {
            (try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8))?
                .split(separator: ")").last?.split(separator: " ").first
        }
        let until = Date().addingTimeInterval(10)
        while let now = state(), now != "Z", Date() < until { usleep(10_000) }
        let state = state()
        #expect(state == nil || state == "Z", "pid \(grandchild) is still \(state ?? "")")
    }
}

/// qemu-ga's error texts are glibc's `strerror`; the static binary is linked against musl, whose
/// texts differ, so the agent carries glibc's table. The test build runs on glibc: every number
/// must read exactly as this glibc says.
@Suite("SystemCalls: glibc's error texts under any C library")
struct ErrorTextTests {
    @Test(arguments: 0...140)
    func everyNumberReadsAsGlibcSaysIt(_ number: Int32) {
        #expect(Errno(number).description == String(cString: strerror(number)))
    }

    @Test func aTextMuslWordsDifferently() {
        // musl: "Symbolic link loop"; what qemu-ga's hosts see is glibc's.
        #expect(Errno(ELOOP).description == "Too many levels of symbolic links")
    }
}
