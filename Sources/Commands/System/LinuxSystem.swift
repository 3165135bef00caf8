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

    public func openFile(_ path: String, flags: Int32, permissions: UInt32) throws(QGAError) -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode_t(permissions))
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw QGAError.system("open(\"\(path)\")", errno: errno)
        }
    }

    public func setPermissions(_ fd: Int32, _ permissions: UInt32) throws(QGAError) {
        if fchmod(fd, mode_t(permissions)) != 0 { throw QGAError.system("fchmod", errno: errno) }
    }

    public func readDescriptor(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(QGAError) -> Int {
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw QGAError.system("read", errno: errno)
        }
    }

    public func writeDescriptor(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(QGAError) -> Int {
        while true {
            let n = write(fd, bytes.baseAddress, bytes.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw QGAError.system("write", errno: errno)
        }
    }

    public func seekDescriptor(_ fd: Int32, offset: Int64, whence: Int32) throws(QGAError) -> Int64 {
        let position = lseek(fd, off_t(offset), whence)
        if position < 0 { throw QGAError.system("lseek", errno: errno) }
        return Int64(position)
    }

    public func closeFile(_ fd: Int32) throws(QGAError) {
        // Linux releases the descriptor even when close reports an error: never retry.
        if close(fd) != 0 && errno != EINTR { throw QGAError.system("close", errno: errno) }
    }

    public func replaceFile(_ path: String, with bytes: [UInt8], permissions: UInt32) throws(QGAError) {
        var template = Array((path + ".XXXXXX").utf8CString)
        // mkostemp is a GNU extension Swift cannot see; the agent spawns from this thread only.
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard fd >= 0 else {
            throw QGAError("Failed to create file “\(temporary)”: \(QGAError.errorText(errno))", errno: errno)
        }
        var failure: QGAError?
        // mkstemp creates 0600; glib's file gets the mode less the umask.
        if fchmod(fd, mode_t(permissions) & ~currentUmask()) != 0 {
            failure = QGAError(
                "Failed to set permissions of file “\(temporary)”: \(QGAError.errorText(errno))", errno: errno)
        }
        var offset = 0
        while failure == nil && offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let code = n < 0 ? errno : EIO
                failure = QGAError(
                    "Failed to write file “\(temporary)”: write() failed: \(QGAError.errorText(code))", errno: code)
                break
            }
            offset += n
        }
        // The rename must never expose a file whose data is not on disk yet.
        if failure == nil && fsync(fd) != 0 {
            failure = QGAError(
                "Failed to write file “\(temporary)”: fsync() failed: \(QGAError.errorText(errno))", errno: errno)
        }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 {
            failure = QGAError(
                "Failed to rename file “\(temporary)” to “\(path)”: g_rename() failed: \(QGAError.errorText(errno))",
                errno: errno)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// The process umask, read without changing it (`Umask:` in /proc/self/status, Linux 4.7);
    /// older kernels get the set-and-restore dance.
    private func currentUmask() -> mode_t {
        if let status = try? readFile("/proc/self/status", maxBytes: 4096) {
            for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Umask:") {
                if let mask = mode_t(String(line.dropFirst(6)).trimmingWhitespace(), radix: 8) { return mask }
            }
        }
        let mask = umask(0)
        umask(mask)
        return mask
    }

    public func spawnChild(_ request: ChildRequest) throws(QGAError) -> SpawnedChild {
        do {
            return try ProcessRunner.start(request)
        } catch {
            throw QGAError.system("posix_spawn", errno: error.errno)
        }
    }

    public func reapChild(_ pid: Int32) -> ChildExit? { ProcessRunner.reap(pid) }

    public func userAccount(_ name: String) -> UserAccount? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var size = max(Int(sysconf(Int32(_SC_GETPW_R_SIZE_MAX))), 1024)
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let code = getpwnam_r(name, &entry, &buffer, size, &result)
            if code == ERANGE && size < 1 << 20 {
                size *= 2
                continue
            }
            guard code == 0, result != nil, let home = entry.pw_dir else { return nil }
            return UserAccount(home: String(cString: home), uid: entry.pw_uid, gid: entry.pw_gid)
        }
    }

    public func makeDirectory(_ path: String, permissions: UInt32) throws(QGAError) {
        if mkdir(path, mode_t(permissions)) != 0 { throw QGAError.system("mkdir", errno: errno) }
    }

    public func setOwner(_ path: String, uid: UInt32, gid: UInt32) throws(QGAError) {
        if lchown(path, uid, gid) != 0 { throw QGAError.system("lchown", errno: errno) }
    }

    public func setPermissions(_ path: String, _ permissions: UInt32) throws(QGAError) {
        if chmod(path, mode_t(permissions)) != 0 { throw QGAError.system("chmod", errno: errno) }
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
