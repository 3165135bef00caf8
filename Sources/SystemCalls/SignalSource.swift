import Glibc
import CLinux

/// Signals delivered through a signalfd, so the loop handles them as ordinary events: no
/// code runs inside a signal handler, and SIGTERM can never deadlock the agent (qemu-ga 7.2
/// quits its GLib main loop from a handler).
public final class SignalSource {
    public let fd: Int32

    /// Blocks `signals` for the process and opens a signalfd for them.
    /// The corresponding C functions are `pthread_sigmask(2)` and `signalfd(2)`.
    public init(_ signals: [Int32]) throws(Errno) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        fd = try callingOnce { signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: no limit) for a signal and returns those that
    /// arrived (none on timeout).
    public func wait(timeoutMilliseconds: Int32) -> [Int32] {
        FileDescriptor(rawValue: fd).waitForInput(timeoutMilliseconds: timeoutMilliseconds) ? drain() : []
    }

    /// The signals that arrived since the last call.
    public func drain() -> [Int32] {
        var received: [Int32] = []
        var info = signalfd_siginfo()
        while true {
            let n = try? withUnsafeMutableBytes(of: &info) { raw in
                Result { () throws(Errno) -> Int in try FileDescriptor(rawValue: fd).read(into: raw) }
            }.get()
            guard n == MemoryLayout<signalfd_siginfo>.size else { return received }
            received.append(Int32(info.ssi_signo))
        }
    }

    deinit { try? FileDescriptor(rawValue: fd).close() }
}
