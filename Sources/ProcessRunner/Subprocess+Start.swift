import Glibc
import SystemCalls

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

extension Subprocess {
    /// Starts `request` and returns at once, with glib's `g_spawn` semantics:
    /// a bare name is searched in the `PATH` of the child's environment (else the agent's, else
    /// `/bin:/usr/bin:.`), skipping entries that fail with ENOENT/ENOTDIR/EACCES and the like;
    /// a file the kernel cannot execute (ENOEXEC) is run by `/bin/sh`. Signal mask and
    /// descriptors are those of ``SystemCalls/ChildProcess/spawn(_:)``.
    public static func start(_ request: ChildRequest) throws(SpawnError) -> SpawnedChild {
        var pipes: [FileDescriptor] = []
        func newPipe() throws(SpawnError) -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
            do {
                let pipe = try FileDescriptor.pipe()
                pipes += [pipe.readEnd, pipe.writeEnd]
                return pipe
            } catch {
                for fd in pipes { try? fd.close() }
                throw SpawnError(errno: error.rawValue)
            }
        }
        let input = request.standardInput == .pipe ? try newPipe() : nil
        let output = request.standardOutput == .pipe ? try newPipe() : nil
        let error = request.standardError == .pipe ? try newPipe() : nil

        func stream(_ kind: ChildRequest.Stream, _ childEnd: FileDescriptor?) -> SpawnStream {
            switch kind {
            case .null: return .null
            case .pipe: return childEnd.map { .descriptor($0) } ?? .null
            case .standardOutput: return .standardOutput
            }
        }
        var spawn = SpawnRequest(
            path: request.path, arguments: [request.path] + request.arguments, environment: request.environment,
            standardInput: stream(request.standardInput, input?.readEnd),
            standardOutput: stream(request.standardOutput, output?.writeEnd),
            standardError: stream(request.standardError, error?.writeEnd))
        let result = searchAndSpawn(request, &spawn)
        // The child has its ends (or never will): the agent keeps only its own.
        for end in [input?.readEnd, output?.writeEnd, error?.writeEnd] { try? end?.close() }
        let pid: pid_t
        switch result {
        case .success(let started): pid = started
        case .failure(let failure):
            for end in [input?.writeEnd, output?.readEnd, error?.readEnd] { try? end?.close() }
            throw SpawnError(errno: failure.rawValue)
        }
        for end in [input?.writeEnd, output?.readEnd, error?.readEnd] { try? end?.setNonBlocking() }
        return SpawnedChild(
            pid: pid, standardInput: input?.writeEnd.rawValue, standardOutput: output?.readEnd.rawValue,
            standardError: error?.readEnd.rawValue)
    }

    /// `waitpid(pid, WNOHANG)`: how the child ended, or nil while it runs.
    public static func reap(_ pid: Int32) -> ChildExit? {
        do {
            switch try ChildProcess.wait(pid, blocking: false) {
            case .exited(let code)?: return .exited(code)
            case .signaled(let signal)?: return .signaled(signal)
            case nil: return nil
            }
        } catch {
            return error == .noChildProcess ? .unknown : nil
        }
    }

    /// Tries each candidate of glib's PATH search in turn: the pid, or the errno to report.
    private static func searchAndSpawn(_ request: ChildRequest, _ spawn: inout SpawnRequest) -> Result<pid_t, Errno> {
        if request.path.isEmpty { return .failure(.noSuchFileOrDirectory) }
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
        var last = Errno.noSuchFileOrDirectory
        for candidate in candidates {
            spawn.path = candidate
            spawn.arguments = [request.path] + request.arguments
            var result = Result { () throws(Errno) -> pid_t in try ChildProcess.spawn(spawn) }
            if case .failure(Errno(ENOEXEC)) = result {
                // Not a binary and no #! line: glib (like execvp) hands it to the shell.
                spawn.path = "/bin/sh"
                spawn.arguments = ["/bin/sh", candidate] + request.arguments
                result = Result { () throws(Errno) -> pid_t in try ChildProcess.spawn(spawn) }
            }
            switch result {
            case .success:
                return result
            case .failure(let error) where error == Errno(EACCES):
                sawAccessDenied = true
                last = error
            case .failure(let error) where [ENOENT, ENOTDIR, ESTALE, ENODEV, ETIMEDOUT].contains(error.rawValue):
                last = error
            case .failure:
                return result
            }
        }
        return .failure(sawAccessDenied ? Errno(EACCES) : last)
    }

    /// `PATH` from the child's environment, else the agent's.
    private static func pathVariable(_ environment: [String]?) -> String? {
        if let environment, let entry = environment.first(where: { $0.hasPrefix("PATH=") }) {
            return String(entry.dropFirst(5))
        }
        return ThisProcess.environment("PATH")
    }
}
