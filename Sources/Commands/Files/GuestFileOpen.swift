import Glibc
import QGAProtocol

/// `guest-file-open`: opens a file in the guest and returns a handle for the other
/// `guest-file-*` commands (`virsh qemu-agent-command`, Proxmox `qm guest cmd`).
///
/// `mode` is an `fopen(3)` mode (`r w a r+ w+ a+`, with `b` anywhere qemu-ga allows it),
/// default `r`. A file it creates gets mode 0644 regardless of the umask: created exclusively,
/// then `fchmod`ed; an existing file keeps its mode. qemu-ga sets 0666 here, so that any local
/// user could rewrite a script or configuration file the host drops in before root runs it.
public enum GuestFileOpen: GuestCommand {
    public static let name = "guest-file-open"

    public struct Arguments {
        public var path: String
        public var mode: String?
    }

    /// qemu-ga's `guest_file_open_modes` table, spelling for spelling.
    static let modes: [String: Int32] = [
        "r": O_RDONLY, "rb": O_RDONLY,
        "w": O_WRONLY | O_CREAT | O_TRUNC, "wb": O_WRONLY | O_CREAT | O_TRUNC,
        "a": O_WRONLY | O_CREAT | O_APPEND, "ab": O_WRONLY | O_CREAT | O_APPEND,
        "r+": O_RDWR, "rb+": O_RDWR, "r+b": O_RDWR,
        "w+": O_RDWR | O_CREAT | O_TRUNC, "wb+": O_RDWR | O_CREAT | O_TRUNC, "w+b": O_RDWR | O_CREAT | O_TRUNC,
        "a+": O_RDWR | O_CREAT | O_APPEND, "ab+": O_RDWR | O_CREAT | O_APPEND, "a+b": O_RDWR | O_CREAT | O_APPEND,
    ]

    /// Owner read/write, others read: never group- or world-writable (qemu-ga's
    /// `DEFAULT_NEW_FILE_MODE` is 0666).
    static let newFileMode: UInt32 = 0o644

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Int64 {
        let path = arguments.path
        let mode = arguments.mode ?? "r"
        context.logger.audit("guest-file-open called, filepath: \(path), mode: \(mode)")
        guard let base = modes[mode] else { throw QGAError("invalid file open mode '\(mode)'") }
        // O_NONBLOCK: reading an empty FIFO must not hang the agent.
        let flags = base | O_NOCTTY | O_NONBLOCK
        let system = context.system
        var created = false
        let fd: Int32
        do {
            if flags & O_CREAT != 0 {
                do {
                    fd = try system.openFile(path, flags: flags | O_EXCL, permissions: 0)
                    created = true
                } catch where error.isAlreadyExisting {
                    fd = try system.openFile(path, flags: flags & ~O_CREAT, permissions: 0)
                }
            } else {
                fd = try system.openFile(path, flags: flags, permissions: 0)
            }
        } catch {
            throw QGAError.system("failed to open file '\(path)' (mode: '\(mode)')", from: error)
        }
        if created {
            do {
                try system.setPermissions(fd, newFileMode)
            } catch {
                try? system.closeFile(fd)
                try? system.removeFile(path)
                throw QGAError.system(
                    "failed to set permission 0644 on new file '\(path)' (mode: '\(mode)')", from: error)
            }
        }
        do {
            let handle = try context.files.add(fd, context: context)
            context.logger.audit("guest-file-open, handle: \(handle)")
            return handle
        } catch {
            try? system.closeFile(fd)
            throw error
        }
    }
}

extension GuestFileOpen.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        path = try object.required("path")
        mode = try object.optional("mode")
    }
}
