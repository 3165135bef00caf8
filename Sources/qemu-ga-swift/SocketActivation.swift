import Glibc
import Channel
import SystemCalls

/// systemd socket activation as qemu-ga checks it (`check_socket_activation`).
enum SocketActivation {
    /// systemd's first passed descriptor (`SD_LISTEN_FDS_START`).
    static let firstDescriptor: Int32 = 3

    /// How many sockets systemd passed to this process: `LISTEN_FDS` when `LISTEN_PID` is us.
    static func count(environment: (String) -> String?) -> Int {
        guard let pid = environment("LISTEN_PID").flatMap({ Int32($0) }), pid == getpid(),
            let count = environment("LISTEN_FDS").flatMap({ Int($0) }), count > 0
        else { return 0 }
        return count
    }

    /// Takes the passed descriptors as qemu-ga does: close-on-exec, and `LISTEN_*` removed
    /// from the environment, so neither reaches a `guest-exec` child.
    static func adopt(count: Int) throws(ConfigurationError) {
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDNAMES")
        for fd in firstDescriptor..<(firstDescriptor + Int32(clamping: count)) {
            do {
                try FileDescriptor(rawValue: fd).setCloseOnExec()
            } catch {
                throw ConfigurationError("Socket activation failed: invalid file descriptor fd = \(fd): \(error)")
            }
        }
    }

    /// The transport a passed socket serves, from its address family.
    static func method(of fd: Int32) -> ChannelMethod? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(address.ss_family) {
        case AF_UNIX: return .unixListen
        case AF_VSOCK: return .vsockListen
        default: return nil
        }
    }
}
