import Glibc
import CLinux
import SystemCalls
import QGAProtocol

/// Where the agent's log lines go, and the one place that knows not to write while filesystems
/// are frozen.
///
/// Lines read `<epoch>.<usec>: <level>: <message>` (qemu-ga's format, microseconds padded to 6
/// digits). While ``hold()`` is in force nothing is written to a file: lines wait in a bounded
/// in-memory buffer (the oldest are dropped and counted) until ``release()``. A stderr that is
/// a pipe, socket or terminal (journald, a console) is written through, because such writes
/// never touch a filesystem; a stderr redirected to a regular file is held like a log file.
/// With a log file, held warnings and errors are also echoed to such a stderr at once, so a
/// watchdog thaw or a start in frozen state is visible before the file can be written.
///
/// Audit lines (``audit(_:)``) go to syslog as qemu-ga sends them: `syslog(LOG_INFO, "info: <message>")`
/// with no `openlog`, so the identifier is the name the agent was started as and the facility
/// `LOG_USER`. They are held too while frozen, in a buffer of their own: syslog is a socket, but
/// the daemon behind it may be writing to a frozen filesystem, and a full socket would block the
/// agent that has to thaw it (qemu-ga drops them instead).
public final class AgentLogSink: Sendable {
    /// Where lines go.
    public enum Destination: Sendable, Equatable {
        case standardError
        /// `-l/--logfile`: opened in append mode on the first write that is not held, so an agent
        /// that starts frozen opens it only after thaw (qemu-ga's deferred log file).
        case file(String)
    }

    /// Lines kept while held (VMware keeps 4096 too).
    public static let defaultBufferLimit = 4096

    public let destination: Destination
    public let bufferLimit: Int
    private let clock: @Sendable () -> (seconds: Int, microseconds: Int)
    private let syslog: @Sendable (_ priority: Int32, _ message: String) -> Void
    private let state = Locked(State())

    private struct State {
        var fd: Int32 = -1
        var holding = false
        var passThrough = false
        var echoWarnings = false
        var lines = HeldLines()
        var audits = HeldLines()
    }

    /// - Parameters:
    ///   - bufferLimit: lines kept while held (each of log and audit lines); older ones are
    ///     dropped and counted.
    ///   - clock: wall-clock time for the timestamps (a seam for tests).
    ///   - syslog: where audit lines go (a seam for tests).
    public init(
        destination: Destination = .standardError, bufferLimit: Int = AgentLogSink.defaultBufferLimit,
        clock: @escaping @Sendable () -> (seconds: Int, microseconds: Int) = AgentLogSink.realTime,
        syslog: @escaping @Sendable (_ priority: Int32, _ message: String) -> Void = AgentLogSink.systemLog
    ) {
        self.destination = destination
        self.bufferLimit = max(1, bufferLimit)
        self.clock = clock
        self.syslog = syslog
    }

    deinit {
        state.withLock { if $0.fd > 2 { try? FileDescriptor(rawValue: $0.fd).close() } }
    }

    /// Opens the log file now (main calls this at startup when not frozen, to fail early as
    /// qemu-ga does: `unable to open specified log file: <strerror>`).
    public func open() throws(QGAError) {
        let errno: Int32? = state.withLock { state in
            if state.fd >= 0 { return nil }
            return openDestination(&state)
        }
        if let errno { throw QGAError.system("unable to open specified log file", errno: errno) }
    }

    /// Writes one formatted line now, or keeps it while held.
    public func write(level: LogLevel, _ message: String) {
        let now = clock()
        let line = "\(now.seconds).\(pad6(now.microseconds)): \(level.word): \(message)\n"
        state.withLock { state in
            if state.holding && !state.passThrough {
                state.lines.keep(line, limit: bufferLimit)
                if state.echoWarnings && level >= .warning { writeAll(2, line) }
            } else {
                emit(line, &state)
            }
        }
    }

    /// Sends one audit line to syslog now, or keeps it while held.
    public func audit(_ message: String) {
        let text = "\(LogLevel.info.word): \(message)"
        let held: Bool = state.withLock { state in
            guard state.holding else { return false }
            state.audits.keep(text, limit: bufferLimit)
            return true
        }
        if !held { syslog(LOG_INFO, text) }
    }

    /// Stops writing to files (filesystems are about to be frozen).
    public func hold() {
        state.withLock { state in
            guard !state.holding else { return }
            state.holding = true
            let stderrIsSafe = !isRegularFile(2)
            state.passThrough = destination == .standardError && stderrIsSafe
            state.echoWarnings = destination != .standardError && stderrIsSafe
        }
    }

    /// Writes out what was kept (preceded by a count of dropped lines) and writes directly again.
    public func release() {
        let now = clock()
        let audits: HeldLines = state.withLock { state in
            guard state.holding else { return HeldLines() }
            state.holding = false
            if state.lines.dropped > 0 {
                emit("\(now.seconds).\(pad6(now.microseconds)): warning: \(state.lines.dropped) log lines were dropped while filesystems were frozen\n", &state)
            }
            for line in state.lines.inOrder { emit(line, &state) }
            state.lines = HeldLines()
            let audits = state.audits
            state.audits = HeldLines()
            return audits
        }
        // Outside the lock: a slow syslog daemon must not stall other threads' log lines.
        if audits.dropped > 0 {
            syslog(LOG_WARNING, "warning: \(audits.dropped) audit lines were dropped while filesystems were frozen")
        }
        for text in audits.inOrder { syslog(LOG_INFO, text) }
    }

    /// The descriptor lines are written to, once opened (main keeps it across daemonizing).
    public var openDescriptor: Int32? { state.withLock { $0.fd >= 0 ? $0.fd : nil } }

    /// Log lines waiting for ``release()``.
    public var heldLineCount: Int { state.withLock { $0.lines.buffer.count } }
    /// Log lines dropped because the buffer was full.
    public var droppedLineCount: Int { state.withLock { $0.lines.dropped } }
    /// Audit lines waiting for ``release()``.
    public var heldAuditCount: Int { state.withLock { $0.audits.buffer.count } }

    /// `syslog(3)`, with the message passed as an argument, never as the format.
    @Sendable public static func systemLog(_ priority: Int32, _ message: String) {
        // withCString lends the string's own bytes; the implicit String-to-pointer conversion
        // copied them into a new array first (826 instructions of a guest-ping's 12,500 in
        // Embedded -Osize, callgrind).
        message.withCString { clinux_syslog(priority, $0) }
    }

    /// `CLOCK_REALTIME` as seconds and microseconds.
    @Sendable public static func realTime() -> (seconds: Int, microseconds: Int) {
        let now = RealTimeClock.now()
        return (Int(now.seconds), Int(now.nanoseconds / 1000))
    }

    // MARK: - Under the lock

    private func emit(_ line: String, _ state: inout State) {
        if state.fd < 0, openDestination(&state) != nil {
            // qemu-ga falls back to stderr when the deferred log file cannot be opened.
            state.fd = 2
        }
        writeAll(state.fd, line)
    }

    /// Returns the errno on failure.
    private func openDestination(_ state: inout State) -> Int32? {
        switch destination {
        case .standardError:
            state.fd = 2
            return nil
        case .file(let path):
            // O_NOFOLLOW: never append through a symlink someone planted at the log file's path.
            do {
                state.fd = try FileDescriptor.open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY, permissions: 0o640).rawValue
                return nil
            } catch {
                return error.rawValue
            }
        }
    }
}

/// Lines kept while held: a ring that overwrites the oldest line once full.
private struct HeldLines {
    var buffer: [String] = []
    var head = 0
    var dropped = 0

    mutating func keep(_ line: String, limit: Int) {
        if buffer.count < limit {
            buffer.append(line)
        } else {
            buffer[head] = line
            head = (head + 1) % limit
            dropped += 1
        }
    }

    /// Oldest first.
    var inOrder: [String] { Array(buffer[head...] + buffer[..<head]) }
}

private func pad6(_ value: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
}

private func writeAll(_ fd: Int32, _ line: String) {
    // Nowhere left to report a failing log write.
    try? FileDescriptor(rawValue: fd).writeAll(Array(line.utf8))
}

private func isRegularFile(_ fd: Int32) -> Bool {
    (try? FileDescriptor(rawValue: fd).status())?.kind == .regular
}
