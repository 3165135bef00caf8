import Glibc

/// Waits until one of `descriptors` is ready or `timeoutMilliseconds` pass (-1: no limit) and
/// returns how many are ready (0 on timeout). EINTR is thrown, not retried: a caller waiting
/// for signals through a signalfd wants to look at them first. The corresponding C function is
/// `poll(2)`.
public func poll(_ descriptors: inout [pollfd], timeoutMilliseconds: Int32) throws(Errno) -> Int {
    let count = nfds_t(descriptors.count)
    return Int(try callingOnce { Glibc.poll(&descriptors, count, timeoutMilliseconds) })
}

extension FileDescriptor {
    /// Whether the descriptor has input (or end of file) within `timeoutMilliseconds`; false on
    /// timeout or interruption.
    public func waitForInput(timeoutMilliseconds: Int32) -> Bool {
        // One pollfd on the stack: this runs in the subprocess reader's loop, no array needed.
        var descriptor = pollfd(fd: rawValue, events: Int16(POLLIN), revents: 0)
        guard let ready = try? callingOnce({ Glibc.poll(&descriptor, 1, timeoutMilliseconds) }), ready > 0 else {
            return false
        }
        return descriptor.revents != 0
    }
}
