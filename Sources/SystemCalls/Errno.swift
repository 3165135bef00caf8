import Glibc
import CLinux

/// An error number a system call reported, with the C library's text for it.
public struct Errno: Error, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno`, read right after the call that failed.
    public static var current: Errno { Errno(rawValue: clinux_errno()) }

    /// What glibc's `strerror(3)` says, e.g. `No such file or directory`, whichever C library
    /// the agent is linked with: qemu-ga's texts are glibc's (CLinux's ErrorText.c).
    public var description: String {
        guard let text = clinux_error_text(rawValue) else { return "Unknown error \(rawValue)" }
        return String(cString: text)
    }

    public static var interrupted: Errno { Errno(EINTR) }
    public static var wouldBlock: Errno { Errno(EAGAIN) }
    public static var noSuchFileOrDirectory: Errno { Errno(ENOENT) }
    public static var brokenPipe: Errno { Errno(EPIPE) }
    public static var noChildProcess: Errno { Errno(ECHILD) }
    public static var nameTooLong: Errno { Errno(ENAMETOOLONG) }
    public static var ioError: Errno { Errno(EIO) }
    public static var fileExists: Errno { Errno(EEXIST) }
    public static var busy: Errno { Errno(EBUSY) }
    public static var notSupported: Errno { Errno(EOPNOTSUPP) }
    /// ENOTTY: the ioctl does not apply to this kind of file or device.
    public static var inappropriateIoctl: Errno { Errno(ENOTTY) }
}

/// Calls `body` (a C call that returns -1 and sets `errno` on failure) until it does not fail
/// with EINTR: the agent's one EINTR retry loop. Every other failure is thrown.
@inlinable
public func retryingInterrupts<Result: FixedWidthInteger>(_ body: () -> Result) throws(Errno) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Errno.current
        if code != .interrupted { throw code }
    }
}

/// Calls `body` (a C call that returns -1 and sets `errno` on failure) once, for the calls that
/// must not be repeated after EINTR (`close(2)`, `connect(2)`).
@inlinable
public func callingOnce<Result: FixedWidthInteger>(_ body: () -> Result) throws(Errno) -> Result {
    let result = body()
    if result == -1 { throw Errno.current }
    return result
}
