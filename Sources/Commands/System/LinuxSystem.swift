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
}
