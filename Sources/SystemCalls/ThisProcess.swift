import Glibc
import CLinux

/// This process: its arguments, environment and signal dispositions.
public enum ThisProcess {
    /// argv as the kernel passed it (Embedded Swift has no `CommandLine`).
    public static var arguments: [String] {
        guard let argv = clinux_argv() else { return [] }
        return (0..<Int(clinux_argc())).map { argv[$0].map { String(cString: $0) } ?? "" }
    }

    /// The value of the environment variable `name`, if set.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// Ignores `signal` from now on (and in children, until they exec). The corresponding C
    /// call is `signal(signal, SIG_IGN)`.
    public static func ignore(_ signal: Int32) {
        clinux_ignore_signal(signal)
    }
}
