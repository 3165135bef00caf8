#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux

/// Where the agent is reached from the host.
enum Endpoint: Equatable {
    /// A unix stream socket: QEMU's `-chardev socket,path=...,server=on` or an agent run with
    /// `-m unix-listen`.
    case unix(String)
    /// `CID:PORT` of an agent run with `-m vsock-listen`.
    case vsock(cid: UInt32, port: UInt32)
    /// A character device or pty (QEMU's chardev for an isa-serial or virtio-serial port).
    case serial(String)

    var description: String {
        switch self {
        case .unix(let path): return path
        case .vsock(let cid, let port): return "vsock \(cid):\(port)"
        case .serial(let path): return path
        }
    }
}

/// Why the conversation with the agent could not go on.
enum TransportError: Error, Equatable, CustomStringConvertible {
    case failed(String)
    case timedOut
    case endOfFile

    var description: String {
        switch self {
        case .failed(let text): return text
        case .timedOut: return "timed out waiting for the agent"
        case .endOfFile: return "the agent closed the connection"
        }
    }
}

/// An open, non-blocking connection to the agent: bytes out, bytes in, with deadlines.
final class Transport {
    let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Connects to (or opens) `endpoint`.
    static func open(_ endpoint: Endpoint) throws(TransportError) -> Transport {
        switch endpoint {
        case .unix(let path): return try connectUnix(path)
        case .vsock(let cid, let port): return try connectVsock(cid: cid, port: port)
        case .serial(let path): return try openSerial(path)
        }
    }

    private static func connectUnix(_ path: String) throws(TransportError) -> Transport {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .failed("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed("socket: \(errorText(errno))") }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw .failed("cannot connect to \(path): \(errorText(code))")
        }
        return Transport(fd: setNonBlocking(fd))
    }

    private static func connectVsock(cid: UInt32, port: UInt32) throws(TransportError) -> Transport {
        let fd = socket(AF_VSOCK, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed("vsock socket: \(errorText(errno))") }
        var address = sockaddr_vm()
        address.svm_family = sa_family_t(AF_VSOCK)
        address.svm_cid = cid
        address.svm_port = port
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_vm>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw .failed("cannot connect to vsock \(cid):\(port): \(errorText(code))")
        }
        return Transport(fd: setNonBlocking(fd))
    }

    private static func openSerial(_ path: String) throws(TransportError) -> Transport {
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("cannot open \(path): \(errorText(errno))") }
        // A tty (pty, serial line) must not echo or translate the bytes of the protocol.
        var tio = termios()
        if isatty(fd) == 1, tcgetattr(fd, &tio) == 0 {
            cfmakeraw(&tio)
            tcsetattr(fd, TCSANOW, &tio)
        }
        return Transport(fd: fd)
    }

    private static func setNonBlocking(_ fd: Int32) -> Int32 {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        return fd
    }

    /// Writes all of `bytes` before `deadline`.
    func write(_ bytes: [UInt8], deadline: Deadline) throws(TransportError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n >= 0 {
                offset += n
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLOUT), deadline: deadline)
            case EPIPE, ECONNRESET: throw .endOfFile
            default: throw .failed("write: \(errorText(errno))")
            }
        }
    }

    /// Reads what is available into `buffer` (waiting until `deadline`); returns the count.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TransportError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return n }
            if n == 0 { throw .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN), deadline: deadline)
            case ECONNRESET: throw .endOfFile
            default: throw .failed("read: \(errorText(errno))")
            }
        }
    }

    private func wait(for events: Int16, deadline: Deadline) throws(TransportError) {
        while true {
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&pfd, 1, deadline.millisecondsLeft)
            if ready > 0 { return }
            if ready == 0 { throw .timedOut }
            if errno != EINTR { throw .failed("poll: \(errorText(errno))") }
        }
    }
}

/// A moment on CLOCK_MONOTONIC; `nil` seconds means never.
struct Deadline {
    let at: Double?

    init(seconds: Double?) {
        at = seconds.map { monotonicSeconds() + $0 }
    }

    var millisecondsLeft: Int32 {
        guard let at else { return -1 }
        let left = at - monotonicSeconds()
        if left <= 0 { return 0 }
        return Int32(min(left * 1000 + 1, Double(Int32.max)))
    }
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
