import Glibc
import CLinux

/// An open file descriptor: the typed face of the C library's `int fd`.
///
/// Every read and write here retries EINTR (through ``retryingInterrupts(_:)``) and reports
/// any other failure as an ``Errno``. A descriptor is closed once: `close(2)` is never retried,
/// because Linux releases the number even when it reports an error, and a retry could close a
/// descriptor another part of the program has just been given.
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static var standardInput: FileDescriptor { FileDescriptor(rawValue: 0) }
    public static var standardOutput: FileDescriptor { FileDescriptor(rawValue: 1) }
    public static var standardError: FileDescriptor { FileDescriptor(rawValue: 2) }

    /// Opens `path`, always close-on-exec. The corresponding C function is `open(2)`.
    public static func open(_ path: String, _ flags: Int32, permissions: UInt32 = 0o666) throws(Errno) -> FileDescriptor {
        // withCString lends the string's own bytes: passing `path` to the C function directly
        // copies them into a new array on every call (measured in Embedded -Osize: about 400
        // instructions a call, most of a sysfs read's user time).
        let fd = try retryingInterrupts { path.withCString { clinux_open($0, flags | O_CLOEXEC, mode_t(permissions)) } }
        return FileDescriptor(rawValue: fd)
    }

    /// Opens `name` relative to the open directory `directory` (a name with no `/` stays in
    /// it), always close-on-exec. The corresponding C function is `openat(2)`.
    public static func open(
        _ name: String, in directory: FileDescriptor, _ flags: Int32, permissions: UInt32 = 0o666
    ) throws(Errno) -> FileDescriptor {
        let fd = try retryingInterrupts {
            name.withCString { clinux_openat(directory.rawValue, $0, flags | O_CLOEXEC, mode_t(permissions)) }
        }
        return FileDescriptor(rawValue: fd)
    }

    /// A pipe, both ends close-on-exec. The corresponding C function is `pipe(2)`.
    public static func pipe() throws(Errno) -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        _ = try callingOnce { Glibc.pipe(&fds) }
        // pipe2(O_CLOEXEC) is a GNU extension that neither Swift's Glibc module nor the
        // Embedded build's stand-in declares; the agent spawns from one thread, so nothing can
        // fork between the two calls.
        for fd in fds { _ = clinux_fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// One read into `buffer`: the count, 0 at end of file. The corresponding C function is
    /// `read(2)`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingInterrupts { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Everything up to end of file, read straight into the result. The corresponding C
    /// function is `read(2)`.
    ///
    /// The buffer starts at `chunkSize` bytes and doubles whenever less than that is free, so a
    /// big file (a mountinfo of thousands of lines) is neither copied chunk by chunk nor read
    /// in slivers: each read asks for at least `chunkSize`.
    public func readToEnd(chunkSize: Int = 4096) throws(Errno) -> [UInt8] {
        let chunkSize = max(1, chunkSize)
        var result = [UInt8](repeating: 0, count: chunkSize)
        var used = 0
        while true {
            // Never a read smaller than the first: a seq_file hands out about a page per read.
            if result.count - used < chunkSize { result.append(contentsOf: repeatElement(0, count: result.count)) }
            let n = try result.withUnsafeMutableBytes { raw in
                Result { () throws(Errno) -> Int in try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[used...])) }
            }.get()
            if n == 0 {
                result.removeLast(result.count - used)
                return result
            }
            used += n
        }
    }

    /// One write: how many bytes the kernel took. The corresponding C function is `write(2)`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try retryingInterrupts { Glibc.write(rawValue, bytes.baseAddress, bytes.count) }
    }

    /// Writes every byte, however many `write(2)` calls that takes. A non-blocking descriptor
    /// that fills up throws EAGAIN (callers that poll use ``write(_:)`` and keep the offset); a
    /// write that takes nothing throws EIO. The corresponding C function is `write(2)`.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let n = try write(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            if n == 0 { throw Errno.ioError }
            offset += n
        }
    }

    /// Writes every byte of `bytes`; see ``writeAll(_:)-(UnsafeRawBufferPointer)``.
    public func writeAll(_ bytes: [UInt8]) throws(Errno) {
        // withUnsafeBytes rethrows `any Error`: carry the typed error out in a Result.
        try bytes.withUnsafeBytes { raw in Result { () throws(Errno) in try writeAll(raw) } }.get()
    }

    /// Closes the descriptor, once. The corresponding C function is `close(2)`.
    public func close() throws(Errno) {
        if Glibc.close(rawValue) == -1 {
            let code = Errno.current
            // Linux has released the descriptor: EINTR only says a flush was interrupted.
            if code != .interrupted { throw code }
        }
    }

    /// Sets or clears `O_NONBLOCK`. The corresponding C function is `fcntl(F_SETFL)`.
    public func setNonBlocking(_ on: Bool = true) throws(Errno) {
        try setStatusFlag(O_NONBLOCK, on)
    }

    /// Sets or clears `O_ASYNC` (SIGIO when the descriptor becomes ready). The corresponding C
    /// function is `fcntl(F_SETFL)`.
    public func setAsync(_ on: Bool) throws(Errno) {
        try setStatusFlag(O_ASYNC, on)
    }

    /// Sends this process the descriptor's SIGIO. The corresponding C function is
    /// `fcntl(F_SETOWN)`.
    public func setOwnerToThisProcess() throws(Errno) {
        _ = try callingOnce { clinux_fcntl(rawValue, F_SETOWN, getpid()) }
    }

    /// A device request with a pointer argument, EINTR retried. The corresponding C function is
    /// `ioctl(2)`; its result is returned (some requests answer a positive status).
    public func control(_ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        try retryingInterrupts { clinux_ioctl(rawValue, request, argument) }
    }

    /// Takes the file's advisory lock without waiting; EACCES/EAGAIN when another process
    /// holds it. The corresponding C function is `lockf(F_TLOCK)`.
    public func lockWithoutWaiting() throws(Errno) {
        _ = try callingOnce { lockf(rawValue, F_TLOCK, 0) }
    }

    /// Gives the open file to `uid` and `gid`. The corresponding C function is `fchown(2)`.
    public func setOwner(uid: UInt32, gid: UInt32) throws(Errno) {
        _ = try callingOnce { fchown(rawValue, uid, gid) }
    }

    /// Sets the open file's mode. The corresponding C function is `fchmod(2)`.
    public func setPermissions(_ permissions: UInt32) throws(Errno) {
        _ = try callingOnce { fchmod(rawValue, mode_t(permissions)) }
    }

    /// Flushes the file's data and metadata to the disk. The corresponding C function is
    /// `fsync(2)`.
    public func synchronize() throws(Errno) {
        _ = try callingOnce { fsync(rawValue) }
    }

    /// Cuts the file to `length` bytes. The corresponding C function is `ftruncate(2)`.
    public func truncate(to length: Int64 = 0) throws(Errno) {
        _ = try callingOnce { ftruncate(rawValue, off_t(length)) }
    }

    /// Marks the descriptor close-on-exec. The corresponding C function is `fcntl(F_SETFD)`.
    public func setCloseOnExec() throws(Errno) {
        let flags = try callingOnce { clinux_fcntl(rawValue, F_GETFD, 0) }
        if flags & FD_CLOEXEC == 0 { _ = try callingOnce { clinux_fcntl(rawValue, F_SETFD, flags | FD_CLOEXEC) } }
    }

    private func setStatusFlag(_ flag: Int32, _ on: Bool) throws(Errno) {
        let flags = try callingOnce { clinux_fcntl(rawValue, F_GETFL, 0) }
        let wanted = on ? flags | flag : flags & ~flag
        if wanted != flags { _ = try callingOnce { clinux_fcntl(rawValue, F_SETFL, wanted) } }
    }
}
