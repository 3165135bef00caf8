import Glibc

/// What `stat(2)` says about a file: its kind, identity and link count. The one place that
/// decodes `st_mode` (Embedded Swift sees `S_IFMT` as a plain C integer, Glibc's overlay as
/// `mode_t`; the conversion happens here once).
public struct FileStatus: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regular, directory, symbolicLink, socket, blockDevice, characterDevice, fifo, unknown
    }

    public var kind: Kind
    /// `st_dev` and `st_ino`: two statuses with both equal name the same file.
    public var device: UInt64
    public var inode: UInt64
    public var linkCount: UInt64
    /// `st_rdev`: the device a block or character device file stands for.
    public var representedDevice: UInt64

    init(_ raw: stat) {
        let format = UInt32(truncatingIfNeeded: raw.st_mode) & UInt32(truncatingIfNeeded: S_IFMT)
        switch format {
        case UInt32(truncatingIfNeeded: S_IFREG): kind = .regular
        case UInt32(truncatingIfNeeded: S_IFDIR): kind = .directory
        case UInt32(truncatingIfNeeded: S_IFLNK): kind = .symbolicLink
        case UInt32(truncatingIfNeeded: S_IFSOCK): kind = .socket
        case UInt32(truncatingIfNeeded: S_IFBLK): kind = .blockDevice
        case UInt32(truncatingIfNeeded: S_IFCHR): kind = .characterDevice
        case UInt32(truncatingIfNeeded: S_IFIFO): kind = .fifo
        default: kind = .unknown
        }
        device = UInt64(raw.st_dev)
        inode = UInt64(raw.st_ino)
        linkCount = UInt64(raw.st_nlink)
        representedDevice = UInt64(raw.st_rdev)
    }

    /// The status of `path`, following a final symbolic link when `followingLinks` (`stat(2)`),
    /// or of the link itself otherwise (`lstat(2)`).
    public static func of(_ path: String, followingLinks: Bool = true) throws(Errno) -> FileStatus {
        var raw = stat()
        // withCString: see FileDescriptor.open.
        _ = try callingOnce { path.withCString { followingLinks ? stat($0, &raw) : lstat($0, &raw) } }
        return FileStatus(raw)
    }

    /// Whether `other` is the same file (device and inode).
    public func isSameFile(as other: FileStatus) -> Bool {
        device == other.device && inode == other.inode
    }
}

extension FileDescriptor {
    /// The status of the open file. The corresponding C function is `fstat(2)`.
    public func status() throws(Errno) -> FileStatus {
        var raw = stat()
        _ = try callingOnce { fstat(rawValue, &raw) }
        return FileStatus(raw)
    }
}
