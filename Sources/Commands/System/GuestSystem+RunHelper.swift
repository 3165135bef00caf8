import ProcessRunner
import QGAProtocol

extension GuestSystem {
    /// Runs a helper program for a command and maps a failure to upstream qemu-ga's
    /// `ga_run_command` texts: `child process has failed to <action>: <output or exit status N>`,
    /// `child process has terminated abnormally[: <output>]`, and for a failed exec
    /// `... failed to exec '<program>': <strerror>`. A timeout says how long it waited.
    public func runHelper(_ invocation: ProcessInvocation, toDo action: String) throws(QGAError) {
        let outcome = run(invocation)
        let output = outcome.outputText.trimmingWhitespace()
        let detail = output.isEmpty ? "" : ": \(output)"
        let failed = "child process has failed to \(action)"
        switch outcome.termination {
        case .exited(0):
            return
        case .exited(let status):
            throw QGAError("\(failed): \(output.isEmpty ? "exit status \(status)" : output)")
        case .signaled:
            throw QGAError("child process has terminated abnormally\(detail)")
        case .timedOut:
            throw QGAError("\(failed): no exit within \(Int(invocation.timeout ?? 0)) seconds\(detail)")
        case .failedToStart(let code):
            // What qemu-ga's forked child prints when execvp fails.
            throw QGAError(
                "\(failed): failed to exec '\(invocation.executable)': \(QGAError.errorText(code))", errno: code)
        }
    }
}
