import SystemCalls

/// A call through the ``GuestSystem`` seam that failed: which C call, on which path, with
/// which errno. It carries facts, no wording: handlers decide on `call` and `errno`, and
/// qemu-ga's texts are worded from it in one place (`QGAError.init(_:)`, QGAError+Seam.swift).
public struct SystemCallError: Error, Sendable, Equatable {
    /// The C call that failed.
    public enum Call: Sendable, Equatable {
        case open
        case read
        case write
        case close
        case lseek
        case unlink
        case mkdir
        case fchmod
        case fchown
        case realpath
        case statvfs
        case uname
        case gethostname
        case getloadavg
        /// `clock_settime(CLOCK_REALTIME)`.
        case setClock
        case getifaddrs
        /// The `AF_INET` socket for `ioctl(SIOCGIFHWADDR)`.
        case socket
        /// `posix_spawn`: the errno is the failed exec's.
        case spawn
        /// `ioctl(FIFREEZE)`.
        case freeze
        /// `ioctl(FITHAW)`.
        case thaw
        /// `ioctl(FITRIM)`.
        case trim
        /// `ioctl(NVME_IOCTL_ADMIN_CMD)` failed with an errno.
        case nvmeAdminCommand
        /// `ioctl(NVME_IOCTL_ADMIN_CMD)` reached the controller, which answered this NVMe
        /// status (a positive ioctl result; the errno is EIO).
        case nvmeStatus(Int32)
        // The steps of ``GuestFiles/replaceFile(_:with:permissions:)`` (glib's
        // g_file_set_contents); `path` is the temporary file.
        /// Creating `<path>.XXXXXX` as `mkstemp(3)` does (`openat(O_CREAT|O_EXCL|O_NOFOLLOW)`).
        case createTemporary
        /// `fchown(2)` of the temporary file (a user's file: given to them before the rename).
        case setTemporaryOwner
        /// `fchmod(2)` of the temporary file.
        case setTemporaryPermissions
        /// `write(2)` of the temporary file.
        case writeTemporary
        /// `fsync(2)` of the temporary file.
        case syncTemporary
        /// `rename(2)` of the temporary file over the destination.
        case renameTemporary(to: String)
    }

    public var call: Call
    /// The path the call was given, when it took one.
    public var path: String?
    public var errno: Errno

    public init(_ call: Call, path: String? = nil, errno: Errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// The calling thread's errno, for the C call that just failed.
    static func last(_ call: Call, path: String? = nil) -> SystemCallError {
        SystemCallError(call, path: path, errno: .current)
    }

}

/// What handlers decide on: named conditions, never errno numbers or texts.
extension SystemCallError {
    /// What `strerror(3)` says about the errno, for a handler's own wording.
    public var reason: String { errno.description }
    /// ENOENT: the path (or a directory on the way) does not exist.
    public var isNoSuchFile: Bool { errno == .noSuchFileOrDirectory }
    /// EEXIST: `O_CREAT|O_EXCL` found something at the path.
    public var isAlreadyExisting: Bool { errno == .fileExists }
    /// EAGAIN (EWOULDBLOCK on Linux): a non-blocking descriptor has nothing now.
    public var wouldBlock: Bool { errno == .wouldBlock }
    /// EBUSY: e.g. FIFREEZE of a filesystem already frozen.
    public var isBusy: Bool { errno == .busy }
    /// EOPNOTSUPP: e.g. a filesystem that cannot freeze or discard.
    public var isUnsupported: Bool { errno == .notSupported }
    /// ENOTTY: an ioctl the file or device does not know (FITRIM on a CD-ROM).
    public var isInappropriateIoctl: Bool { errno == .inappropriateIoctl }
}
