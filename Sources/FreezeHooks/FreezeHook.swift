import Glibc
import ProcessRunner
import SystemCalls

/// The hook's only argument.
public enum FreezeHookAction: String, Sendable, Equatable {
    case freeze
    case thaw
}

/// The configured fsfreeze hook: `-F[PATH]` / config `fsfreeze-hook`, with its per-run timeout
/// (`--fsfreeze-hook-timeout` / config `fsfreeze-hook-timeout`).
public struct FreezeHook: Sendable, Equatable {
    /// What a bare `-F` means (qemu-ga's `QGA_FSFREEZE_HOOK_DEFAULT`).
    public static let defaultPath = "/etc/qemu/fsfreeze-hook"
    /// Seconds a single run may take before its process group is killed.
    public static let defaultTimeout: Double = 60

    public var path: String
    /// Seconds per run; `nil` waits for ever (qemu-ga's behaviour; `0` on the command line).
    public var timeout: Double?
    /// The hook's environment; `nil` inherits the agent's, as qemu-ga does.
    public var environment: [String]?

    /// - Parameter timeout: seconds per run; `nil` or `0` means no limit.
    public init(path: String = FreezeHook.defaultPath, timeout: Double? = FreezeHook.defaultTimeout, environment: [String]? = nil) {
        self.path = path
        self.timeout = timeout.flatMap { $0 > 0 ? $0 : nil }
        self.environment = environment
    }

    /// The run for `action`, as a value (nothing is started).
    public func invocation(_ action: FreezeHookAction) -> FreezeHookInvocation {
        FreezeHookInvocation(hook: path, action: action, timeout: timeout, environment: environment)
    }
}

/// One run of the hook, as data: tests assert on it before (or instead of) running it.
public struct FreezeHookInvocation: Sendable, Equatable, CustomStringConvertible {
    public var hook: String
    public var action: FreezeHookAction
    public var timeout: Double?
    public var environment: [String]?

    public init(hook: String, action: FreezeHookAction, timeout: Double?, environment: [String]?) {
        self.hook = hook
        self.action = action
        self.timeout = timeout
        self.environment = environment
    }

    /// argv `{hook, action}`, stdin `/dev/null`, its own session (so a timeout kills everything
    /// it started), stdout and stderr captured together.
    public var process: ProcessInvocation {
        ProcessInvocation(hook, [action.rawValue], environment: environment, input: .null, timeout: timeout, newSession: true)
    }

    public var description: String { "\(hook) \(action.rawValue)" }
}

/// A hook run that succeeded: what it printed, for the agent log.
public struct FreezeHookReport: Sendable, Equatable {
    public var invocation: FreezeHookInvocation
    public var output: String
}

/// A hook run that failed, with qemu-ga's text in ``message``.
public struct FreezeHookError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The hook could not be executed (`posix_spawn` failed with this errno): missing, not
        /// executable, a bad interpreter.
        case execFailed(errno: Int32)
        /// It exited with a non-zero status.
        case failed(status: Int32)
        /// A signal ended it.
        case terminated(signal: Int32)
        /// It outlived its timeout; its whole process group was killed.
        case timedOut(seconds: Double)
    }

    public var invocation: FreezeHookInvocation
    public var reason: Reason
    /// Whatever the hook printed (stdout and stderr interleaved).
    public var output: String

    /// The error text a host sees, as current upstream qemu-ga words it.
    public var message: String {
        let hook = invocation.hook
        switch reason {
        case .execFailed(let errno):
            // qemu-ga's child reports a failed execvp with perror() into the captured output
            // and exits 1; the parent then wraps that output.
            return "child process has failed to execute fsfreeze hook: failed to exec '\(hook)': \(Errno(errno))\n"
        case .failed(let status):
            if output.isEmpty { return "child process has failed to execute fsfreeze hook: exit status \(status)" }
            return "child process has failed to execute fsfreeze hook: \(output)"
        case .terminated:
            if output.isEmpty { return "child process has terminated abnormally" }
            return "child process has terminated abnormally: \(output)"
        case .timedOut(let seconds):
            let text = "fsfreeze hook '\(hook)' timed out after \(seconds.secondsText) seconds"
            return output.isEmpty ? text : "\(text): \(output)"
        }
    }

    public var description: String { message }
}

/// Runs the hook: the child through ``Subprocess``.
public enum FreezeHookRunner {
    /// Runs `invocation` and interprets how it ended.
    ///
    /// A missing or non-executable hook is found by trying to run it, as qemu-ga 10.x does
    /// (7.2 checked `access(X_OK)` first and said "can't access fsfreeze hook").
    ///
    /// - Parameter spawn: runs the child (a seam for tests; the default is `Subprocess.run`).
    /// - Throws: ``FreezeHookError`` with qemu-ga's text.
    public static func run(
        _ invocation: FreezeHookInvocation, spawn: (ProcessInvocation) -> ProcessOutcome = Subprocess.run
    ) throws(FreezeHookError) -> FreezeHookReport {
        try evaluate(invocation, spawn(invocation.process))
    }

    /// Maps a finished run to success or qemu-ga's error.
    public static func evaluate(_ invocation: FreezeHookInvocation, _ outcome: ProcessOutcome) throws(FreezeHookError) -> FreezeHookReport {
        let output = outcome.outputText
        let reason: FreezeHookError.Reason
        switch outcome.termination {
        case .exited(0): return FreezeHookReport(invocation: invocation, output: output)
        case .exited(let status): reason = .failed(status: status)
        case .signaled(let signal): reason = .terminated(signal: signal)
        case .timedOut: reason = .timedOut(seconds: invocation.timeout ?? 0)
        case .failedToStart(let errno): reason = .execFailed(errno: errno)
        }
        throw FreezeHookError(invocation: invocation, reason: reason, output: output)
    }
}
