import Glibc
import CLinux
import SystemCalls

/// The agent's event loop: one `poll(2)` over the channel, the signalfd, the command layer's
/// watched descriptors and a deadline.
///
/// Nothing wakes the agent periodically. With no host on a virtio-serial port the kernel
/// reports EOF and POLLHUP without end (qemu-ga sleeps 100 ms and polls again); here the
/// port is dropped from the poll set and the loop waits for the SIGIO that virtio_console
/// sends when the host opens its end.
public final class ChannelServer {
    public enum Endpoint {
        case listening(ListeningSocket)
        case device(DevicePort)
    }

    /// Why `run()` returned.
    public enum Ending: Equatable, Sendable {
        /// A signal handler (or `stop()`) asked to stop.
        case stopped
        /// The device failed or hung up and there is no `-r`: what went wrong, to log. qemu-ga
        /// ends its main loop then and exits 0; so do we, so that a hot-unplugged port (read
        /// gives ENODEV) stops the service cleanly instead of leaving it "failed".
        case channelLost(String)
    }

    /// Called for SIGTERM, SIGINT, SIGHUP; return true to leave `run()`.
    public var onSignal: (Int32) -> Bool = { $0 == SIGTERM || $0 == SIGINT }
    /// The next moment (monotonic seconds) `onDeadline` wants to run, if any.
    public var deadline: () -> Double? = { nil }
    public var onDeadline: () -> Void = {}
    /// More descriptors to watch for the command layer (the pipes of `guest-exec` children),
    /// asked for on every pass; `onWatchedReady` runs when any of them is ready.
    public var watched: () -> [pollfd] = { [] }
    public var onWatchedReady: () -> Void = {}
    /// Called for SIGCHLD (when the signal source includes it): a child ended, so its exit
    /// status can be collected at once instead of leaving a zombie until the host asks.
    public var onChildExited: () -> Void = {}
    /// With `-r/--retry-path`: reopens the device after an error; nil exits instead.
    public var reopenDevice: (() throws(ChannelError) -> DevicePort)?
    /// Seconds between reopen attempts (qemu-ga uses 5).
    public var retryInterval: Double = 5
    /// How long a reply waits for a virtio host whose request arrived before its port-open
    /// (see `awaitVirtioHost`); a host that really left costs this much, once.
    public var virtioAttachGrace: Double = 1
    /// Called with a line worth logging (client changes, device errors).
    public var log: (String) -> Void = { _ in }
    /// Which peers a listening socket serves; any other connection is closed unanswered.
    public var peers = VsockPeerPolicy()
    /// Called with a line an administrator should see without `-v` (a refused peer).
    public var logAlways: (String) -> Void = { _ in }

    private var endpoint: Endpoint
    private let handler: any ChannelHandler
    private let signals: SignalSource
    private var client: Int32 = -1
    private var hostAttached = true
    private var retryAt: Double?
    private var running = false
    private var lostChannel: String?
    private var input: [UInt8]
    private var output: [UInt8] = []
    /// Bytes read and replies written since the heap was last trimmed.
    private var bytesSinceTrim = 0
    /// After this much traffic the free heap is given back (``ProcessMemory/releaseFreePages()``)
    /// once the channel has been quiet for ``trimQuietMilliseconds``: ordinary traffic never
    /// reaches it, one huge request does, and then the agent returns to its idle size.
    public static let trimAfterBytes = 1 << 20
    public static let trimQuietMilliseconds: Int32 = 50

    public init(endpoint: Endpoint, handler: any ChannelHandler, signals: SignalSource, readSize: Int = 64 << 10) {
        self.endpoint = endpoint
        self.handler = handler
        self.signals = signals
        self.input = [UInt8](repeating: 0, count: readSize)
        output.reserveCapacity(readSize)
    }

    /// Serves until a signal handler asks to stop or the device is lost without `-r`; throws
    /// only when the loop itself cannot go on (poll fails, `-r`'s reopen cannot be set up).
    @discardableResult
    public func run() throws(ChannelError) -> Ending {
        running = true
        lostChannel = nil
        if case .device(let port) = endpoint, port.isVirtio { setAsync(port.fd, false) }
        defer {
            if client >= 0 { try? FileDescriptor(rawValue: client).close() }
            client = -1
        }
        var fds: [pollfd] = []
        fds.reserveCapacity(8)
        while running {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0))
            let channel = channelFD()
            if let fd = channel { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let watchedStart = fds.count
            fds.append(contentsOf: watched())

            // After heavy traffic, wake once when the channel has gone quiet to trim the heap.
            let trimDue = bytesSinceTrim >= Self.trimAfterBytes
            var timeout = pollTimeout()
            if trimDue && (timeout < 0 || timeout > Self.trimQuietMilliseconds) { timeout = Self.trimQuietMilliseconds }
            let ready: Int
            do {
                ready = try poll(&fds, timeoutMilliseconds: timeout)
            } catch .interrupted {
                continue
            } catch {
                throw ChannelError("poll: \(error)", errno: error.rawValue)
            }
            if ready == 0 && trimDue {
                ProcessMemory.releaseFreePages()
                bytesSinceTrim = 0
            }
            if fds[0].revents != 0 { handleSignals() }
            if !running { break }
            if let due = deadline(), MonotonicClock.seconds() >= due { onDeadline() }
            if let due = retryAt, MonotonicClock.seconds() >= due { retryOpen() }
            if fds[watchedStart...].contains(where: { $0.revents != 0 }) { onWatchedReady() }
            if channel != nil, fds[1].revents != 0 { serviceChannel() }
        }
        return lostChannel.map { .channelLost($0) } ?? .stopped
    }

    /// Makes `run()` return after the current event.
    public func stop() { running = false }

    // MARK: Events

    private func channelFD() -> Int32? {
        switch endpoint {
        case .listening(let socket):
            return client >= 0 ? client : socket.fd
        case .device(let port):
            if retryAt != nil { return nil }
            return hostAttached ? port.fd : nil
        }
    }

    private func pollTimeout() -> Int32 {
        var due: Double? = deadline()
        if let retry = retryAt { due = min(due ?? retry, retry) }
        guard let due else { return -1 }
        let left = due - MonotonicClock.seconds()
        if left <= 0 { return 0 }
        return Int32(min(left * 1000 + 1, Double(Int32.max)))
    }

    private func handleSignals() {
        for signal in signals.drain() {
            if signal == SIGIO {
                hostMayHaveAttached()
            } else if signal == SIGCHLD {
                // One SIGCHLD may stand for several children: the callback reaps them all.
                onChildExited()
            } else if onSignal(signal) {
                running = false
            }
        }
    }

    /// SIGIO on a virtio port: the host opened (or closed) its end. Try a read to find out.
    private func hostMayHaveAttached() {
        guard case .device(let port) = endpoint, port.isVirtio, !hostAttached, retryAt == nil else { return }
        hostAttached = true
        setAsync(port.fd, false)
        handler.connectionStarted()
        log("virtio-serial: host may have connected")
        serviceChannel()
    }

    private func serviceChannel() {
        switch endpoint {
        case .listening(let socket):
            if client < 0 {
                guard let accepted = socket.accept() else { return }
                if let refusal = peers.refusal(of: accepted.peer) {
                    // Closed before a byte is read or written: the peer sees end of file.
                    try? FileDescriptor(rawValue: accepted.fd).close()
                    logAlways(refusal)
                    return
                }
                client = accepted.fd
                handler.connectionStarted()
                log("client connected")
                return
            }
            readClient()
        case .device(let port):
            readDevice(port)
        }
    }

    /// One read into the input buffer: the count (0 at end of file) or the errno.
    private func readInput(_ fd: Int32) -> Result<Int, Errno> {
        input.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) -> Int in try FileDescriptor(rawValue: fd).read(into: raw) }
        }
    }

    private func readClient() {
        let outcome = readInput(client)
        switch outcome {
        case .success(let n) where n > 0:
            deliver(count: n, to: client)
            return
        case .failure(.wouldBlock):
            return
        case .success:
            log("client disconnected")
        case .failure(let error):
            // ECONNRESET after a client left with replies unread: only this client ends.
            log("client error: \(error)")
        }
        try? FileDescriptor(rawValue: client).close()
        client = -1
    }

    private func readDevice(_ port: DevicePort) {
        let outcome = readInput(port.fd)
        if case .success(let n) = outcome, n > 0 {
            deliver(count: n, to: port.fd)
            return
        }
        if case .failure(.wouldBlock) = outcome { return }
        if case .success = outcome {
            // A serial line (or a test's socketpair) that reads EOF has hung up for good.
            guard port.isVirtio else { return deviceFailed(port, code: nil) }
            // No host attached. Wait for SIGIO instead of polling a descriptor that is
            // always readable; re-read once after arming it to close the race with a host
            // that attached in between.
            setAsync(port.fd, true)
            hostAttached = false
            log("virtio-serial: no host attached, waiting for SIGIO")
            let again = readInput(port.fd)
            switch again {
            case .success(0): break
            case .success(let n):
                hostAttached = true
                setAsync(port.fd, false)
                handler.connectionStarted()
                deliver(count: n, to: port.fd)
            case .failure(.wouldBlock):
                hostAttached = true
                setAsync(port.fd, false)
                handler.connectionStarted()
            case .failure: break
            }
            return
        }
        if case .failure(let error) = outcome { deviceFailed(port, code: error) }
    }

    private func deviceFailed(_ port: DevicePort, code: Errno?) {
        let reason = code.map { "\($0)" } ?? "end of file"
        let message = "error reading channel '\(port.path)': \(reason)"
        guard reopenDevice != nil else {
            lostChannel = message
            running = false
            return
        }
        log(message + "; reopening in \(Int(retryInterval)) s")
        port.close()
        retryAt = MonotonicClock.seconds() + retryInterval
    }

    private func retryOpen() {
        guard let reopenDevice else { return }
        do {
            let port = try reopenDevice()
            endpoint = .device(port)
            retryAt = nil
            hostAttached = true
            if port.isVirtio { setAsync(port.fd, false) }
            handler.connectionStarted()
            log("channel reopened: \(port.path)")
        } catch {
            log("\(error); retrying in \(Int(retryInterval)) s")
            retryAt = MonotonicClock.seconds() + retryInterval
        }
    }

    /// Input bytes handed to the handler per call. Small enough that the replies to one
    /// slice stay small even for large replies (40 guest-info requests fit in 1 KB).
    public static let inputSliceBytes = 1024
    /// Pending replies are written once they reach this size, and at the end of the batch.
    public static let replyFlushBytes = 64 << 10

    /// Hands the bytes to the handler and writes the replies: one write per batch, unless the
    /// replies outgrow ``replyFlushBytes`` (a host pipelining thousands of guest-info requests
    /// would otherwise make the agent hold megabytes of replies at once).
    private func deliver(count: Int, to fd: Int32) {
        output.removeAll(keepingCapacity: true)
        var offset = 0
        var writable = true
        while offset < count {
            let end = min(count, offset + Self.inputSliceBytes)
            input.withUnsafeBytes { handler.received(UnsafeRawBufferPointer(rebasing: $0[offset..<end]), into: &output) }
            offset = end
            if output.count >= Self.replyFlushBytes {
                // Every request still runs when the reader is gone; its replies are dropped.
                if writable { writable = writeAll(fd) }
                output.removeAll(keepingCapacity: true)
            }
        }
        if !output.isEmpty && writable { _ = writeAll(fd) }
        bytesSinceTrim += count
        // A 48 MiB guest-file-read leaves a 64 MiB buffer behind: give it back.
        if output.capacity > Self.trimAfterBytes {
            bytesSinceTrim += output.capacity
            output = []
        }
    }

    private var isVirtio: Bool {
        if case .device(let port) = endpoint { return port.isVirtio }
        return false
    }

    /// Writes the pending replies; waits for POLLOUT (never spins) and keeps serving signals.
    /// False when the reader is gone.
    @discardableResult
    private func writeAll(_ fd: Int32) -> Bool {
        var hostGraceUntil: Double?
        var offset = 0
        while offset < output.count && running {
            let written = output[offset...].withUnsafeBytes { raw in
                Result { () throws(Errno) -> Int in try FileDescriptor(rawValue: fd).write(raw) }
            }
            switch written {
            case .success(let n):
                offset += n
            case .failure(.wouldBlock):
                var fds = [
                    pollfd(fd: fd, events: Int16(POLLOUT), revents: 0),
                    pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
                ]
                _ = try? poll(&fds, timeoutMilliseconds: -1)
                if fds[1].revents != 0 { handleSignals() }
                if fds[0].revents & Int16(POLLOUT) == 0 && fds[0].revents & Int16(POLLHUP | POLLERR) != 0 {
                    // A virtio port without a host reports POLLHUP and never POLLOUT: polling
                    // it would spin. The host may still be attaching, though: wait for its
                    // port-open (SIGIO) for a moment, then drop these replies; a new host
                    // syncs first anyway.
                    if isVirtio {
                        let until = hostGraceUntil ?? MonotonicClock.seconds() + virtioAttachGrace
                        hostGraceUntil = until
                        if awaitVirtioHost(fd, until: until) { continue }
                    }
                    log("write: peer hung up; \(output.count - offset) bytes dropped")
                    return false
                }
            case .failure(let error):
                // The reader went away (EPIPE, ECONNRESET; ENODEV when a virtio host detached):
                // these replies have nobody to go to.
                log("write: \(error); \(output.count - offset) bytes dropped")
                return false
            }
        }
        return true
    }

    /// Waits until the virtio port is writable, for SIGIO rather than on the port itself.
    ///
    /// virtio_console delivers host data from its interrupt handler but handles the host's
    /// port-open message later, in a workqueue. A host that connects and writes at once (as
    /// libvirt does with `guest-sync`) can therefore have its request read while the port
    /// still says "no host": writes give EAGAIN and poll gives POLLHUP until the open is
    /// processed, and that sends SIGIO. Measured in the e2e VM with a busy guest: 34 of 40
    /// immediate syncs after a reconnect went unanswered when the reply was dropped here.
    /// Returns false at `until`, or when the loop is stopping.
    private func awaitVirtioHost(_ fd: Int32, until: Double) -> Bool {
        // Armed before the check below, so a port-open after the check leaves SIGIO pending.
        setAsync(fd, true)
        defer { setAsync(fd, false) }
        while running {
            var port = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
            _ = try? poll(&port, timeoutMilliseconds: 0)
            if port[0].revents & Int16(POLLOUT) != 0 { return true }
            let left = until - MonotonicClock.seconds()
            if left <= 0 { return false }
            if FileDescriptor(rawValue: signals.fd).waitForInput(timeoutMilliseconds: Int32(left * 1000) + 1) {
                handleSignals()
            }
        }
        return false
    }

    private func setAsync(_ fd: Int32, _ on: Bool) {
        try? FileDescriptor(rawValue: fd).setAsync(on)
    }
}
