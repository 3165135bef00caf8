import Glibc
import CLinux

/// The one error type of the agent: a QMP error class and the text hosts see.
///
/// Handlers throw it (or let ``QGAError/system(_:errno:)`` wrap an errno); the dispatcher
/// turns it into `{"error": {"class": ..., "desc": ...}}` in exactly one place.
public struct QGAError: Error, Sendable, Equatable, CustomStringConvertible {
    /// qemu-ga only ever uses these two classes.
    public enum Class: String, Sendable {
        case genericError = "GenericError"
        case commandNotFound = "CommandNotFound"
    }

    public var errorClass: Class
    public var desc: String
    /// The underlying errno, when the error came from a system call.
    public var errno: Int32?

    public init(_ desc: String, class errorClass: Class = .genericError, errno: Int32? = nil) {
        self.errorClass = errorClass
        self.desc = desc
        self.errno = errno
    }

    public var description: String { "\(errorClass.rawValue): \(desc)" }

    /// `{"class": ..., "desc": ...}`
    public var json: JSONValue {
        .object([JSONMember("class", .string(errorClass.rawValue)), JSONMember("desc", .string(desc))])
    }
}

extension QGAError {
    /// `<message>: <strerror(errno)>`, as qemu-ga's `error_setg_errno`.
    public static func system(_ message: String, errno: Int32) -> QGAError {
        QGAError("\(message): \(errorText(errno))", errno: errno)
    }

    /// glibc's `strerror` text for an errno value, whichever C library the agent is linked
    /// with (qemu-ga's texts are glibc's): CLinux's table, a lookup and no system call. Read here
    /// rather than through SystemCalls' `Errno`: QGAProtocol is the wire format alone, with no
    /// I/O (`make embedded-check` builds it on its own), so it does not take in the system-call
    /// layer for one lookup.
    public static func errorText(_ errno: Int32) -> String {
        guard let text = clinux_error_text(errno) else { return "Unknown error \(errno)" }
        return String(cString: text)
    }

    public static let unsupported = QGAError("this feature or command is not currently supported")

    public static func missingParameter(_ name: String) -> QGAError {
        QGAError("Parameter '\(name)' is missing")
    }

    public static func unexpectedParameter(_ name: String) -> QGAError {
        QGAError("Parameter '\(name)' is unexpected")
    }

    public static func invalidParameterType(_ name: String, expected: String) -> QGAError {
        QGAError("Invalid parameter type for '\(name)', expected: \(expected)")
    }

    public static func invalidParameterValue(_ name: String, value: String) -> QGAError {
        QGAError("Parameter '\(name)' does not accept value '\(value)'")
    }

    public static func commandNotFound(_ name: String) -> QGAError {
        QGAError("The command \(name) has not been found", class: .commandNotFound)
    }

    public static func commandDisabled(_ name: String, reason: String? = nil) -> QGAError {
        let suffix = reason.map { ": \($0)" } ?? ""
        return QGAError("Command \(name) has been disabled\(suffix)", class: .commandNotFound)
    }
}
