import ProcessRunner
import QGAProtocol

/// The one seam between handlers and the operating system.
///
/// Handlers never call the C library directly: they go through these protocols, so they can be
/// tested against a fake (a temp-dir tree and a recording runner). ``LinuxSystem`` is the
/// real implementation. The seam is split by concern, so a helper that needs only files takes
/// `any GuestFiles` and its test fake implements only that. Every failing call throws a
/// ``SystemCallError`` (call, path, errno); qemu-ga's texts are worded from it in one place,
/// `QGAError.init(_:)` in QGAError+Seam.swift.
public protocol GuestSystem:
    GuestFiles, GuestDescriptors, GuestProcessControl, GuestFilesystems, GuestNetwork, GuestClockAndIdentity,
    GuestUsers
{}

/// Files and directories by path.
public protocol GuestFiles: AnyObject {
    /// The whole file. The corresponding C functions are `open(2)` and `read(2)`.
    func readFile(_ path: String) throws(SystemCallError) -> [UInt8]
    /// At most `maxBytes` from the start of the file, in one `read(2)`: enough for a sysfs
    /// attribute, which the kernel hands out whole on the first read, without a second read
    /// to see EOF. The corresponding C functions are `open(2)` and `read(2)`.
    func readFile(_ path: String, maxBytes: Int) throws(SystemCallError) -> [UInt8]
    /// Replaces the file's content (`open(O_WRONLY|O_TRUNC)`, `write(2)`). With `create`, a new
    /// file replaces whatever is at `path` (`unlink(2)`, `open(O_CREAT|O_EXCL|O_NOFOLLOW)`), so
    /// a planted symlink is never written through.
    func writeFile(_ path: String, _ bytes: [UInt8], create: Bool) throws(SystemCallError)
    /// Replaces a file atomically, as glib's `g_file_set_contents`: a new `<path>.XXXXXX`
    /// beside it (`permissions` less the umask), written, `fsync`ed and renamed over `path`.
    /// Each step has its own ``SystemCallError/Call`` (glib words each apart).
    func replaceFile(_ path: String, with bytes: [UInt8], permissions: UInt32) throws(SystemCallError)
    /// Removes a file (`unlink(2)`); a missing file is not an error.
    func removeFile(_ path: String) throws(SystemCallError)
    /// Names in a directory, without `.` and `..`, in directory order (`readdir(3)`); a
    /// failure is the `open` of the directory.
    func listDirectory(_ path: String) throws(SystemCallError) -> [String]
    /// Fails as opening the directory fails (`open(O_RDONLY|O_DIRECTORY)`, then `close(2)`):
    /// for a handler that must report why a sysfs directory is unusable, as qemu-ga's `open`
    /// of it does, without reading its entries.
    func checkDirectory(_ path: String) throws(SystemCallError)
    /// `stat(2)` succeeds.
    func fileExists(_ path: String) -> Bool
    /// A directory (`stat(2)`, `S_ISDIR`).
    func isDirectory(_ path: String) -> Bool
    /// `access(X_OK)` on a regular file.
    func isExecutable(_ path: String) -> Bool
    /// The canonical absolute path, symlinks resolved. The corresponding C function is
    /// `realpath(3)`.
    func resolvePath(_ path: String) throws(SystemCallError) -> String
    /// The target of a symbolic link, nil when `path` is not one. The corresponding C
    /// function is `readlink(2)`.
    func symbolicLinkTarget(_ path: String) -> String?
    /// `mkdir(2)`.
    func makeDirectory(_ path: String, permissions: UInt32) throws(SystemCallError)

    // A directory a user controls (their `~/.ssh`): every call is relative to a descriptor of
    // the directory itself, so no symbolic link the user plants there, or swaps in later, is
    // ever followed.

    /// The directory `path` itself, never what a symbolic link there points at
    /// (`open(O_RDONLY|O_NOFOLLOW|O_NONBLOCK)`, then `fstat(2)`): a link fails with ELOOP,
    /// anything else not a directory with ENOTDIR, both as the `open`. Close it with
    /// ``closeDirectory(_:)``.
    func openDirectoryNoFollow(_ path: String) throws(SystemCallError) -> OpenDirectory
    /// `close(2)`.
    func closeDirectory(_ directory: OpenDirectory)
    /// `fchown(2)` of the directory.
    func setOwner(of directory: OpenDirectory, uid: UInt32, gid: UInt32) throws(SystemCallError)
    /// `fchmod(2)` of the directory.
    func setPermissions(of directory: OpenDirectory, _ permissions: UInt32) throws(SystemCallError)
    /// The whole file `name` in the directory (`openat(O_RDONLY|O_NOFOLLOW|O_NONBLOCK)`,
    /// `read(2)`): a symbolic link fails to open with ELOOP; a FIFO cannot block the agent.
    /// Errors name the full path.
    func readFile(_ name: String, in directory: OpenDirectory) throws(SystemCallError) -> [UInt8]
    /// Replaces the file `name` in the directory atomically: a new `<name>.XXXXXX` there
    /// (`openat(O_CREAT|O_EXCL|O_NOFOLLOW)`), given to `uid`/`gid` (`fchown(2)`) and
    /// `permissions` (`fchmod(2)`) on its descriptor, written, `fsync`ed and renamed over
    /// `name` (`renameat(2)`); nothing is done by path after the rename. On any failure the
    /// new file is removed. Each step has its own ``SystemCallError/Call``, as in
    /// ``replaceFile(_:with:permissions:)``; errors name full paths.
    func replaceFile(
        _ name: String, in directory: OpenDirectory, with bytes: [UInt8], uid: UInt32, gid: UInt32,
        permissions: UInt32) throws(SystemCallError)
}

/// A directory opened by ``GuestFiles/openDirectoryNoFollow(_:)``: its descriptor, and the
/// path it was opened by, for error texts only.
public struct OpenDirectory: Sendable, Equatable {
    public let descriptor: Int32
    public let path: String
    public init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// The path of `name` in this directory, as errors name it.
    public func path(of name: String) -> String { path + "/" + name }
}

/// Open descriptors: the files the host opens with guest-file-open, and guest-exec's pipes.
public protocol GuestDescriptors: AnyObject {
    /// `open(2)` with `O_CLOEXEC` added; `permissions` apply (less the umask) when it creates.
    func openFile(_ path: String, flags: Int32, permissions: UInt32) throws(SystemCallError) -> Int32
    /// `fchmod(2)`.
    func setPermissions(_ fd: Int32, _ permissions: UInt32) throws(SystemCallError)
    /// One `read(2)` into `buffer` (EINTR retried); 0 at end of file, EAGAIN as an error.
    func readDescriptor(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int
    /// One `write(2)` (EINTR retried); the number of bytes written.
    func writeDescriptor(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int
    /// `lseek(2)`; the new offset.
    func seekDescriptor(_ fd: Int32, offset: Int64, whence: Int32) throws(SystemCallError) -> Int64
    /// `close(2)` of a real descriptor, with its error (EIO from a network filesystem).
    func closeFile(_ fd: Int32) throws(SystemCallError)
}

/// Child processes: helpers run to completion, and guest-exec children.
public protocol GuestProcessControl: AnyObject {
    /// Runs a child process to completion.
    func run(_ invocation: ProcessInvocation) -> ProcessOutcome
    /// Starts a child without waiting for it (`posix_spawn`); the agent's pipe ends are
    /// non-blocking. The error carries the errno of the failed exec.
    func spawnChild(_ request: ChildRequest) throws(SystemCallError) -> SpawnedChild
    /// `waitpid(pid, WNOHANG)`: how the child ended, or nil while it runs.
    func reapChild(_ pid: Int32) -> ChildExit?
}

/// Filesystems and disks: sync, freeze and trim (the `FI*` ioctls on a mountpoint's
/// directory), usage, block devices and the NVMe health log.
public protocol GuestFilesystems: AnyObject {
    /// Flushes every filesystem (`sync(2)`).
    func syncFilesystems()
    /// The device number of a block device node (`stat(2)`, `S_ISBLK`); nil for anything else.
    func blockDevice(_ path: String) -> DeviceNumber?
    /// Opens a directory for the filesystem ioctls (`open(O_RDONLY|O_CLOEXEC)`).
    func openDirectory(_ path: String) throws(SystemCallError) -> Int32
    /// `close(2)`.
    func closeDescriptor(_ fd: Int32)
    /// Freezes the filesystem `fd` lives on (`ioctl(FIFREEZE)`).
    func freezeFilesystem(_ fd: Int32) throws(SystemCallError)
    /// One `ioctl(FITHAW)`; each successful call undoes one freeze.
    func thawFilesystem(_ fd: Int32) throws(SystemCallError)
    /// Discards unused blocks of the whole filesystem (`ioctl(FITRIM)`, start 0, length all).
    func trimFilesystem(_ fd: Int32, minimum: UInt64) throws(SystemCallError) -> TrimmedRange
    /// Size and free space of the filesystem holding `path`. The corresponding C function
    /// is `statvfs(3)`.
    func filesystemUsage(_ path: String) throws(SystemCallError) -> FilesystemUsage
    /// The SMART / Health Information log page (NVMe log id 2, 512 bytes, little endian) of
    /// the controller behind the NVMe block device node `device`. The corresponding C call is
    /// `ioctl(NVME_IOCTL_ADMIN_CMD)` with Get Log Page on a descriptor opened read-only.
    func nvmeHealthLog(_ device: String) throws(SystemCallError) -> [UInt8]
}

/// Network interfaces (guest-network-get-interfaces).
public protocol GuestNetwork: AnyObject {
    /// Every address of every interface, in the kernel's order (links first). The
    /// corresponding C function is `getifaddrs(3)`.
    func interfaceAddresses() throws(SystemCallError) -> [InterfaceAddress]
    /// The first six bytes of an interface's hardware address, nil when the kernel has none
    /// for it. The corresponding C call is `ioctl(SIOCGIFHWADDR)` on an `AF_INET` socket;
    /// only failing to create that socket is an error.
    func hardwareAddress(ofInterface name: String) throws(SystemCallError) -> [UInt8]?
}

/// The clock and what identifies the running system (guest-get-osinfo, -host-name, -time,
/// -timezone, -load, -cpustats).
public protocol GuestClockAndIdentity: AnyObject {
    /// The running kernel. The corresponding C function is `uname(2)`.
    func kernelIdentity() throws(SystemCallError) -> KernelIdentity
    /// The host name. The corresponding C function is `gethostname(2)`.
    func hostName() throws(SystemCallError) -> String
    /// Nanoseconds since the epoch. The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
    func realTime() -> Int64
    /// Sets the system clock. The corresponding C function is `clock_settime(CLOCK_REALTIME)`.
    /// Never called by tests except on a fake.
    func setSystemTime(nanoseconds: Int64) throws(SystemCallError)
    /// The local time zone's abbreviation and UTC offset at a moment (seconds since the
    /// epoch). The corresponding C functions are `tzset(3)` and `localtime_r(3)`.
    func localTimeZone(at seconds: Int64) -> LocalTimeZone
    /// The 1, 5 and 15 minute load averages. The corresponding C function is `getloadavg(3)`
    /// (the kernel's fixed-point values from `sysinfo(2)`, not `/proc/loadavg`'s two decimals).
    func loadAverages() throws(SystemCallError) -> (Double, Double, Double)
    /// Clock ticks per second, the unit of `/proc/stat`. The corresponding C function is
    /// `sysconf(_SC_CLK_TCK)`.
    func clockTicksPerSecond() -> Int
}

/// Accounts (guest-ssh-*-authorized-keys) and logins (guest-get-users).
public protocol GuestUsers: AnyObject {
    /// The account named `name` (`getpwnam_r(3)`), or nil when there is none.
    func userAccount(_ name: String) -> UserAccount?
    /// Every record of the user accounting database (utmp), read from glibc's file in glibc's
    /// layout (``UtmpRecords``): what qemu-ga's `getutxent(3)` loop sees.
    func userAccountingRecords() -> [UserAccountingRecord]
}

/// What the agent needs of a passwd entry.
public struct UserAccount: Sendable, Equatable {
    public var home: String
    public var uid: UInt32
    public var gid: UInt32
    public init(home: String, uid: UInt32, gid: UInt32) {
        self.home = home
        self.uid = uid
        self.gid = gid
    }
}

/// A time zone at one moment: what `localtime_r` fills into `tm_zone` and `tm_gmtoff`.
public struct LocalTimeZone: Sendable, Equatable {
    /// `CET`, `UTC`, `+03`; empty when the zone has none.
    public var abbreviation: String
    /// Seconds east of UTC (local time minus UTC).
    public var offset: Int
    public init(abbreviation: String, offset: Int) {
        self.abbreviation = abbreviation
        self.offset = offset
    }
}

/// One utmp record, reduced to what `guest-get-users` needs.
public struct UserAccountingRecord: Sendable, Equatable {
    /// `ut_type`; 7 is `USER_PROCESS` (a logged-in user).
    public var type: Int32
    /// `ut_user`.
    public var user: String
    /// `ut_tv`: seconds and microseconds since the epoch.
    public var seconds: Int64
    public var microseconds: Int64
    public init(type: Int32, user: String, seconds: Int64, microseconds: Int64) {
        self.type = type
        self.user = user
        self.seconds = seconds
        self.microseconds = microseconds
    }

    public static let userProcess: Int32 = 7
}

/// One `struct ifaddrs` entry.
public struct InterfaceAddress: Sendable, Equatable {
    public enum Address: Sendable, Equatable {
        /// No address (`ifa_addr` NULL).
        case none
        /// `AF_INET`, 4 bytes in network order.
        case ipv4([UInt8])
        /// `AF_INET6`, 16 bytes.
        case ipv6([UInt8])
        /// Any other family (`AF_PACKET` link entries).
        case other(family: Int32)
    }

    public var name: String
    public var address: Address
    /// The netmask's bytes (4 or 16), nil when there is none.
    public var netmask: [UInt8]?

    public init(name: String, address: Address, netmask: [UInt8]? = nil) {
        self.name = name
        self.address = address
        self.netmask = netmask
    }
}

/// What `statvfs(3)` reports about a filesystem, in fragments of `fragmentSize` bytes.
public struct FilesystemUsage: Sendable, Equatable {
    /// `f_frsize`.
    public var fragmentSize: UInt64
    /// `f_blocks`: the size.
    public var blocks: UInt64
    /// `f_bfree`: free, including the blocks reserved for root.
    public var freeBlocks: UInt64
    /// `f_bavail`: free for unprivileged users.
    public var availableBlocks: UInt64
    public init(fragmentSize: UInt64, blocks: UInt64, freeBlocks: UInt64, availableBlocks: UInt64) {
        self.fragmentSize = fragmentSize
        self.blocks = blocks
        self.freeBlocks = freeBlocks
        self.availableBlocks = availableBlocks
    }
}

/// What `uname(2)` says about the running kernel.
public struct KernelIdentity: Sendable, Equatable {
    /// `utsname.release`, e.g. `6.1.0-18-amd64`.
    public var release: String
    /// `utsname.version`, e.g. `#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)`.
    public var version: String
    /// `utsname.machine`, e.g. `x86_64`.
    public var machine: String
    public init(release: String, version: String, machine: String) {
        self.release = release
        self.version = version
        self.machine = machine
    }
}

/// A device's major and minor number.
public struct DeviceNumber: Sendable, Hashable {
    public var major: UInt32
    public var minor: UInt32
    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }
}

/// What `FITRIM` reports back: bytes trimmed and the minimum extent it used.
public struct TrimmedRange: Sendable, Equatable {
    public var trimmed: UInt64
    public var minimum: UInt64
    public init(trimmed: UInt64, minimum: UInt64) {
        self.trimmed = trimmed
        self.minimum = minimum
    }
}

extension GuestFiles {
    public func readFile(_ path: String, maxBytes: Int) throws(SystemCallError) -> [UInt8] {
        Array(try readFile(path).prefix(maxBytes))
    }

    public func writeFile(_ path: String, _ bytes: [UInt8]) throws(SystemCallError) {
        try writeFile(path, bytes, create: false)
    }

    /// The file as text, with surrounding whitespace removed.
    public func readText(_ path: String) throws(SystemCallError) -> String {
        let bytes = try readFile(path)
        return String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    }
}
