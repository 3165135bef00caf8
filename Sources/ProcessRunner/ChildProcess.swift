#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child the agent starts and leaves running while it goes on serving (`guest-exec`).
public struct ChildRequest: Sendable, Equatable, CustomStringConvertible {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable, Equatable {
        /// `/dev/null`.
        case null
        /// A pipe whose other end the agent keeps (non-blocking).
        case pipe
        /// For standard error only: the same file as standard output (`2>&1`).
        case standardOutput
    }

    /// A path, or a bare name looked up in the `PATH` of ``environment`` (else the agent's).
    public var path: String
    /// argv[1...]; argv[0] is ``path`` as given.
    public var arguments: [String]
    /// The child's whole environment; `nil` inherits the agent's.
    public var environment: [String]?
    public var standardInput: Stream
    public var standardOutput: Stream
    public var standardError: Stream

    public init(
        path: String, arguments: [String] = [], environment: [String]? = nil, standardInput: Stream = .null,
        standardOutput: Stream = .null, standardError: Stream = .null
    ) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    public var description: String { ([path] + arguments).joined(separator: " ") }
}

/// A started child: its pid and the agent's (non-blocking, close-on-exec) ends of its pipes.
public struct SpawnedChild: Sendable, Equatable {
    public var pid: Int32
    public var standardInput: Int32?
    public var standardOutput: Int32?
    public var standardError: Int32?

    public init(pid: Int32, standardInput: Int32? = nil, standardOutput: Int32? = nil, standardError: Int32? = nil) {
        self.pid = pid
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// How a reaped child ended.
public enum ChildExit: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
    /// Someone else reaped it (`ECHILD`): the status is lost.
    case unknown
}

/// Why a child could not be started: the errno of `pipe(2)` or of the `exec` inside `posix_spawn`.
public struct SpawnError: Error, Sendable, Equatable {
    public var errno: Int32
    public init(errno: Int32) { self.errno = errno }
}

extension ProcessRunner {
    /// Starts `request` and returns at once (`posix_spawn`), with glib's `g_spawn` semantics:
    /// a bare name is searched in the `PATH` of the child's environment (else the agent's, else
    /// `/bin:/usr/bin:.`), skipping entries that fail with ENOENT/ENOTDIR/EACCES and the like;
    /// a file the kernel cannot execute (ENOEXEC) is run by `/bin/sh`. The child gets an empty
    /// signal mask and SIGPIPE at its default (the agent blocks or ignores both), and inherits
    /// no other descriptor (the agent opens everything close-on-exec).
    public static func start(_ request: ChildRequest) throws(SpawnError) -> SpawnedChild {
        closeOnExecEverything()
        var pipes: [Int32] = []
        func newPipe() throws(SpawnError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard makePipe(&fds) else {
                let code = errno
                pipes.forEach(closeIfOpen)
                throw SpawnError(errno: code)
            }
            pipes += fds
            return (fds[0], fds[1])
        }
        let input = request.standardInput == .pipe ? try newPipe() : nil
        let output = request.standardOutput == .pipe ? try newPipe() : nil
        let error = request.standardError == .pipe ? try newPipe() : nil

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        switch request.standardError {
        case .pipe: if let error { posix_spawn_file_actions_adddup2(&actions, error.write, 2) }
        case .null: posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Actions run in order: fd 1 is already in place.
        case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, 2)
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
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let result = withCStrings(request.environment ?? []) { environmentPointers -> Int32 in
            let envp = request.environment == nil ? UnsafePointer(environ) : environmentPointers
            return searchAndSpawn(request, &pid, &actions, &attributes, envp)
        }
        // The child has its ends (or never will): the agent keeps only its own.
        for end in [input?.read, output?.write, error?.write] { if let end { closeIfOpen(end) } }
        if result != 0 {
            for end in [input?.write, output?.read, error?.read] { if let end { closeIfOpen(end) } }
            throw SpawnError(errno: result)
        }
        for end in [input?.write, output?.read, error?.read] {
            if let end { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        }
        return SpawnedChild(pid: pid, standardInput: input?.write, standardOutput: output?.read, standardError: error?.read)
    }

    /// `waitpid(pid, WNOHANG)`: how the child ended, or nil while it runs.
    public static func reap(_ pid: Int32) -> ChildExit? {
        var status: Int32 = 0
        let reaped = waitpidRetrying(pid, &status, WNOHANG)
        if reaped == 0 { return nil }
        if reaped < 0 { return errno == ECHILD ? .unknown : nil }
        let signal = status & 0x7F
        if signal == 0 { return .exited((status >> 8) & 0xFF) }
        if signal == 0x7F { return nil }  // stopped, not ended
        return .signaled(signal)
    }

    /// Tries each candidate of glib's PATH search in turn; returns 0 or the errno to report.
    private static func searchAndSpawn(
        _ request: ChildRequest, _ pid: inout pid_t, _ actions: inout posix_spawn_file_actions_t,
        _ attributes: inout posix_spawnattr_t, _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Int32 {
        if request.path.isEmpty { return ENOENT }
        let candidates: [String]
        if request.path.contains("/") {
            candidates = [request.path]
        } else {
            let searchPath = pathVariable(request.environment) ?? "/bin:/usr/bin:."
            // An empty entry means the current directory: the bare name itself.
            candidates = searchPath.split(separator: ":", omittingEmptySubsequences: false).map {
                let directory = String($0)
                if directory.isEmpty { return request.path }
                return directory.hasSuffix("/") ? directory + request.path : directory + "/" + request.path
            }
        }
        var sawAccessDenied = false
        var last: Int32 = ENOENT
        for candidate in candidates {
            var result = withCStrings([request.path] + request.arguments) { argv in
                posix_spawn(&pid, candidate, &actions, &attributes, argv, envp)
            }
            if result == ENOEXEC {
                // Not a binary and no #! line: glib (like execvp) hands it to the shell.
                result = withCStrings(["/bin/sh", candidate] + request.arguments) { argv in
                    posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
                }
            }
            switch result {
            case 0:
                return 0
            case EACCES:
                sawAccessDenied = true
                last = result
            case ENOENT, ENOTDIR, ESTALE, ENODEV, ETIMEDOUT:
                last = result
            default:
                return result
            }
        }
        return sawAccessDenied ? EACCES : last
    }

    /// Marks every descriptor above stderr close-on-exec, so a child inherits only what it is
    /// given (glib closes them all in the child). The agent's own are already; this catches
    /// those it inherited: a socket-activation fd, a leak from whatever started it.
    static func closeOnExecEverything() {
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let own = dirfd(directory)
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard let fd = Int32(name), fd > 2, fd != own else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// `PATH` from the child's environment, else the agent's.
    private static func pathVariable(_ environment: [String]?) -> String? {
        if let environment, let entry = environment.first(where: { $0.hasPrefix("PATH=") }) {
            return String(entry.dropFirst(5))
        }
        return getenv("PATH").map { String(cString: $0) }
    }
}
