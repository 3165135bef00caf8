import QGAProtocol
import SystemCalls

extension QGAError {
    /// qemu-ga's text for a failed system call, when the handler adds no wording of its own:
    /// the one place a ``SystemCallError`` becomes words (`open("PATH"): No such file or
    /// directory`, `cannot get hostname: …`, glib's `Failed to create file “…”: …`).
    public init(_ error: SystemCallError) {
        let reason = error.errno.description
        let path = error.path ?? ""
        let code = error.errno.rawValue
        switch error.call {
        case .uname: self = .system("uname failed", errno: code)
        case .gethostname: self = .system("cannot get hostname", errno: code)
        case .getloadavg: self = .system("cannot query load average", errno: code)
        case .setClock: self = .system("Failed to set time to guest", errno: code)
        case .getifaddrs: self = .system("getifaddrs failed", errno: code)
        case .socket: self = .system("failed to create socket", errno: code)
        case .spawn:
            // glib's g_spawn text, which current qemu-ga passes through as it is.
            self = QGAError("Failed to execute child process “\(path)” (\(reason))", errno: code)
        case .nvmeStatus(let status):
            self = QGAError("\(SystemCallError.Call.nvmeAdminCommand.name): NVMe status \(status)", errno: code)
        case .createTemporary:
            self = QGAError("Failed to create file “\(path)”: \(reason)", errno: code)
        case .setTemporaryPermissions:
            self = QGAError("Failed to set permissions of file “\(path)”: \(reason)", errno: code)
        case .writeTemporary:
            self = QGAError("Failed to write file “\(path)”: write() failed: \(reason)", errno: code)
        case .syncTemporary:
            self = QGAError("Failed to write file “\(path)”: fsync() failed: \(reason)", errno: code)
        case .renameTemporary(let destination):
            self = QGAError(
                "Failed to rename file “\(path)” to “\(destination)”: g_rename() failed: \(reason)", errno: code)
        default:
            // qemu-ga's `error_setg_errno(errp, errno, "open(\"%s\")", path)` and the like.
            let name = error.call.name
            self = .system(error.path.map { "\(name)(\"\($0)\")" } ?? name, errno: code)
        }
    }

    /// qemu's `error_setg_errno(errp, errno, message)` for an error that came through the
    /// seam: the handler's wording, the seam's errno.
    static func system(_ message: String, from error: SystemCallError) -> QGAError {
        .system(message, errno: error.errno.rawValue)
    }

    /// qemu-ga 11's text for a file it could not open (upstream `error_setg_file_open`, used
    /// since 11.0 for the vCPU, memory-block, diskstats and CPU-stats paths):
    /// `Could not open '<path>': <strerror>`.
    static func couldNotOpen(_ path: String, from error: SystemCallError) -> QGAError {
        .system("Could not open '\(path)'", from: error)
    }

    /// `message: <the seam's usual text>`, for a handler that puts its words before the
    /// call's (`failed to write to '…': Failed to create file “…”: …`).
    init(_ message: String, wrapping error: SystemCallError) {
        self.init("\(message): \(QGAError(error).desc)", errno: error.errno.rawValue)
    }
}

extension SystemCallError.Call {
    /// The C name, as qemu-ga's texts name the call.
    public var name: String {
        switch self {
        case .open: "open"
        case .read: "read"
        case .write: "write"
        case .close: "close"
        case .lseek: "lseek"
        case .unlink: "unlink"
        case .mkdir: "mkdir"
        case .fchmod: "fchmod"
        case .fchown: "fchown"
        case .realpath: "realpath"
        case .statvfs: "statvfs"
        case .uname: "uname"
        case .gethostname: "gethostname"
        case .getloadavg: "getloadavg"
        case .setClock: "clock_settime"
        case .getifaddrs: "getifaddrs"
        case .socket: "socket"
        case .spawn: "posix_spawn"
        case .freeze: "ioctl(FIFREEZE)"
        case .thaw: "ioctl(FITHAW)"
        case .trim: "ioctl(FITRIM)"
        case .nvmeAdminCommand, .nvmeStatus: "ioctl(NVME_IOCTL_ADMIN_CMD)"
        case .createTemporary: "mkstemp"
        case .setTemporaryOwner: "fchown"
        case .setTemporaryPermissions: "fchmod"
        case .writeTemporary: "write"
        case .syncTemporary: "fsync"
        case .renameTemporary: "rename"
        }
    }
}

/// Runs calls through the seam whose failure the handler reports in qemu-ga's usual words
/// (``QGAError/init(_:)``), for handlers that add none of their own.
func worded<Value>(_ call: @autoclosure () throws(SystemCallError) -> Value) throws(QGAError) -> Value {
    do {
        return try call()
    } catch {
        throw QGAError(error)
    }
}
