import Glibc
import CLinux
import SystemCalls

/// A listening socket (unix-listen, vsock-listen): one client is served at a time; the next
/// waits in the kernel's backlog until the current one leaves.
public struct ListeningSocket {
    public let fd: Int32
    public let path: String?

    /// Binds a unix stream socket at `path`, owner-only, replacing whatever was there.
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
        let temporary = path + ".\(ThisProcess.id).tmp"
        FileSystem.removeIfPresent(temporary)
        do {
            // Connecting needs write permission on the socket file, which bind(2) creates with
            // 0777 less the umask: under umask 0 every local user could reach a root agent.
            // Mask 177 makes it 0600 from the start, whatever umask the agent got (a socket
            // file's mode cannot be set through its descriptor, and a chmod by name could
            // follow a link someone put there in between).
            try ThisProcess.withFileCreationMask(0o177) { () throws(Errno) in try fd.bind(to: .unix(path: temporary)) }
            try fd.listen(backlog: 16)
            // rename(2) replaces what sits at `path` in one step: a socket left by an earlier
            // run, a file, or a symbolic link, which is replaced itself and never followed (as
            // qemu-ga, which unlinks whatever is there; a directory stays, EISDIR).
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

    /// The next client, non-blocking and close-on-exec, with its address; nil if none is
    /// waiting.
    func accept() -> (fd: Int32, peer: SocketAddress?)? {
        guard let (client, peer) = try? FileDescriptor(rawValue: fd).acceptWithPeer() else { return nil }
        try? client.setNonBlocking()
        return (client.rawValue, peer)
    }

    public func close() {
        try? FileDescriptor(rawValue: fd).close()
        if let path { FileSystem.removeIfPresent(path) }
    }
}
