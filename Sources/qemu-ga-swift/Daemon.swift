import Glibc
import SystemCalls

/// Daemonizing and the PID file, as qemu-ga's `become_daemon` and `qemu_write_pidfile`.
enum Daemon {
    /// Forks; the parent exits 0, the child continues detached (setsid, cwd /, umask 077,
    /// stdio on /dev/null) with only `kept` of the descriptors above stderr still open.
    static func detach(keeping kept: [Int32]) throws(ConfigurationError) {
        let pid = fork()
        if pid < 0 { throw ConfigurationError("fork: \(Errno.current)") }
        if pid > 0 { exit(0) }
        umask(0o077)
        if setsid() < 0 { throw ConfigurationError("setsid: \(Errno.current)") }
        _ = chdir("/")
        if let null = try? FileDescriptor.open("/dev/null", O_RDWR) {
            dup2(null.rawValue, 0)
            dup2(null.rawValue, 1)
            dup2(null.rawValue, 2)
            if null.rawValue > 2 { try? null.close() }
        }
        // Descriptors inherited from whoever started us (a supervisor's pipes, say) would
        // otherwise stay open for the daemon's whole life.
        let limit = min(Int32(sysconf(Int32(_SC_OPEN_MAX))), 65536)
        for fd in 3..<max(limit, 3) where !kept.contains(fd) { close(fd) }
    }

    /// A PID file this process created, locked and wrote; it stays open (and locked) for the
    /// life of the process.
    struct Pidfile {
        let path: String
        let fd: FileDescriptor

        /// Creates, locks and writes the PID file. A second agent with the same file fails
        /// here. Never writes through a symlink (O_NOFOLLOW), never into anything but a
        /// regular file with one link (a planted hard link or FIFO is refused), and only into
        /// the file that is at `path` once locked (qemu-ga's race check).
        static func create(_ path: String) throws(ConfigurationError) -> Pidfile {
            while true {
                let fd: FileDescriptor
                do {
                    fd = try FileDescriptor.open(path, O_CREAT | O_WRONLY | O_NOFOLLOW | O_NONBLOCK, permissions: 0o600)
                } catch {
                    let reason = error.rawValue == ELOOP ? "it is a symbolic link" : error.description
                    throw ConfigurationError("cannot create pid file '\(path)': \(reason)")
                }
                guard let opened = try? fd.status(), opened.kind == .regular, opened.linkCount == 1 else {
                    try? fd.close()
                    throw ConfigurationError("cannot create pid file '\(path)': not a regular file with a single link")
                }
                if lockf(fd.rawValue, F_TLOCK, 0) != 0 {
                    try? fd.close()
                    throw ConfigurationError("cannot lock pid file '\(path)': another instance may be running")
                }
                // Another agent may have removed (at its exit) the file we opened: then lock
                // the new one instead.
                guard let current = try? FileStatus.of(path, followingLinks: false), current.isSameFile(as: opened) else {
                    try? fd.close()
                    continue
                }
                do {
                    _ = try callingOnce { ftruncate(fd.rawValue, 0) }
                    try fd.writeAll(Array("\(getpid())\n".utf8))
                } catch {
                    try? fd.close()
                    throw ConfigurationError("cannot write pid file '\(path)': \(error)")
                }
                return Pidfile(path: path, fd: fd)
            }
        }

        /// Removes the file at exit (qemu-ga does too), unless something else is at the path now.
        func remove() {
            if let opened = try? fd.status(), let current = try? FileStatus.of(path, followingLinks: false),
                current.isSameFile(as: opened)
            {
                unlink(path)
            }
            try? fd.close()
        }
    }
}
