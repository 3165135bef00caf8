import Glibc
import CLinux
import ProcessRunner
import QGAProtocol
import SystemCalls

/// The real ``GuestSystem``: thin, EINTR-safe wrappers over the C library. Each failure is a
/// ``SystemCallError`` naming the call, the path and the errno; it words nothing.
public final class LinuxSystem: GuestSystem {
    public init() {}

    public func readFile(_ path: String) throws(SystemCallError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { try? fd.close() }
        do {
            return try fd.readToEnd()
        } catch {
            throw SystemCallError(.read, path: path, errno: error)
        }
    }

    public func readFile(_ path: String, maxBytes: Int) throws(SystemCallError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { try? fd.close() }
        var buffer = [UInt8](repeating: 0, count: max(0, maxBytes))
        do {
            let n = try buffer.withUnsafeMutableBytes { raw in
                Result { () throws(Errno) -> Int in try fd.read(into: raw) }
            }.get()
            return Array(buffer[0..<n])
        } catch {
            throw SystemCallError(.read, path: path, errno: error)
        }
    }

    public func writeFile(_ path: String, _ bytes: [UInt8], create: Bool) throws(SystemCallError) {
        let fd: FileDescriptor
        if create {
            fd = try createNew(path)
        } else {
            fd = try open(path, O_WRONLY | O_TRUNC)
        }
        defer { try? fd.close() }
        do {
            try fd.writeAll(bytes)
        } catch {
            throw SystemCallError(.write, path: path, errno: error)
        }
    }

    /// `open(2)` (close-on-exec).
    private func open(_ path: String, _ flags: Int32, permissions: UInt32 = 0o666) throws(SystemCallError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(path, flags, permissions: permissions)
        } catch {
            throw SystemCallError(.open, path: path, errno: error)
        }
    }

    /// A new, empty file at `path` itself. Whatever was there (a stale file, a symlink someone
    /// planted) is unlinked first, and O_EXCL|O_NOFOLLOW make sure nothing is ever written
    /// through a symlink, even one planted in between. A failure is reported as the open's.
    private func createNew(_ path: String) throws(SystemCallError) -> FileDescriptor {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
        do {
            do {
                return try FileDescriptor.open(path, flags, permissions: 0o600)
            } catch .fileExists {
                try FileSystem.remove(path)
            }
            return try FileDescriptor.open(path, flags, permissions: 0o600)
        } catch {
            throw SystemCallError(.open, path: path, errno: error)
        }
    }

    public func listDirectory(_ path: String) throws(SystemCallError) -> [String] {
        do {
            return try Directory.names(path)
        } catch {
            throw SystemCallError(.open, path: path, errno: error)
        }
    }

    public func checkDirectory(_ path: String) throws(SystemCallError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        try? fd.close()
    }

    public func fileExists(_ path: String) -> Bool {
        (try? FileStatus.of(path)) != nil
    }

    public func isDirectory(_ path: String) -> Bool {
        (try? FileStatus.of(path))?.kind == .directory
    }

    public func isExecutable(_ path: String) -> Bool {
        (try? FileStatus.of(path))?.kind == .regular && access(path, X_OK) == 0
    }

    public func removeFile(_ path: String) throws(SystemCallError) {
        do {
            try FileSystem.remove(path)
        } catch .noSuchFileOrDirectory {
            // Already gone.
        } catch {
            throw SystemCallError(.unlink, path: path, errno: error)
        }
    }

    public func run(_ invocation: ProcessInvocation) -> ProcessOutcome {
        Subprocess.run(invocation)
    }

    public func syncFilesystems() { sync() }

    public func blockDevice(_ path: String) -> DeviceNumber? {
        guard let info = try? FileStatus.of(path), info.kind == .blockDevice else { return nil }
        // glibc's major()/minor() are macros Swift cannot see; this is their definition.
        let dev = info.representedDevice
        let major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~UInt64(0xFFF))
        let minor = (dev & 0xFF) | ((dev >> 12) & ~UInt64(0xFF))
        return DeviceNumber(major: UInt32(truncatingIfNeeded: major), minor: UInt32(truncatingIfNeeded: minor))
    }

    public func openDirectory(_ path: String) throws(SystemCallError) -> Int32 {
        try open(path, O_RDONLY).rawValue
    }

    public func closeDescriptor(_ fd: Int32) { close(fd) }

    public func freezeFilesystem(_ fd: Int32) throws(SystemCallError) {
        try filesystemIoctl(fd, fiFreeze, .freeze)
    }

    public func thawFilesystem(_ fd: Int32) throws(SystemCallError) {
        try filesystemIoctl(fd, fiThaw, .thaw)
    }

    public func trimFilesystem(_ fd: Int32, minimum: UInt64) throws(SystemCallError) -> TrimmedRange {
        // struct fstrim_range { __u64 start, len, minlen; }: the kernel writes back len and minlen.
        var range: (start: UInt64, length: UInt64, minimum: UInt64) = (0, UInt64.max, minimum)
        do {
            _ = try withUnsafeMutablePointer(to: &range) { pointer throws(Errno) in
                try FileDescriptor(rawValue: fd).control(fiTrim, pointer)
            }
        } catch {
            throw SystemCallError(.trim, errno: error)
        }
        return TrimmedRange(trimmed: range.length, minimum: range.minimum)
    }

    public func kernelIdentity() throws(SystemCallError) -> KernelIdentity {
        var info = utsname()
        guard uname(&info) == 0 else { throw SystemCallError.last(.uname) }
        return KernelIdentity(
            release: cString(&info.release), version: cString(&info.version), machine: cString(&info.machine))
    }

    public func hostName() throws(SystemCallError) -> String {
        // HOST_NAME_MAX is 64; one more byte so the result is always terminated.
        var buffer = [CChar](repeating: 0, count: max(Int(sysconf(Int32(_SC_HOST_NAME_MAX))), 64) + 1)
        guard gethostname(&buffer, buffer.count - 1) == 0 else {
            throw SystemCallError.last(.gethostname)
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func realTime() -> Int64 {
        let now = RealTimeClock.now()
        return now.seconds * 1_000_000_000 + now.nanoseconds
    }

    public func loadAverages() throws(SystemCallError) -> (Double, Double, Double) {
        var loads: [Double] = [0, 0, 0]
        guard getloadavg(&loads, 3) == 3 else { throw SystemCallError.last(.getloadavg) }
        return (loads[0], loads[1], loads[2])
    }

    public func setSystemTime(nanoseconds: Int64) throws(SystemCallError) {
        var value = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        guard clock_settime(CLOCK_REALTIME, &value) == 0 else {
            throw SystemCallError.last(.setClock)
        }
    }

    public func localTimeZone(at seconds: Int64) -> LocalTimeZone {
        // tzset() first: localtime_r need not look at TZ or /etc/localtime again by itself.
        tzset()
        var moment = time_t(seconds)
        var local = tm()
        guard localtime_r(&moment, &local) != nil else { return LocalTimeZone(abbreviation: "", offset: 0) }
        let abbreviation = local.tm_zone.map { String(cString: $0) } ?? ""
        return LocalTimeZone(abbreviation: abbreviation, offset: Int(local.tm_gmtoff))
    }

    public func userAccountingRecords() -> [UserAccountingRecord] {
        var records: [UserAccountingRecord] = []
        setutxent()
        defer { endutxent() }
        while let entry = getutxent() {
            records.append(
                UserAccountingRecord(
                    type: Int32(entry.pointee.ut_type), user: cString(&entry.pointee.ut_user),
                    seconds: Int64(entry.pointee.ut_tv.tv_sec), microseconds: Int64(entry.pointee.ut_tv.tv_usec)))
        }
        return records
    }

    public func clockTicksPerSecond() -> Int {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? ticks : 100
    }

    public func interfaceAddresses() throws(SystemCallError) -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { throw SystemCallError.last(.getifaddrs) }
        defer { freeifaddrs(list) }
        var result: [InterfaceAddress] = []
        var cursor = list
        while let entry = cursor {
            let name = String(cString: entry.pointee.ifa_name)
            result.append(
                InterfaceAddress(
                    name: name, address: Self.address(entry.pointee.ifa_addr),
                    netmask: Self.address(entry.pointee.ifa_netmask).bytes))
            cursor = entry.pointee.ifa_next
        }
        return result
    }

    private static func address(_ pointer: UnsafeMutablePointer<sockaddr>?) -> InterfaceAddress.Address {
        guard let pointer else { return .none }
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            return UnsafeRawPointer(pointer).withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                var address = $0.pointee.sin_addr
                return .ipv4(withUnsafeBytes(of: &address) { Array($0) })
            }
        case AF_INET6:
            return UnsafeRawPointer(pointer).withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                var address = $0.pointee.sin6_addr
                return .ipv6(withUnsafeBytes(of: &address) { Array($0) })
            }
        case let family:
            return .other(family: family)
        }
    }

    public func hardwareAddress(ofInterface name: String) throws(SystemCallError) -> [UInt8]? {
        let sock: FileDescriptor
        do { sock = try FileDescriptor.streamSocket(family: AF_INET) } catch { throw SystemCallError(.socket, errno: error) }
        defer { try? sock.close() }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { raw in
            for (index, byte) in name.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let found = withUnsafeMutablePointer(to: &request) { pointer in
            (try? sock.control(UInt(SIOCGIFHWADDR), pointer)) == 0
        }
        guard found else { return nil }
        return withUnsafeBytes(of: &request.ifr_ifru.ifru_hwaddr.sa_data) { Array($0.prefix(6)) }
    }

    public func filesystemUsage(_ path: String) throws(SystemCallError) -> FilesystemUsage {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw SystemCallError.last(.statvfs, path: path) }
        return FilesystemUsage(
            fragmentSize: UInt64(info.f_frsize), blocks: UInt64(info.f_blocks), freeBlocks: UInt64(info.f_bfree),
            availableBlocks: UInt64(info.f_bavail))
    }

    public func nvmeHealthLog(_ device: String) throws(SystemCallError) -> [UInt8] {
        let fd = try open(device, O_RDONLY)
        defer { try? fd.close() }
        var page = [UInt8](repeating: 0, count: NVMeSmart.healthLogSize)
        let result: Int32
        do {
            result = try retryingInterrupts {
                page.withUnsafeMutableBytes {
                    clinux_nvme_get_log_page(fd.rawValue, NVMeSmart.healthLogID, $0.baseAddress, UInt32($0.count))
                }
            }
        } catch {
            throw SystemCallError(.nvmeAdminCommand, path: device, errno: error)
        }
        // A positive result is the controller's NVMe status: the command reached it and failed.
        if result > 0 { throw SystemCallError(.nvmeStatus(result), path: device, errno: .ioError) }
        return page
    }

    public func resolvePath(_ path: String) throws(SystemCallError) -> String {
        guard let resolved = realpath(path, nil) else { throw SystemCallError.last(.realpath, path: path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func symbolicLinkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func openFile(_ path: String, flags: Int32, permissions: UInt32) throws(SystemCallError) -> Int32 {
        try open(path, flags, permissions: permissions).rawValue
    }

    public func setPermissions(_ fd: Int32, _ permissions: UInt32) throws(SystemCallError) {
        do {
            try FileDescriptor(rawValue: fd).setPermissions(permissions)
        } catch {
            throw SystemCallError(.fchmod, errno: error)
        }
    }

    public func readDescriptor(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        do {
            return try FileDescriptor(rawValue: fd).read(into: buffer)
        } catch {
            throw SystemCallError(.read, errno: error)
        }
    }

    public func writeDescriptor(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        do {
            return try FileDescriptor(rawValue: fd).write(bytes)
        } catch {
            throw SystemCallError(.write, errno: error)
        }
    }

    public func seekDescriptor(_ fd: Int32, offset: Int64, whence: Int32) throws(SystemCallError) -> Int64 {
        let position = lseek(fd, off_t(offset), whence)
        if position < 0 { throw SystemCallError.last(.lseek) }
        return Int64(position)
    }

    public func closeFile(_ fd: Int32) throws(SystemCallError) {
        do {
            try FileDescriptor(rawValue: fd).close()
        } catch {
            throw SystemCallError(.close, errno: error)
        }
    }

    public func replaceFile(_ path: String, with bytes: [UInt8], permissions: UInt32) throws(SystemCallError) {
        // The agent's own files (its state directory): the directory may be reached through
        // links, as rename(2) of the whole path would; the file itself never is.
        let (directoryPath, name) = Self.split(path)
        let directory: FileDescriptor
        do {
            directory = try FileDescriptor.open(directoryPath, O_RDONLY | O_DIRECTORY)
        } catch {
            throw SystemCallError(.createTemporary, path: path + ".XXXXXX", errno: error)
        }
        defer { try? directory.close() }
        // glib's file gets the mode less the umask.
        try replace(name, in: directory, path: path, bytes, owner: nil, permissions: permissions & ~UInt32(currentUmask()))
    }

    public func replaceFile(
        _ name: String, in directory: OpenDirectory, with bytes: [UInt8], uid: UInt32, gid: UInt32,
        permissions: UInt32
    ) throws(SystemCallError) {
        try replace(
            name, in: FileDescriptor(rawValue: directory.descriptor), path: directory.path(of: name), bytes,
            owner: (uid, gid), permissions: permissions)
    }

    /// glib's g_file_set_contents, relative to an open directory: a new `<name>.XXXXXX` beside
    /// `name`, given its owner (when one is asked for) and mode on its descriptor, written,
    /// `fsync`ed, closed and renamed over `name`; removed again on any failure. `path` is how
    /// errors name `name`.
    private func replace(
        _ name: String, in directory: FileDescriptor, path: String, _ bytes: [UInt8],
        owner: (uid: UInt32, gid: UInt32)?, permissions: UInt32
    ) throws(SystemCallError) {
        let created: (name: String, descriptor: FileDescriptor)
        do {
            created = try FileSystem.createUniqueFile(name + ".", in: directory, permissions: 0o600)
        } catch {
            throw SystemCallError(.createTemporary, path: path + ".XXXXXX", errno: error)
        }
        let temporary = path + String(decoding: created.name.utf8.dropFirst(name.utf8.count), as: UTF8.self)
        let file = created.descriptor
        var failure: SystemCallError?
        do {
            if let owner {
                try Self.step(.setTemporaryOwner, temporary) { () throws(Errno) in
                    try file.setOwner(uid: owner.uid, gid: owner.gid)
                }
            }
            try Self.step(.setTemporaryPermissions, temporary) { () throws(Errno) in try file.setPermissions(permissions) }
            try Self.step(.writeTemporary, temporary) { () throws(Errno) in try file.writeAll(bytes) }
            // The rename must never expose a file whose data is not on disk yet.
            try Self.step(.syncTemporary, temporary) { () throws(Errno) in try file.synchronize() }
        } catch {
            failure = error
        }
        try? file.close()
        if failure == nil {
            do {
                try FileSystem.rename(created.name, to: name, in: directory)
            } catch {
                failure = SystemCallError(.renameTemporary(to: path), path: temporary, errno: error)
            }
        }
        if let failure {
            FileSystem.removeIfPresent(created.name, in: directory)
            throw failure
        }
    }

    /// One step of ``replace(_:in:path:_:owner:permissions:)``: its failure as `call` on `path`.
    private static func step(_ call: SystemCallError.Call, _ path: String, _ body: () throws(Errno) -> Void)
        throws(SystemCallError)
    {
        do {
            try body()
        } catch {
            throw SystemCallError(call, path: path, errno: error)
        }
    }

    /// The directory part and the last name of `path` (`.` when there is no `/`).
    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
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

    public func spawnChild(_ request: ChildRequest) throws(SystemCallError) -> SpawnedChild {
        do {
            return try Subprocess.start(request)
        } catch {
            throw SystemCallError(.spawn, path: request.path, errno: Errno(error.errno))
        }
    }

    public func reapChild(_ pid: Int32) -> ChildExit? { Subprocess.reap(pid) }

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

    public func makeDirectory(_ path: String, permissions: UInt32) throws(SystemCallError) {
        if mkdir(path, mode_t(permissions)) != 0 { throw SystemCallError.last(.mkdir, path: path) }
    }

    public func openDirectoryNoFollow(_ path: String) throws(SystemCallError) -> OpenDirectory {
        // Without O_DIRECTORY, whose check comes first: Linux answers a link with ENOTDIR, not
        // ELOOP. O_NONBLOCK: a FIFO planted there does not block the open.
        let fd = try open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        guard (try? fd.status())?.kind == .directory else {
            try? fd.close()
            throw SystemCallError(.open, path: path, errno: Errno(ENOTDIR))
        }
        return OpenDirectory(descriptor: fd.rawValue, path: path)
    }

    public func closeDirectory(_ directory: OpenDirectory) {
        try? FileDescriptor(rawValue: directory.descriptor).close()
    }

    public func setOwner(of directory: OpenDirectory, uid: UInt32, gid: UInt32) throws(SystemCallError) {
        do {
            try FileDescriptor(rawValue: directory.descriptor).setOwner(uid: uid, gid: gid)
        } catch {
            throw SystemCallError(.fchown, path: directory.path, errno: error)
        }
    }

    public func setPermissions(of directory: OpenDirectory, _ permissions: UInt32) throws(SystemCallError) {
        do {
            try FileDescriptor(rawValue: directory.descriptor).setPermissions(permissions)
        } catch {
            throw SystemCallError(.fchmod, path: directory.path, errno: error)
        }
    }

    public func readFile(_ name: String, in directory: OpenDirectory) throws(SystemCallError) -> [UInt8] {
        let path = directory.path(of: name)
        let fd: FileDescriptor
        do {
            // O_NONBLOCK: a FIFO planted there neither blocks the open nor the reads.
            fd = try FileDescriptor.open(
                name, in: FileDescriptor(rawValue: directory.descriptor), O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        } catch {
            throw SystemCallError(.open, path: path, errno: error)
        }
        defer { try? fd.close() }
        do {
            return try fd.readToEnd()
        } catch {
            throw SystemCallError(.read, path: path, errno: error)
        }
    }

    private func filesystemIoctl(_ fd: Int32, _ request: UInt, _ call: SystemCallError.Call) throws(SystemCallError) {
        do {
            _ = try FileDescriptor(rawValue: fd).control(request, nil)
        } catch {
            throw SystemCallError(call, errno: error)
        }
    }
}

extension InterfaceAddress.Address {
    /// The address bytes of an IPv4 or IPv6 address.
    var bytes: [UInt8]? {
        switch self {
        case .ipv4(let bytes), .ipv6(let bytes): return bytes
        case .none, .other: return nil
        }
    }
}

/// A fixed-size C `char` array (as Swift imports it: a tuple) up to its NUL, as a String.
func cString<T>(_ tuple: inout T) -> String {
    withUnsafeBytes(of: &tuple) { raw in
        let bytes = raw.prefix(while: { $0 != 0 })
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `_IOWR('X', 119, int)`, `_IOWR('X', 120, int)`, `_IOWR('X', 121, struct fstrim_range)` from linux/fs.h.
private let fiFreeze: UInt = 0xC004_5877
private let fiThaw: UInt = 0xC004_5878
private let fiTrim: UInt = 0xC018_5879
