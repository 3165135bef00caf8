import Glibc
import CLinux
import SystemCalls

/// Where the host reaches the agent (the agent's own side is `ChannelServer.Endpoint`).
enum AgentChannel: Equatable {
    /// A unix stream socket (QEMU's `-chardev socket,path=...,server=on`, or an agent run
    /// with `-m unix-listen`), or the `CID:PORT` of an agent run with `-m vsock-listen`.
    case socket(SocketAddress)
    /// A character device or pty (QEMU's chardev for an isa-serial or virtio-serial port).
    case serial(String)

    var description: String {
        switch self {
        case .socket(.vsock(let cid, let port)): return "vsock \(cid):\(port)"
        case .socket(let address): return address.description
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

    deinit { try? FileDescriptor(rawValue: fd).close() }

    /// Connects to (or opens) `endpoint`.
    static func open(_ channel: AgentChannel) throws(TransportError) -> Transport {
        switch channel {
        case .socket(let address): return try connect(address)
        case .serial(let path): return try openSerial(path)
        }
    }

    private static func connect(_ address: SocketAddress) throws(TransportError) -> Transport {
        do {
            let fd = try FileDescriptor.connectedStream(to: address)
            try? fd.setNonBlocking()
            return Transport(fd: fd.rawValue)
        } catch .nameTooLong {
            throw .failed("socket path too long: \(address)")
        } catch {
            throw .failed("cannot connect to \(AgentChannel.socket(address).description): \(error)")
        }
    }

    private static func openSerial(_ path: String) throws(TransportError) -> Transport {
        let fd: Int32
        do {
            fd = try FileDescriptor.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK).rawValue
        } catch {
            throw .failed("cannot open \(path): \(error)")
        }
        // A tty (pty, serial line) must not echo or translate the bytes of the protocol.
        var tio = termios()
        if isatty(fd) == 1, tcgetattr(fd, &tio) == 0 {
            cfmakeraw(&tio)
            tcsetattr(fd, TCSANOW, &tio)
        }
        return Transport(fd: fd)
    }

    /// Writes all of `bytes` before `deadline`.
    func write(_ bytes: [UInt8], deadline: Deadline) throws(TransportError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw in
                Result { () throws(Errno) -> Int in try FileDescriptor(rawValue: fd).write(raw) }
            }
            switch written {
            case .success(let n): offset += n
            case .failure(.wouldBlock): try wait(for: Int16(POLLOUT), deadline: deadline)
            case .failure(.brokenPipe), .failure(Errno(ECONNRESET)): throw .endOfFile
            case .failure(let error): throw .failed("write: \(error)")
            }
        }
    }

    /// Reads what is available into `buffer` (waiting until `deadline`); returns the count.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TransportError) -> Int {
        while true {
            switch Result(catching: { () throws(Errno) -> Int in try FileDescriptor(rawValue: fd).read(into: buffer) }) {
            case .success(0): throw .endOfFile
            case .success(let n): return n
            case .failure(.wouldBlock): try wait(for: Int16(POLLIN), deadline: deadline)
            case .failure(Errno(ECONNRESET)): throw .endOfFile
            case .failure(let error): throw .failed("read: \(error)")
            }
        }
    }

    private func wait(for events: Int16, deadline: Deadline) throws(TransportError) {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        // Retried after EINTR with the time then left.
        let ready: Int32
        do {
            ready = try retryingInterrupts { poll(&pfd, 1, deadline.pollTimeout) }
        } catch {
            throw .failed("poll: \(error)")
        }
        if ready == 0 { throw .timedOut }
    }
}
