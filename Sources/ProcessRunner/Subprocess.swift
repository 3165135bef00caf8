import Glibc
import SystemCalls

/// What to run: a value that tests can inspect before (or instead of) running it.
public struct ProcessInvocation: Sendable, Equatable, CustomStringConvertible {
    public enum Input: Sendable, Equatable {
        case null
        case bytes([UInt8])
    }

    /// A path, or a bare name looked up in `PATH`.
    public var executable: String
    /// argv[1...].
    public var arguments: [String]
    /// The child's environment; `nil` inherits the agent's.
    public var environment: [String]?
    public var input: Input
    /// Kill the child's whole process group after this many seconds; `nil` waits for ever.
    public var timeout: Double?
    /// Run the child in its own session (`setsid`), so a timeout can kill all it started.
    public var newSession: Bool
    /// Bytes of output kept; the rest is read and dropped so the child never blocks on a pipe.
    public var outputLimit: Int

    public init(
        _ executable: String, _ arguments: [String] = [], environment: [String]? = nil, input: Input = .null,
        timeout: Double? = nil, newSession: Bool = true, outputLimit: Int = 64 << 10
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.input = input
        self.timeout = timeout
        self.newSession = newSession
        self.outputLimit = outputLimit
    }

    public var description: String { ([executable] + arguments).joined(separator: " ") }
}

/// How a child ended, with its stdout and stderr interleaved as written.
public struct ProcessOutcome: Sendable, Equatable {
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// Killed (with its process group) when the timeout expired.
        case timedOut
        /// posix_spawn failed with this errno (for example ENOENT).
        case failedToStart(Int32)
    }

    public var termination: Termination
    public var output: [UInt8]

    public init(termination: Termination, output: [UInt8] = []) {
        self.termination = termination
        self.output = output
    }

    public var succeeded: Bool { termination == .exited(0) }
    public var outputText: String { String(decoding: output, as: UTF8.self) }
}

/// A program run as a child of the agent, through the one spawn primitive
/// (``SystemCalls/ChildProcess/spawn(_:)``): ``run(_:)`` waits for it (or its timeout) and
/// returns its output; ``start(_:)`` leaves it running (`guest-exec`) until ``reap(_:)``.
public enum Subprocess {
    /// Runs `invocation` to completion (or its timeout) and returns how it ended.
    public static func run(_ invocation: ProcessInvocation) -> ProcessOutcome {
        let output: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        var input: (readEnd: FileDescriptor, writeEnd: FileDescriptor)?
        do {
            output = try FileDescriptor.pipe()
        } catch {
            return ProcessOutcome(termination: .failedToStart(error.rawValue))
        }
        defer { try? output.readEnd.close() }
        if case .bytes = invocation.input {
            do {
                input = try FileDescriptor.pipe()
            } catch {
                try? output.writeEnd.close()
                return ProcessOutcome(termination: .failedToStart(error.rawValue))
            }
        }
        // stdout and stderr share one pipe: the output interleaved as written.
        let request = SpawnRequest(
            path: invocation.executable, arguments: [invocation.executable] + invocation.arguments,
            environment: invocation.environment, searchPath: true,
            standardInput: input.map { .descriptor($0.readEnd) } ?? .null,
            standardOutput: .descriptor(output.writeEnd), standardError: .descriptor(output.writeEnd),
            newSession: invocation.newSession)
        let spawned = Result { () throws(Errno) -> pid_t in try ChildProcess.spawn(request) }
        // The child has its ends (or never will): the parent keeps only its own.
        try? output.writeEnd.close()
        try? input?.readEnd.close()
        let pid: pid_t
        switch spawned {
        case .success(let started): pid = started
        case .failure(let error):
            try? input?.writeEnd.close()
            return ProcessOutcome(termination: .failedToStart(error.rawValue))
        }
        if case .bytes(let bytes) = invocation.input, let input {
            // A child that closed its stdin (EPIPE) left the rest unread: its business.
            try? input.writeEnd.writeAll(bytes)
            try? input.writeEnd.close()
        }
        return collect(pid: pid, output: output.readEnd, invocation: invocation)
    }

    /// Reads output until the child exits (or the timeout kills its group), then reaps it.
    private static func collect(pid: pid_t, output fd: FileDescriptor, invocation: ProcessInvocation) -> ProcessOutcome {
        let deadline = Deadline(secondsFromNow: invocation.timeout)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var outputOpen = true
        while true {
            // Once the pipe is closed we only wait for the exit; poll in short slices either
            // way, because a daemonized grandchild may keep the pipe open after the child exits.
            if deadline.hasPassed {
                // The whole group: a hook's own children die with it.
                try? ChildProcess.kill(pid, SIGKILL, group: invocation.newSession)
                _ = try? ChildProcess.wait(pid)
                return ProcessOutcome(termination: .timedOut, output: output)
            }
            let slice = deadline.pollTimeout < 0 ? 100 : min(100, deadline.pollTimeout)
            if outputOpen {
                if fd.waitForInput(timeoutMilliseconds: slice) {
                    switch read(fd, into: &buffer) {
                    case .success(let n) where n > 0: append(buffer[0..<n], to: &output, limit: invocation.outputLimit)
                    case .failure(.wouldBlock): break
                    default: outputOpen = false
                    }
                }
            } else {
                var request = timespec(tv_sec: 0, tv_nsec: 2_000_000)
                nanosleep(&request, nil)
            }
            do {
                if let exit = try ChildProcess.wait(pid, blocking: false) {
                    drainAvailable(fd, into: &output, limit: invocation.outputLimit)
                    switch exit {
                    case .exited(let code): return ProcessOutcome(termination: .exited(code), output: output)
                    case .signaled(let signal): return ProcessOutcome(termination: .signaled(signal), output: output)
                    }
                }
            } catch {
                return ProcessOutcome(termination: .failedToStart(error.rawValue), output: output)
            }
        }
    }

    private static func read(_ fd: FileDescriptor, into buffer: inout [UInt8]) -> Result<Int, Errno> {
        buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) -> Int in try fd.read(into: raw) } }
    }

    /// Keeps what fits under `limit`; the rest is read and dropped, so the child never blocks.
    private static func append(_ bytes: ArraySlice<UInt8>, to output: inout [UInt8], limit: Int) {
        output.append(contentsOf: bytes.prefix(max(0, limit - output.count)))
    }

    private static func drainAvailable(_ fd: FileDescriptor, into output: inout [UInt8], limit: Int) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            guard fd.waitForInput(timeoutMilliseconds: 0) else { return }
            guard case .success(let n) = read(fd, into: &buffer), n > 0 else { return }
            append(buffer[0..<n], to: &output, limit: limit)
        }
    }
}
