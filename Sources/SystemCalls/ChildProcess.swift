import Glibc
import CLinux

/// Where one of a child's standard streams is connected.
public enum SpawnStream: Sendable, Equatable {
    /// `/dev/null`.
    case null
    /// This descriptor of the parent (a pipe end), duplicated onto the stream.
    case descriptor(FileDescriptor)
    /// For standard error only: the same file as the child's standard output (`2>&1`).
    case standardOutput
}

/// How to start a child: a value that can be inspected before anything runs.
public struct SpawnRequest: Sendable, Equatable {
    /// The file to execute; with ``searchPath`` a bare name is looked up in `PATH`.
    public var path: String
    /// The whole argv, argv[0] included.
    public var arguments: [String]
    /// The child's whole environment; nil inherits the parent's.
    public var environment: [String]?
    /// Look a bare name up in `PATH`, as `execvp` does.
    public var searchPath: Bool
    public var standardInput: SpawnStream
    public var standardOutput: SpawnStream
    public var standardError: SpawnStream
    /// Run the child in a session (and so a process group) of its own (`setsid`), so that
    /// killing the group ends everything it started.
    public var newSession: Bool

    public init(
        path: String, arguments: [String], environment: [String]? = nil, searchPath: Bool = false,
        standardInput: SpawnStream = .null, standardOutput: SpawnStream = .null, standardError: SpawnStream = .null,
        newSession: Bool = false
    ) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
        self.searchPath = searchPath
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.newSession = newSession
    }
}

/// Child processes: the agent's one `posix_spawn` and one `waitpid`.
public enum ChildProcess {
    /// How a child ended.
    public enum Exit: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        /// Decodes a `waitpid(2)` status; nil for a stopped (not ended) child.
        public init?(waitStatus status: Int32) {
            let signal = status & 0x7F
            if signal == 0 {
                self = .exited((status >> 8) & 0xFF)
            } else if signal == 0x7F {
                return nil
            } else {
                self = .signaled(signal)
            }
        }
    }

    /// Starts a child as `request` describes and returns its pid at once.
    ///
    /// The child gets an empty signal mask and SIGPIPE at its default (the agent blocks the
    /// signals it reads through signalfd and ignores SIGPIPE; a child must not inherit that),
    /// and no descriptor but its three streams: every descriptor of the parent is marked
    /// close-on-exec first, catching those it inherited (a socket-activation fd, a leak from
    /// whatever started it). The error is that of the `exec` (ENOENT, EACCES, ENOEXEC...).
    /// The corresponding C function is `posix_spawn` (`posix_spawnp` with ``SpawnRequest/searchPath``).
    public static func spawn(_ request: SpawnRequest) throws(Errno) -> pid_t {
        markEverythingCloseOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Actions run in order: by the time stderr may copy stdout, stdout is in place.
        for (target, stream) in [(Int32(0), request.standardInput), (1, request.standardOutput), (2, request.standardError)] {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let fd):
                posix_spawn_file_actions_adddup2(&actions, fd.rawValue, target)
            case .standardOutput:
                posix_spawn_file_actions_adddup2(&actions, 1, target)
            }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if request.newSession { flags |= spawnSetSID }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var pid: pid_t = 0
        let result = withCStrings(request.arguments) { argv in
            withCStrings(request.environment ?? []) { environment -> Int32 in
                let envp = request.environment == nil ? clinux_environ() : environment
                if request.searchPath && !request.path.contains("/") {
                    return posix_spawnp(&pid, request.path, &actions, &attributes, argv, envp)
                }
                return posix_spawn(&pid, request.path, &actions, &attributes, argv, envp)
            }
        }
        if result != 0 { throw Errno(result) }
        return pid
    }

    /// How `pid` ended: waits for it, or with `blocking: false` returns nil while it runs.
    /// ECHILD means it was reaped already. The corresponding C function is `waitpid(2)`.
    public static func wait(_ pid: pid_t, blocking: Bool = true) throws(Errno) -> Exit? {
        var status: Int32 = 0
        while true {
            let reaped = try retryingInterrupts { waitpid(pid, &status, blocking ? 0 : WNOHANG) }
            if reaped == 0 { return nil }
            if let exit = Exit(waitStatus: status) { return exit }
            if !blocking { return nil }  // stopped, not ended
        }
    }

    /// Sends `signal` to the child, or with `group` to its whole process group. The
    /// corresponding C function is `kill(2)`.
    public static func kill(_ pid: pid_t, _ signal: Int32, group: Bool = false) throws(Errno) {
        _ = try callingOnce { Glibc.kill(group ? -pid : pid, signal) }
    }

    /// Marks every descriptor above stderr close-on-exec.
    private static func markEverythingCloseOnExec() {
        // The list includes the descriptor that read it, closed again by now: that one
        // fails with EBADF, harmlessly.
        for name in (try? Directory.names("/proc/self/fd")) ?? [] {
            guard let fd = Int32(name), fd > 2 else { continue }
            try? FileDescriptor(rawValue: fd).setCloseOnExec()
        }
    }
}

/// glibc's POSIX_SPAWN_SETSID (not exported to Swift): the child calls setsid().
private let spawnSetSID: Int32 = 0x80

/// A NULL-terminated array of C strings for argv/envp, freed after `body`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
