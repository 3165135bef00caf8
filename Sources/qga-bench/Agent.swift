#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemCalls

/// One agent binary under test, and what each round measured of it.
final class AgentUnderTest {
    let label: String
    let path: String
    var rounds: [RoundResult] = []

    init(label: String, path: String) {
        self.label = label
        self.path = path
    }
}

/// The figures of one round of one agent; nil where the agent could not do it.
struct RoundResult {
    var startupMs: Double?
    var rssStartKB: Double?
    var rssPeakKB: Double?
    var throughput: [String: Double] = [:]
    var p50Us: Double?
    var p99Us: Double?
    var commands = 0
    /// Shared objects mapped once started (path → size on disk).
    var sharedObjects: [String: Int] = [:]
}

/// A freshly started agent on a unix socket in its own temp dir; SIGKILLed when done.
///
/// SIGKILL, not SIGTERM: qemu-ga 7.2 can deadlock on SIGTERM (it quits its main loop from
/// the signal handler).
final class RunningAgent {
    let pid: pid_t
    let dir: String
    let socketPath: String
    let spawnedAt: UInt64

    init(binary: String) throws(BenchError) {
        dir = try makeTempDir()
        socketPath = dir + "/sock"
        let state = dir + "/state"
        mkdir(state, 0o700)
        // An empty config file keeps /etc/qemu/qemu-ga.conf out of the measurement.
        let conf = dir + "/empty.conf"
        close(open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600))
        let argv = [binary, "-m", "unix-listen", "-p", socketPath, "-t", state]
        let env = ["QGA_CONF=" + conf, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        spawnedAt = MonotonicClock.nanoseconds()
        pid = try spawn(argv, environment: env)
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        // The agents leave files of their own (qemu-ga's qga.state, a socket): remove what is
        // in the two directories this run made, then the directories.
        for directory in [dir + "/state", dir] {
            for name in listDirectory(directory) { unlink(directory + "/" + name) }
        }
        rmdir(dir + "/state")
        rmdir(dir)
    }

    /// Connects, retrying until the socket accepts (at most `seconds`).
    func connect(within seconds: Double = 10) throws(BenchError) -> BenchClient {
        let deadline = MonotonicClock.nanoseconds() + UInt64(seconds * 1e9)
        while true {
            if let client = BenchClient(path: socketPath) { return client }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { throw BenchError("\(socketPath): the agent exited (status \(status))") }
            if MonotonicClock.nanoseconds() > deadline { throw BenchError("\(socketPath): no agent listening after \(seconds) s") }
            usleep(100)
        }
    }

    /// A `VmXXX:` line of /proc/PID/status, in kB.
    func status(_ key: String) -> Double? {
        guard let text = readFile("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let digits = line.dropFirst(key.count + 1).filter { $0 >= "0" && $0 <= "9" }
            return Double(String(digits))
        }
        return nil
    }

    /// The shared objects the process has mapped (path → size on disk).
    func sharedObjects() -> [String: Int] {
        guard let maps = readFile("/proc/\(pid)/maps") else { return [:] }
        var result: [String: Int] = [:]
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let path = String(line[slash...])
            guard path.contains(".so"), result[path] == nil else { continue }
            result[path] = fileSize(path) ?? 0
        }
        return result
    }
}

/// A blocking unix-socket client that counts replies by their closing newline.
///
/// qemu-ga and qemu-ga-swift end every reply with `\n` and escape newlines inside strings,
/// so counting newlines counts replies without parsing them: the client stays cheap next to
/// the agents it measures.
final class BenchClient {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    init?(path: String) {
        guard let connected = try? FileDescriptor.connectedStream(to: .unix(path: path)) else { return nil }
        fd = connected.rawValue
    }

    deinit { close(fd) }

    /// Sends `request` once and returns the reply line (without the newline).
    func roundTrip(_ request: [UInt8]) throws(BenchError) -> [UInt8] {
        try writeAll(request)
        var line: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("connection closed while waiting for a reply") }
            if let newline = buffer[0..<n].firstIndex(of: 0x0A) {
                line += buffer[0..<newline]
                return line
            }
            line += buffer[0..<n]
        }
    }

    /// One request, one reply, timed; the reply must be a single line.
    func timedRoundTrip(_ request: [UInt8]) throws(BenchError) -> UInt64 {
        let start = MonotonicClock.nanoseconds()
        try writeAll(request)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("connection closed while waiting for a reply") }
            if buffer[n - 1] == 0x0A { return MonotonicClock.nanoseconds() - start }
        }
    }

    /// Writes `count` copies of `request` as fast as the agent takes them while reading the
    /// replies; returns the seconds from the first write to the last reply.
    func pipelined(_ request: [UInt8], count: Int) throws(BenchError) -> Double {
        var batch: [UInt8] = []
        batch.reserveCapacity(request.count * count)
        for _ in 0..<count { batch += request }
        var sent = 0
        var replies = 0
        let start = MonotonicClock.nanoseconds()
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        while replies < count {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN) | (sent < batch.count ? Int16(POLLOUT) : 0), revents: 0)]
            guard poll(&fds, 1, 30_000) > 0 else { throw BenchError("no progress for 30 s (\(replies) of \(count) replies)") }
            if sent < batch.count && fds[0].revents & Int16(POLLOUT) != 0 {
                let n = batch[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n > 0 { sent += n }
            }
            if fds[0].revents & (Int16(POLLIN) | Int16(POLLHUP)) != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n == 0 { throw BenchError("connection closed after \(replies) of \(count) replies") }
                if n > 0 { replies += countNewlines(n) }
            }
        }
        return Double(MonotonicClock.nanoseconds() - start) / 1e9
    }

    private func countNewlines(_ n: Int) -> Int {
        buffer.withUnsafeBytes { raw in
            var count = 0
            var cursor = raw.baseAddress!
            var left = n
            while left > 0, let hit = memchr(cursor, 0x0A, left) {
                count += 1
                let advance = UnsafeRawPointer(hit) - cursor + 1
                cursor += advance
                left -= advance
            }
            return count
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws(BenchError) {
        do {
            try FileDescriptor(rawValue: fd).writeAll(bytes)
        } catch {
            throw BenchError("write failed: \(error)")
        }
    }
}
