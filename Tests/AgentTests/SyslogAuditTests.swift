import Foundation
import Testing

/// A datagram socket standing in for `/dev/log`: agents started through ``launcher`` run in a
/// mount namespace of their own where a fresh tmpfs covers `/dev` (with null, zero, random and
/// urandom) and this socket is bind-mounted at `/dev/log`. Nothing of the machine's syslog is
/// touched, and the namespace goes away with the agent.
final class PrivateSyslog: @unchecked Sendable {
    let dir = TempDir()
    let fd: Int32
    var path: String { dir.file("log.sock") }
    /// Read as they arrive: a datagram socket's queue is short (net.unix.max_dgram_qlen, 10
    /// without systemd's sysctl), and syslog(3) blocks the sender when it is full.
    private let lock = NSLock()
    private var lines: [String] = []
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)

    init() throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let socketPath = dir.file("log.sock")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in socketPath.utf8.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 { throw AgentTestError("bind \(socketPath): errno \(errno)") }
        Thread.detachNewThread { [self] in
            while !lock.withLock({ stopping }) {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 50) > 0 { drain() }
            }
            stopped.signal()
        }
    }

    /// Moves what is queued into `lines`.
    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n <= 0 { return }
            let line = String(decoding: buffer[0..<n], as: UTF8.self)
            lock.withLock { lines.append(line) }
        }
    }

    deinit { close(fd) }

    /// Prefix for ``AgentProcess``'s `launcher`.
    var launcher: [String] {
        let script = """
            mount -t tmpfs -o mode=755 qga-test-dev /dev &&
            mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
            mknod -m 666 /dev/random c 1 8 && mknod -m 666 /dev/urandom c 1 9 &&
            : > /dev/log && mount --bind "$1" /dev/log && shift && exec "$@"
            """
        return ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "private-dev-log", path]
    }

    /// Every datagram received so far. An agent sends its audit line before it replies, so
    /// once the last reply is read every line is already queued here.
    /// Everything received so far; stops the reader.
    func received() -> [String] {
        stop()
        drain()
        return lock.withLock { lines }
    }

    /// Stops the reader thread (it holds this object until then); safe to call again.
    func stop() {
        let first: Bool = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        if first { stopped.wait() }
    }
}

/// One syslog(3) datagram: `<priority>Mmm dd hh:mm:ss ident: message`.
struct SyslogDatagram: Equatable, CustomStringConvertible {
    var priority: Int
    var ident: String
    var message: String

    init?(_ text: String) {
        guard text.hasPrefix("<"), let close = text.firstIndex(of: ">"),
            let priority = Int(text[text.index(after: text.startIndex)..<close])
        else { return nil }
        // The timestamp is 15 characters ("Dec  5 23:20:49") and a space.
        let rest = text[text.index(after: close)...].dropFirst(16)
        guard let colon = rest.range(of: ": ") else { return nil }
        self.priority = priority
        ident = String(rest[..<colon.lowerBound])
        message = String(rest[colon.upperBound...])
    }

    var description: String { "<\(priority)> \(ident): \(message)" }
}

/// The audit lines (qemu-ga's `slog`) reach syslog as Debian's qemu-ga 7.2 and 10.0.2 send
/// them, for the same requests. Only safe requests: files in the agents' temp dirs, harmless
/// children, nothing that changes this machine (shutdown, set-time and passwords are covered by
/// AuditLineTests over the recording system).
@Suite("syslog audit lines vs qemu-ga", .serialized)
struct SyslogAuditTests {
    static let requests: [String] =
        [#"{"execute":"guest-ping"}"#, #"{"execute":"guest-sync","arguments":{"id":42}}"#]
        + FilesDifferentialTests.fileRequests
        + FilesDifferentialTests.otherRequests.filter { $0.contains("guest-exec") }
        + [
            #"{"execute":"guest-exec","arguments":{"path":"/bin/true","arg":["a b","c"]}}"#,
            #"{"execute":"guest-exec-status","arguments":{"pid":4242424}}"#,
            #"{"execute":"guest-fsfreeze-status"}"#,
            #"{"execute":"guest-info"}"#,
        ]

    /// The datagrams an agent sent for ``requests``.
    func datagrams(binary: String, verbose: Bool = true) throws -> [SyslogDatagram] {
        let syslog = try PrivateSyslog()
        defer { syslog.stop() }
        let agent = try AgentProcess(binary: binary, verbose: verbose, launcher: syslog.launcher)
        let client = try agent.connect()
        for request in Self.requests {
            client.send(request)
            guard client.readLines(1).first != nil else { throw AgentTestError("no reply to \(request): \(agent.log)") }
        }
        agent.terminate()
        let texts = syslog.received()
        let parsed = texts.compactMap(SyslogDatagram.init)
        #expect(parsed.count == texts.count, "unparsed: \(texts)")
        return parsed
    }

    @Test("the same audit lines as qemu-ga, at LOG_USER|LOG_INFO, named as the binary was started",
        arguments: ["7.2", "10.0.2", "11.1.3"])
    func sameAsQemuGa(version: String) throws {
        let oracle = version == "7.2" ? Oracle.v7 : version == "11.1.3" ? Oracle.v11 : Oracle.v10
        try #require(FileManager.default.isExecutableFile(atPath: oracle), "qemu-ga \(version): make oracles / make test-deps")
        try #require(getuid() == 0, "a private /dev/log needs a mount namespace (root)")
        let expected = try datagrams(binary: oracle)
        let actual = try datagrams(binary: agentBinary)
        #expect(expected.contains { $0.message == "info: guest-file-open called, filepath: foo, mode: w+" })
        #expect(actual.map(\.message) == expected.map(\.message))
        #expect(actual.map(\.priority) == expected.map(\.priority))
        #expect(Set(expected.map(\.ident)) == ["qemu-ga"])
        #expect(Set(actual.map(\.ident)) == [URL(fileURLWithPath: agentBinary).lastPathComponent])
    }

    @Test("audit lines do not depend on -v")
    func withoutVerbose() throws {
        try #require(getuid() == 0, "a private /dev/log needs a mount namespace (root)")
        let quiet = try datagrams(binary: agentBinary, verbose: false)
        let verbose = try datagrams(binary: agentBinary, verbose: true)
        #expect(!quiet.isEmpty)
        #expect(quiet == verbose)
    }
}
