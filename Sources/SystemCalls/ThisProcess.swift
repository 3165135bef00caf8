import Glibc
import CLinux

/// This process: its arguments, environment and signal dispositions.
public enum ThisProcess {
    /// argv as the kernel passed it. Embedded Swift has no `CommandLine`: there the C `main`
    /// of the shipped binary saved it (Embedded/EmbeddedRuntime.c).
    public static var arguments: [String] {
        #if hasFeature(Embedded)
        guard let argv = clinux_argv() else { return [] }
        return (0..<Int(clinux_argc())).map { argv[$0].map { String(cString: $0) } ?? "" }
        #else
        return CommandLine.arguments
        #endif
    }

    /// The value of the environment variable `name`, if set.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// This process's ID. The corresponding C function is `getpid(2)`.
    public static var id: Int32 { getpid() }

    /// Forks: the child's ID in the parent, 0 in the child. The corresponding C function is
    /// `fork(2)`.
    public static func fork() throws(Errno) -> Int32 {
        try callingOnce { Glibc.fork() }
    }

    /// Leaves the terminal's session and process group: the process leads a new session. The
    /// corresponding C function is `setsid(2)`.
    public static func startSession() throws(Errno) {
        _ = try callingOnce { setsid() }
    }

    /// What a daemon does once detached: the root directory as working directory, a file-creation
    /// mask of `mask`, stdin/stdout/stderr on /dev/null, and every other descriptor closed but
    /// `kept` (descriptors inherited from a supervisor would otherwise stay open for its life).
    public static func settleAsDaemon(mask: UInt32, keeping kept: [Int32]) {
        umask(mode_t(mask))
        _ = chdir("/")
        if let null = try? FileDescriptor.open("/dev/null", O_RDWR) {
            for standard: Int32 in 0...2 { dup2(null.rawValue, standard) }
            if null.rawValue > 2 { try? null.close() }
        }
        let limit = min(Int32(sysconf(Int32(_SC_OPEN_MAX))), 65536)
        for fd in 3..<max(limit, 3) where !kept.contains(fd) { close(fd) }
    }

    /// Ignores `signal` from now on (and in children, until they exec). The corresponding C
    /// call is `signal(signal, SIG_IGN)`.
    public static func ignore(_ signal: Int32) {
        clinux_ignore_signal(signal)
    }
}
