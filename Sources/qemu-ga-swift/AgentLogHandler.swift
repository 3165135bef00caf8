#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging

/// Writes `<epoch.usec>: <level>: <message>` lines, qemu-ga's format, to a file descriptor.
struct AgentLogHandler: LogHandler {
    let fd: Int32
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let micros = Int(now.tv_nsec / 1000)
        var fraction = String(micros)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        let text = "\(now.tv_sec).\(fraction): \(Self.name(level)): \(message)\n"
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }

    /// GLib's level names, as qemu-ga prints them.
    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "debug"
        case .info: return "info"
        case .notice: return "message"
        case .warning: return "warning"
        case .error: return "error"
        case .critical: return "critical"
        }
    }
}
