import Glibc
import CLinux

/// Where a stream socket binds or connects: the two families the agent and its clients use.
public enum SocketAddress: Sendable, Equatable, CustomStringConvertible {
    /// A unix-domain socket file (`struct sockaddr_un`).
    case unix(path: String)
    /// A vsock `CID:PORT` (`struct sockaddr_vm`).
    case vsock(cid: UInt32, port: UInt32)

    /// A vsock address written `CID:PORT` (`3:1234`), as `-p` and `qga --vsock` take it; nil
    /// for anything else.
    public init?(vsock text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let cid = UInt32(parts[0]), let port = UInt32(parts[1]) else { return nil }
        self = .vsock(cid: cid, port: port)
    }

    /// `AF_UNIX` or `AF_VSOCK`.
    public var family: Int32 {
        switch self {
        case .unix: return AF_UNIX
        case .vsock: return AF_VSOCK
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): return path
        case .vsock(let cid, let port): return "\(cid):\(port)"
        }
    }

    /// Calls `body` with the C address and its length. A unix path that does not fit
    /// `sun_path` with its terminating NUL throws ENAMETOOLONG.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws(Errno) -> R {
        switch self {
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Errno.nameTooLong }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        case .vsock(let cid, let port):
            var address = sockaddr_vm()
            address.svm_family = sa_family_t(AF_VSOCK)
            address.svm_cid = cid
            address.svm_port = port
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_vm>.size)) }
            }
        }
    }
}

extension FileDescriptor {
    /// A new stream socket of `family`, close-on-exec. The corresponding C function is
    /// `socket(2)`.
    public static func streamSocket(family: Int32) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try callingOnce { socket(family, CLINUX_SOCK_STREAM_CLOEXEC, 0) })
    }

    /// A new stream socket connected to `address`; closed again when the connect fails. The
    /// corresponding C functions are `socket(2)` and `connect(2)`.
    public static func connectedStream(to address: SocketAddress) throws(Errno) -> FileDescriptor {
        let fd = try streamSocket(family: address.family)
        do {
            try fd.connect(to: address)
        } catch {
            try? fd.close()
            throw error
        }
        return fd
    }

    /// Binds the socket to `address`. The corresponding C function is `bind(2)`.
    public func bind(to address: SocketAddress) throws(Errno) {
        let result = try address.withSockaddr { Glibc.bind(rawValue, $0, $1) }
        if result == -1 { throw Errno.current }
    }

    /// Connects the socket to `address`, once: after EINTR the connection goes on in the
    /// background, so a retry would fail. The corresponding C function is `connect(2)`.
    public func connect(to address: SocketAddress) throws(Errno) {
        let result = try address.withSockaddr { Glibc.connect(rawValue, $0, $1) }
        if result == -1 { throw Errno.current }
    }

    /// Marks the socket as accepting connections. The corresponding C function is `listen(2)`.
    public func listen(backlog: Int32) throws(Errno) {
        _ = try callingOnce { Glibc.listen(rawValue, backlog) }
    }

    /// The next waiting connection, close-on-exec. The corresponding C function is
    /// `accept(2)`.
    public func accept() throws(Errno) -> FileDescriptor {
        let client = FileDescriptor(rawValue: try retryingInterrupts { Glibc.accept(rawValue, nil, nil) })
        try? client.setCloseOnExec()
        return client
    }
}
