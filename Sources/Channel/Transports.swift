#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import SystemCalls

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
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.streamSocket(family: AF_UNIX)
        } catch {
            throw ChannelError("socket: \(error)", errno: error.rawValue)
        }
        if let existing = try? FileStatus.of(path, followingLinks: false), existing.kind != .socket {
            try? fd.close()
            throw ChannelError("error opening channel '\(path)': File exists", errno: EEXIST)
        }
        let temporary = path + ".\(getpid()).tmp"
        FileSystem.removeIfPresent(temporary)
        do {
            try fd.bind(to: .unix(path: temporary))
            try fd.listen(backlog: 16)
            // rename(2) replaces a socket file left by an earlier run.
            try FileSystem.rename(temporary, to: path)
        } catch {
            try? fd.close()
            FileSystem.removeIfPresent(temporary)
            if error == .nameTooLong {
                throw ChannelError("error opening channel '\(path)': socket path too long")
            }
            throw ChannelError("error opening channel '\(path)': \(error)", errno: error.rawValue)
        }
        return ListeningSocket(fd: fd.rawValue, path: path)
    }

    /// Binds an AF_VSOCK stream socket on `CID:PORT`.
    public static func vsock(address text: String) throws(ChannelError) -> ListeningSocket {
        guard let address = SocketAddress(vsock: text) else {
            throw ChannelError("invalid vsock address '\(text)': expected <cid>:<port>")
        }
        var opened: FileDescriptor?
        do {
            let fd = try FileDescriptor.streamSocket(family: AF_VSOCK)
            opened = fd
            try fd.bind(to: address)
            try fd.listen(backlog: 16)
            return ListeningSocket(fd: fd.rawValue, path: nil)
        } catch {
            try? opened?.close()
            throw ChannelError("error opening channel '\(text)': \(error)", errno: error.rawValue)
        }
    }

    /// A listening socket handed over by systemd socket activation (`LISTEN_FDS`); the socket
    /// file belongs to systemd, so closing does not unlink anything.
    public static func inherited(fd: Int32) -> ListeningSocket {
        try? FileDescriptor(rawValue: fd).setCloseOnExec()
        return ListeningSocket(fd: fd, path: nil)
    }

    /// The next client, non-blocking and close-on-exec; nil if none is waiting.
    func accept() -> Int32? {
        guard let client = try? FileDescriptor(rawValue: fd).accept() else { return nil }
        try? client.setNonBlocking()
        return client.rawValue
    }

    public func close() {
        try? FileDescriptor(rawValue: fd).close()
        if let path { FileSystem.removeIfPresent(path) }
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
        let fd = try openDevice(path, O_RDWR | O_NONBLOCK)
        // O_ASYNC in open(2) is ignored by Linux; it only takes effect through F_SETFL.
        try? fd.setOwnerToThisProcess()
        try? fd.setAsync(true)
        return DevicePort(fd: fd.rawValue, path: path, isVirtio: true)
    }

    /// Opens a serial line raw at 38400 baud, VMIN=1 VTIME=0, as qemu-ga does.
    public static func serial(path: String) throws(ChannelError) -> DevicePort {
        let fd = try openDevice(path, O_RDWR | O_NOCTTY | O_NONBLOCK).rawValue
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

    public func close() { try? FileDescriptor(rawValue: fd).close() }

    private static func openDevice(_ path: String, _ flags: Int32) throws(ChannelError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(path, flags)
        } catch {
            throw ChannelError("error opening channel '\(path)': \(error)", errno: error.rawValue)
        }
    }
}

/// Finding the guest agent's virtio-serial port.
public enum VirtioSerialPort {
    public static let portName = "org.qemu.guest_agent.0"
    public static let defaultPath = "/dev/virtio-ports/org.qemu.guest_agent.0"

    /// Without udev there is no `/dev/virtio-ports/` symlink: find the `vportNpM` whose
    /// `/sys/class/virtio-ports/*/name` is the agent's port, and use `/dev/vportNpM`.
    public static func discover(sysfs: String = "/sys", dev: String = "/dev", name: String = portName) -> String? {
        let classDir = sysfs + "/class/virtio-ports"
        guard let ports = try? Directory.names(classDir) else { return nil }
        for port in ports {
            if port.hasPrefix(".") { continue }
            let nameFile = classDir + "/" + port + "/name"
            guard let fd = try? FileDescriptor.open(nameFile, O_RDONLY) else { continue }
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = (try? buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) -> Int in try fd.read(into: raw) } }.get()) ?? 0
            try? fd.close()
            guard n > 0 else { continue }
            var text = buffer[0..<n]
            while let last = text.last, last == 0x0A || last == 0x20 || last == 0 { text = text.dropLast() }
            if String(decoding: text, as: UTF8.self) == name { return dev + "/" + port }
        }
        return nil
    }
}

