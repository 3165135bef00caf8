/// Severity of a log line, in GLib's (qemu-ga's) order and with its words.
public enum LogLevel: Int, Comparable, Sendable {
    case debug, info, warning, error

    /// The word qemu-ga writes between the timestamp and the message.
    public var word: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .warning: return "warning"
        case .error: return "error"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The logger handlers get through ``CommandContext/logger``: a value, so a test hands in one
/// that records, and the agent one that writes through its ``AgentLogSink``.
///
/// Two kinds of lines, as qemu-ga has them:
/// - leveled lines (`debug` ... `error`) go to the log file or stderr when at or above ``level``
///   (`-v` lowers it to `debug`; without it only errors are written);
/// - audit lines (``audit(_:)``, qemu-ga's `slog`) record what the host asked of the guest. They
///   go to syslog whatever ``level`` says, and never to the log file.
public struct AgentLogger: Sendable {
    /// Lines below this level are dropped (their text is never even built).
    public var level: LogLevel
    private let writeLine: @Sendable (LogLevel, String) -> Void
    private let writeAudit: @Sendable (String) -> Void

    /// A logger writing through `write` and `audit` (tests record with these).
    public init(
        level: LogLevel, write: @escaping @Sendable (LogLevel, String) -> Void,
        audit: @escaping @Sendable (String) -> Void
    ) {
        self.level = level
        self.writeLine = write
        self.writeAudit = audit
    }

    /// The agent's logger: every line through `sink`, which holds them while filesystems are frozen.
    public init(sink: AgentLogSink, level: LogLevel) {
        self.init(level: level, write: { sink.write(level: $0, $1) }, audit: { sink.audit($0) })
    }

    /// Writes nothing (the default of contexts built in tests and tools).
    public static let discarding = AgentLogger(level: .error, write: { _, _ in }, audit: { _ in })

    public func log(_ lineLevel: LogLevel, _ message: @autoclosure () -> String) {
        if lineLevel >= level { writeLine(lineLevel, message()) }
    }

    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }

    /// An audit line (qemu-ga's `slog`): to syslog, always.
    public func audit(_ message: String) { writeAudit(message) }
}
