import ProcessRunner
import QGAProtocol

/// The one seam between handlers and the operating system.
///
/// Handlers never call the C library directly: they go through this protocol, so they can be
/// tested against a fake (a temp-dir tree and a recording runner). ``LinuxSystem`` is the
/// real implementation. Errors carry qemu-ga's texts and the errno.
public protocol GuestSystem: AnyObject {
    /// The whole file. The corresponding C functions are `open(2)` and `read(2)`.
    func readFile(_ path: String) throws(QGAError) -> [UInt8]
    /// At most `maxBytes` from the start of the file, in one `read(2)`: enough for a sysfs
    /// attribute, which the kernel hands out whole on the first read, without a second read
    /// to see EOF. The corresponding C functions are `open(2)` and `read(2)`.
    func readFile(_ path: String, maxBytes: Int) throws(QGAError) -> [UInt8]
    /// Replaces the file's content (`open(O_WRONLY|O_TRUNC)`, `write(2)`); does not create it
    /// unless `create` is set.
    func writeFile(_ path: String, _ bytes: [UInt8], create: Bool) throws(QGAError)
    /// Names in a directory, without `.` and `..`, in directory order (`readdir(3)`).
    func listDirectory(_ path: String) throws(QGAError) -> [String]
    /// `stat(2)` succeeds.
    func fileExists(_ path: String) -> Bool
    /// A directory (`stat(2)`, `S_ISDIR`).
    func isDirectory(_ path: String) -> Bool
    /// `access(X_OK)` on a regular file.
    func isExecutable(_ path: String) -> Bool
    /// Removes a file (`unlink(2)`); a missing file is not an error.
    func removeFile(_ path: String) throws(QGAError)
    /// Runs a child process to completion.
    func run(_ invocation: ProcessInvocation) -> ProcessOutcome
    /// Flushes every filesystem (`sync(2)`).
    func syncFilesystems()

    // Filesystem freeze and trim: the `FI*` ioctls on a mountpoint's directory.

    /// `access(path, X_OK)`: nil when allowed, else the errno.
    func executableAccessError(_ path: String) -> Int32?
    /// The device number of a block device node (`stat(2)`, `S_ISBLK`); nil for anything else.
    func blockDevice(_ path: String) -> DeviceNumber?
    /// Opens a directory for the filesystem ioctls (`open(O_RDONLY|O_CLOEXEC)`); the error
    /// carries the errno.
    func openDirectory(_ path: String) throws(QGAError) -> Int32
    /// `close(2)`.
    func closeDescriptor(_ fd: Int32)
    /// Freezes the filesystem `fd` lives on (`ioctl(FIFREEZE)`); the error carries the errno.
    func freezeFilesystem(_ fd: Int32) throws(QGAError)
    /// One `ioctl(FITHAW)`; each successful call undoes one freeze.
    func thawFilesystem(_ fd: Int32) throws(QGAError)
    /// Discards unused blocks of the whole filesystem (`ioctl(FITRIM)`, start 0, length all).
    func trimFilesystem(_ fd: Int32, minimum: UInt64) throws(QGAError) -> TrimmedRange
}

/// A device's major and minor number.
public struct DeviceNumber: Sendable, Equatable {
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

extension GuestSystem {
    public func readFile(_ path: String, maxBytes: Int) throws(QGAError) -> [UInt8] {
        Array(try readFile(path).prefix(maxBytes))
    }

    public func writeFile(_ path: String, _ bytes: [UInt8]) throws(QGAError) {
        try writeFile(path, bytes, create: false)
    }

    /// The file as text, with surrounding whitespace removed.
    public func readText(_ path: String) throws(QGAError) -> String {
        let bytes = try readFile(path)
        return String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines (no Foundation needed).
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
