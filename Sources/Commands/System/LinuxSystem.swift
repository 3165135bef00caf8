#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ProcessRunner
import QGAProtocol

/// The real ``GuestSystem``: thin, EINTR-safe wrappers over the C library.
public final class LinuxSystem: GuestSystem {
    public init() {}

    public func readFile(_ path: String) throws(QGAError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw QGAError.system("open(\"\(path)\")", errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw QGAError.system("read(\"\(path)\")", errno: errno)
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    public func readFile(_ path: String, maxBytes: Int) throws(QGAError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw QGAError.system("open(\"\(path)\")", errno: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: max(0, maxBytes))
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return Array(buffer[0..<n]) }
            if errno != EINTR { throw QGAError.system("read(\"\(path)\")", errno: errno) }
        }
    }

    public func writeFile(_ path: String, _ bytes: [UInt8], create: Bool) throws(QGAError) {
        let flags = O_WRONLY | O_CLOEXEC | O_TRUNC | (create ? O_CREAT : 0)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else { throw QGAError.system("open(\"\(path)\")", errno: errno) }
        defer { close(fd) }
        var offset = 0
        repeat {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw QGAError.system("write(\"\(path)\")", errno: errno)
            }
            offset += n
        } while offset < bytes.count
    }

    public func listDirectory(_ path: String) throws(QGAError) -> [String] {
        guard let dir = opendir(path) else { throw QGAError.system("open(\"\(path)\")", errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func fileExists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    public func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public func isExecutable(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    public func removeFile(_ path: String) throws(QGAError) {
        if unlink(path) != 0 && errno != ENOENT {
            throw QGAError.system("unlink(\"\(path)\")", errno: errno)
        }
    }

    public func run(_ invocation: ProcessInvocation) -> ProcessOutcome {
        ProcessRunner.run(invocation)
    }

    public func syncFilesystems() { sync() }

    public func executableAccessError(_ path: String) -> Int32? {
        access(path, X_OK) == 0 ? nil : errno
    }

    public func blockDevice(_ path: String) -> DeviceNumber? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFBLK else { return nil }
        // glibc's major()/minor() are macros Swift cannot see; this is their definition.
        let dev = UInt64(info.st_rdev)
        let major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~UInt64(0xFFF))
        let minor = (dev & 0xFF) | ((dev >> 12) & ~UInt64(0xFF))
        return DeviceNumber(major: UInt32(truncatingIfNeeded: major), minor: UInt32(truncatingIfNeeded: minor))
    }

    public func openDirectory(_ path: String) throws(QGAError) -> Int32 {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw QGAError.system("open(\"\(path)\")", errno: errno)
        }
    }

    public func closeDescriptor(_ fd: Int32) { close(fd) }

    public func freezeFilesystem(_ fd: Int32) throws(QGAError) {
        try filesystemIoctl(fd, fiFreeze, "FIFREEZE")
    }

    public func thawFilesystem(_ fd: Int32) throws(QGAError) {
        try filesystemIoctl(fd, fiThaw, "FITHAW")
    }

    public func trimFilesystem(_ fd: Int32, minimum: UInt64) throws(QGAError) -> TrimmedRange {
        // struct fstrim_range { __u64 start, len, minlen; }: the kernel writes back len and minlen.
        var range: (start: UInt64, length: UInt64, minimum: UInt64) = (0, UInt64.max, minimum)
        while true {
            let result = withUnsafeMutablePointer(to: &range) { ioctl(fd, fiTrim, UnsafeMutableRawPointer($0)) }
            if result == 0 { return TrimmedRange(trimmed: range.length, minimum: range.minimum) }
            if errno == EINTR { continue }
            throw QGAError.system("ioctl(FITRIM)", errno: errno)
        }
    }

    private func filesystemIoctl(_ fd: Int32, _ request: UInt, _ name: String) throws(QGAError) {
        while true {
            if ioctl(fd, request, CInt(0)) == 0 { return }
            if errno == EINTR { continue }
            throw QGAError.system("ioctl(\(name))", errno: errno)
        }
    }
}

/// `_IOWR('X', 119, int)`, `_IOWR('X', 120, int)`, `_IOWR('X', 121, struct fstrim_range)` from linux/fs.h.
private let fiFreeze: UInt = 0xC004_5877
private let fiThaw: UInt = 0xC004_5878
private let fiTrim: UInt = 0xC018_5879
