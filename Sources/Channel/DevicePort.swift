import Glibc
import CLinux
import SystemCalls

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
