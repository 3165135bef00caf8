#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Daemonizing and the PID file, as qemu-ga's `become_daemon` and `ga_open_pidfile`.
enum Daemon {
    /// Forks; the parent exits 0, the child continues detached (setsid, cwd /, umask 077,
    /// stdio on /dev/null).
    static func detach(keeping keptFD: Int32) throws(ConfigurationError) {
        let pid = fork()
        if pid < 0 { throw ConfigurationError("fork: \(String(cString: strerror(errno)))") }
        if pid > 0 { exit(0) }
        umask(0o077)
        if setsid() < 0 { throw ConfigurationError("setsid: \(String(cString: strerror(errno)))") }
        _ = chdir("/")
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, 0)
            dup2(null, 1)
            dup2(null, 2)
            if null > 2 { close(null) }
        }
        // Descriptors inherited from whoever started us (a supervisor's pipes, say) would
        // otherwise stay open for the daemon's whole life.
        let limit = min(Int32(sysconf(Int32(_SC_OPEN_MAX))), 65536)
        for fd in 3..<max(limit, 3) where fd != keptFD { close(fd) }
    }

    /// Creates and locks the PID file; a second agent with the same file fails here.
    /// The descriptor stays open (and locked) for the life of the process.
    static func writePidfile(_ path: String) throws(ConfigurationError) -> Int32 {
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ConfigurationError("cannot create pid file '\(path)': \(String(cString: strerror(errno)))")
        }
        if lockf(fd, F_TLOCK, 0) != 0 {
            close(fd)
            throw ConfigurationError("cannot lock pid file '\(path)': another instance may be running")
        }
        _ = ftruncate(fd, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        return fd
    }
}
