import Glibc
import SystemCalls

/// Daemonizing and the PID file, as qemu-ga's `become_daemon` and `qemu_write_pidfile`.
enum Daemon {
    /// Forks; the parent exits 0, the child continues detached (setsid, cwd /, umask 077,
    /// stdio on /dev/null) with only `kept` of the descriptors above stderr still open.
    static func detach(keeping kept: [Int32]) throws(ConfigurationError) {
        let pid: Int32
        do {
            pid = try ThisProcess.fork()
        } catch {
            throw ConfigurationError("fork: \(error)")
        }
        if pid > 0 { exit(0) }
        do {
            try ThisProcess.startSession()
        } catch {
            throw ConfigurationError("setsid: \(error)")
        }
        ThisProcess.settleAsDaemon(mask: 0o077, keeping: kept)
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
                if (try? fd.lockWithoutWaiting()) == nil {
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
                    try fd.truncate()
                    try fd.writeAll(Array("\(ThisProcess.id)\n".utf8))
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
                FileSystem.removeIfPresent(path)
            }
            try? fd.close()
        }
    }
}
