#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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

/// Runs child processes synchronously with `posix_spawn`.
public enum ProcessRunner {
    /// Runs `invocation` to completion (or its timeout) and returns how it ended.
    public static func run(_ invocation: ProcessInvocation) -> ProcessOutcome {
        // Hooks and helpers must not inherit what launched the agent (a supervisor's pipes,
        // a socket-activation fd): the same rule guest-exec children follow.
        closeOnExecEverything()
        var outputPipe: [Int32] = [-1, -1]
        var inputPipe: [Int32] = [-1, -1]
        guard makePipe(&outputPipe) else { return ProcessOutcome(termination: .failedToStart(errno)) }
        defer { closeIfOpen(outputPipe[0]) }
        if case .bytes = invocation.input {
            guard makePipe(&inputPipe) else {
                closeIfOpen(outputPipe[1])
                return ProcessOutcome(termination: .failedToStart(errno))
            }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if inputPipe[0] >= 0 {
            posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The agent blocks signals it reads through signalfd; the child must not inherit that.
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if invocation.newSession { flags |= spawnSetSID }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = [invocation.executable] + invocation.arguments
        var pid: pid_t = 0
        let spawnError: Int32 = withCStrings(argv) { argvPointers in
            if let environment = invocation.environment {
                return withCStrings(environment) { envPointers in
                    spawn(&pid, invocation.executable, &actions, &attributes, argvPointers, envPointers)
                }
            }
            return spawn(&pid, invocation.executable, &actions, &attributes, argvPointers, environ)
        }
        closeIfOpen(outputPipe[1])
        closeIfOpen(inputPipe[0])
        if spawnError != 0 {
            closeIfOpen(inputPipe[1])
            return ProcessOutcome(termination: .failedToStart(spawnError))
        }
        if case .bytes(let bytes) = invocation.input {
            // A child that closed its stdin (EPIPE) left the rest unread: its business.
            try? FileDescriptor(rawValue: inputPipe[1]).writeAll(bytes)
            closeIfOpen(inputPipe[1])
        }
        return collect(pid: pid, output: outputPipe[0], invocation: invocation)
    }

    /// Reads output until the child exits (or the timeout kills its group), then reaps it.
    private static func collect(pid: pid_t, output fd: Int32, invocation: ProcessInvocation) -> ProcessOutcome {
        let deadline = invocation.timeout.map { MonotonicClock.seconds() + $0 }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var outputOpen = true
        var status: Int32 = 0
        while true {
            // Once the pipe is closed we only wait for the exit; poll in short slices either
            // way, because a daemonized grandchild may keep the pipe open after the child exits.
            var remainingMs: Int32 = 100
            if let deadline {
                let left = deadline - MonotonicClock.seconds()
                if left <= 0 {
                    kill(invocation.newSession ? -pid : pid, SIGKILL)
                    _ = waitpidRetrying(pid, &status, 0)
                    return ProcessOutcome(termination: .timedOut, output: output)
                }
                remainingMs = min(remainingMs, Int32(left * 1000) + 1)
            }
            if outputOpen {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, remainingMs)
                if ready > 0 {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n > 0 {
                        let keep = min(n, max(0, invocation.outputLimit - output.count))
                        output.append(contentsOf: buffer[0..<keep])
                    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                        outputOpen = false
                    }
                }
            } else {
                var request = timespec(tv_sec: 0, tv_nsec: 2_000_000)
                nanosleep(&request, nil)
            }
            let reaped = waitpidRetrying(pid, &status, WNOHANG)
            if reaped == pid {
                drainAvailable(fd, into: &output, limit: invocation.outputLimit)
                return ProcessOutcome(termination: termination(status), output: output)
            }
            if reaped < 0 {
                return ProcessOutcome(termination: .failedToStart(errno), output: output)
            }
        }
    }

    private static func termination(_ status: Int32) -> ProcessOutcome.Termination {
        let signal = status & 0x7F
        if signal == 0 { return .exited((status >> 8) & 0xFF) }
        return .signaled(signal)
    }

    private static func drainAvailable(_ fd: Int32, into output: inout [UInt8], limit: Int) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) > 0, pfd.revents & Int16(POLLIN) != 0 else { return }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            output.append(contentsOf: buffer[0..<min(n, max(0, limit - output.count))])
        }
    }
}

/// glibc's POSIX_SPAWN_SETSID (not exported to Swift): the child calls setsid().
private let spawnSetSID: Int32 = 0x80

private func spawn(
    _ pid: inout pid_t, _ executable: String, _ actions: inout posix_spawn_file_actions_t,
    _ attributes: inout posix_spawnattr_t, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
    _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    if executable.contains("/") {
        return posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    }
    return posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
}

func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// pipe(2) with both ends close-on-exec.
func makePipe(_ fds: inout [Int32]) -> Bool {
    guard let (readEnd, writeEnd) = try? FileDescriptor.pipe() else { return false }
    fds = [readEnd.rawValue, writeEnd.rawValue]
    return true
}

func closeIfOpen(_ fd: Int32) {
    if fd >= 0 { close(fd) }
}

/// `waitpid(2)`; -1 with errno set on failure.
func waitpidRetrying(_ pid: pid_t, _ status: inout Int32, _ options: Int32) -> pid_t {
    (try? retryingInterrupts { waitpid(pid, &status, options) }) ?? -1
}
