import Glibc
import SystemCalls

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
