#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Daemonizing and the PID file, as qemu-ga's `become_daemon` and `qemu_write_pidfile`.
enum Daemon {
    /// Forks; the parent exits 0, the child continues detached (setsid, cwd /, umask 077,
    /// stdio on /dev/null) with only `kept` of the descriptors above stderr still open.
    static func detach(keeping kept: [Int32]) throws(ConfigurationError) {
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
        for fd in 3..<max(limit, 3) where !kept.contains(fd) { close(fd) }
    }

    /// A PID file this process created, locked and wrote; it stays open (and locked) for the
    /// life of the process.
    struct Pidfile {
        let path: String
        let fd: Int32

        /// Creates, locks and writes the PID file. A second agent with the same file fails
        /// here. Never writes through a symlink (O_NOFOLLOW), never into anything but a
        /// regular file with one link (a planted hard link or FIFO is refused), and only into
        /// the file that is at `path` once locked (qemu-ga's race check).
        static func create(_ path: String) throws(ConfigurationError) -> Pidfile {
            while true {
                let fd = open(path, O_CREAT | O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    let error = errno
                    let reason = error == ELOOP ? "it is a symbolic link" : String(cString: strerror(error))
                    throw ConfigurationError("cannot create pid file '\(path)': \(reason)")
                }
                var opened = stat()
                guard fstat(fd, &opened) == 0, (opened.st_mode & S_IFMT) == S_IFREG, opened.st_nlink == 1 else {
                    close(fd)
                    throw ConfigurationError("cannot create pid file '\(path)': not a regular file with a single link")
                }
                if lockf(fd, F_TLOCK, 0) != 0 {
                    close(fd)
                    throw ConfigurationError("cannot lock pid file '\(path)': another instance may be running")
                }
                // Another agent may have removed (at its exit) the file we opened: then lock
                // the new one instead.
                var current = stat()
                guard lstat(path, &current) == 0, current.st_ino == opened.st_ino, current.st_dev == opened.st_dev else {
                    close(fd)
                    continue
                }
                let text = Array("\(getpid())\n".utf8)
                let written = text.withUnsafeBytes { ftruncate(fd, 0) == 0 ? write(fd, $0.baseAddress, $0.count) : -1 }
                guard written == text.count else {
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    throw ConfigurationError("cannot write pid file '\(path)': \(reason)")
                }
                return Pidfile(path: path, fd: fd)
            }
        }

        /// Removes the file at exit (qemu-ga does too), unless something else is at the path now.
        func remove() {
            var opened = stat()
            var current = stat()
            if fstat(fd, &opened) == 0, lstat(path, &current) == 0, current.st_ino == opened.st_ino,
                current.st_dev == opened.st_dev
            {
                unlink(path)
            }
            close(fd)
        }
    }
}
