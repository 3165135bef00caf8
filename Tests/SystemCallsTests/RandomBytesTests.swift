import CLinux
import Foundation
import Testing

/// getrandom(2) came with Linux 3.17; the static binary promises kernels from 3.10 (RHEL 7), where
/// it fails with ENOSYS and the bytes must come from /dev/urandom instead. The system call is
/// replaced here by one that answers as such a kernel does.
@Suite("SystemCalls: random bytes on kernels without getrandom")
struct RandomBytesTests {
    /// A file of known bytes standing in for /dev/urandom.
    private func fallbackFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "random-fallback-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func enosysReadsTheFallbackFile() throws {
        let known: [UInt8] = (0..<64).map { UInt8($0 * 3 & 0xff) }
        let path = try fallbackFile(known)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var buffer = [UInt8](repeating: 0, count: 48)
        let noGetrandom: @convention(c) (UnsafeMutableRawPointer?, Int, UInt32) -> Int = { _, _, _ in
            errno = ENOSYS
            return -1
        }
        let filled = buffer.withUnsafeMutableBytes {
            clinux_random_bytes_using($0.baseAddress, $0.count, UInt32(GRND_NONBLOCK), noGetrandom, path)
        }
        #expect(filled == 48)
        #expect(buffer == Array(known.prefix(48)))
    }

    @Test func aWorkingGetrandomNeverTouchesTheFallback() {
        var buffer = [UInt8](repeating: 0, count: 16)
        let fives: @convention(c) (UnsafeMutableRawPointer?, Int, UInt32) -> Int = { pointer, length, _ in
            // Half a request at a time: the caller must loop until the buffer is full.
            let count = max(1, length / 2)
            pointer!.initializeMemory(as: UInt8.self, repeating: 5, count: count)
            return count
        }
        let filled = buffer.withUnsafeMutableBytes {
            clinux_random_bytes_using($0.baseAddress, $0.count, 0, fives, "/nonexistent/urandom")
        }
        #expect(filled == 16)
        #expect(buffer == [UInt8](repeating: 5, count: 16))
    }

    @Test func eagainEarlyAtBootIsReportedNotReadFromTheFallback() {
        var buffer = [UInt8](repeating: 0, count: 8)
        let empty: @convention(c) (UnsafeMutableRawPointer?, Int, UInt32) -> Int = { _, _, _ in
            errno = EAGAIN
            return -1
        }
        let filled = buffer.withUnsafeMutableBytes {
            clinux_random_bytes_using($0.baseAddress, $0.count, UInt32(GRND_NONBLOCK), empty, "/dev/zero")
        }
        #expect(filled == -1)
        #expect(errno == EAGAIN)
    }

    @Test func theRealCallFillsTheBuffer() {
        var buffer = [UInt8](repeating: 0, count: 256)
        let filled = buffer.withUnsafeMutableBytes { clinux_random_bytes($0.baseAddress, $0.count, 0) }
        #expect(filled == 256)
        #expect(Set(buffer).count > 16)
    }
}
