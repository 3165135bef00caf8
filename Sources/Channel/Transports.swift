#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux

/// A listening socket (unix-listen, vsock-listen): one client is served at a time; the next
/// waits in the kernel's backlog until the current one leaves.
public struct ListeningSocket {
    public let fd: Int32
    public let path: String?

    /// Binds a unix stream socket at `path`, replacing a stale socket file.
    ///
    /// The socket is bound under a temporary name, put into listening state, then renamed into
    /// place: a client that sees the path can always connect (no ECONNREFUSED window).
    public static func unix(path: String) throws(ChannelError) -> ListeningSocket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ChannelError("socket: \(Sys.errorText(errno))", errno: errno) }
        var existing = stat()
        if lstat(path, &existing) == 0 && (existing.st_mode & S_IFMT) != S_IFSOCK {
            Glibc.close(fd)
            throw ChannelError("error opening channel '\(path)': File exists", errno: EEXIST)
        }
        let temporary = path + ".\(getpid()).tmp"
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard temporary.utf8.count < capacity else {
            Glibc.close(fd)
            throw ChannelError("error opening channel '\(path)': socket path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in temporary.utf8.enumerated() { raw[index] = byte }
        }
        unlink(temporary)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        // rename(2) replaces a socket file left by an earlier run.
        guard bound == 0, listen(fd, 16) == 0, rename(temporary, path) == 0 else {
            let code = errno
            Glibc.close(fd)
            unlink(temporary)
            throw ChannelError("error opening channel '\(path)': \(Sys.errorText(code))", errno: code)
        }
        return ListeningSocket(fd: fd, path: path)
    }

    /// Binds an AF_VSOCK stream socket on `CID:PORT`.
    public static func vsock(address text: String) throws(ChannelError) -> ListeningSocket {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let cid = UInt32(parts[0]), let port = UInt32(parts[1]) else {
            throw ChannelError("invalid vsock address '\(text)': expected <cid>:<port>")
        }
        let fd = socket(AF_VSOCK, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw ChannelError("error opening channel '\(text)': \(Sys.errorText(errno))", errno: errno)
        }
        var address = sockaddr_vm()
        address.svm_family = sa_family_t(AF_VSOCK)
        address.svm_cid = cid
        address.svm_port = port
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_vm>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw ChannelError("error opening channel '\(text)': \(Sys.errorText(code))", errno: code)
        }
        return ListeningSocket(fd: fd, path: nil)
    }

    /// A listening socket handed over by systemd socket activation (`LISTEN_FDS`); the socket
    /// file belongs to systemd, so closing does not unlink anything.
    public static func inherited(fd: Int32) -> ListeningSocket {
        Sys.setCloseOnExec(fd)
        return ListeningSocket(fd: fd, path: nil)
    }

    /// The next client, non-blocking and close-on-exec; nil if none is waiting.
    func accept() -> Int32? {
        while true {
            let client = Glibc.accept(fd, nil, nil)
            if client >= 0 {
                Sys.setNonBlocking(client)
                Sys.setCloseOnExec(client)
                return client
            }
            if errno == EINTR { continue }
            return nil
        }
    }

    public func close() {
        _ = Glibc.close(fd)
        if let path { unlink(path) }
    }
}

/// A character device (virtio-serial port or serial line) opened for the agent.
public struct DevicePort {
    public let fd: Int32
    public let path: String
    /// virtio-serial: EOF means "no host attached", and SIGIO says when that changes.
    public let isVirtio: Bool

    /// Wraps an open descriptor (tests serve a socketpair this way).
    public init(fd: Int32, path: String, isVirtio: Bool) {
        self.fd = fd
        self.path = path
        self.isVirtio = isVirtio
    }

    /// Opens a virtio-serial port: O_NONBLOCK, and SIGIO (O_ASYNC) to learn of host connects.
    public static func virtio(path: String) throws(ChannelError) -> DevicePort {
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw ChannelError("error opening channel '\(path)': \(Sys.errorText(errno))", errno: errno)
        }
        // O_ASYNC in open(2) is ignored by Linux; it only takes effect through F_SETFL.
        _ = fcntl(fd, F_SETOWN, getpid())
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_ASYNC | O_NONBLOCK)
        return DevicePort(fd: fd, path: path, isVirtio: true)
    }

    /// Opens a serial line raw at 38400 baud, VMIN=1 VTIME=0, as qemu-ga does.
    public static func serial(path: String) throws(ChannelError) -> DevicePort {
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw ChannelError("error opening channel '\(path)': \(Sys.errorText(errno))", errno: errno)
        }
        var tio = termios()
        if tcgetattr(fd, &tio) == 0 {
            cfmakeraw(&tio)
            cfsetispeed(&tio, speed_t(B38400))
            cfsetospeed(&tio, speed_t(B38400))
            withUnsafeMutableBytes(of: &tio.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
            }
            tcsetattr(fd, TCSANOW, &tio)
            tcflush(fd, TCIFLUSH)
        }
        return DevicePort(fd: fd, path: path, isVirtio: false)
    }

    public func close() { _ = Glibc.close(fd) }
}

/// Finding the guest agent's virtio-serial port.
public enum VirtioSerialPort {
    public static let portName = "org.qemu.guest_agent.0"
    public static let defaultPath = "/dev/virtio-ports/org.qemu.guest_agent.0"

    /// Without udev there is no `/dev/virtio-ports/` symlink: find the `vportNpM` whose
    /// `/sys/class/virtio-ports/*/name` is the agent's port, and use `/dev/vportNpM`.
    public static func discover(sysfs: String = "/sys", dev: String = "/dev", name: String = portName) -> String? {
        let classDir = sysfs + "/class/virtio-ports"
        guard let dir = opendir(classDir) else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let port = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if port.hasPrefix(".") { continue }
            let nameFile = classDir + "/" + port + "/name"
            let fd = open(nameFile, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = buffer.withUnsafeMutableBytes { Sys.read(fd, $0) }
            Glibc.close(fd)
            guard n > 0 else { continue }
            var text = buffer[0..<n]
            while let last = text.last, last == 0x0A || last == 0x20 || last == 0 { text = text.dropLast() }
            if String(decoding: text, as: UTF8.self) == name { return dev + "/" + port }
        }
        return nil
    }
}

