import Glibc
import ProcessRunner
import QGAProtocol

/// The three ways to suspend, with the name each mechanism uses for them.
public enum SuspendMode: Sendable, CaseIterable {
    case ram, disk, hybrid

    /// The unit `systemctl status` probes.
    var systemdUnit: String {
        switch self {
        case .ram: "systemd-suspend"
        case .disk: "systemd-hibernate"
        case .hybrid: "systemd-hybrid-sleep"
        }
    }

    /// The `systemctl` verb that suspends.
    var systemctlVerb: String {
        switch self {
        case .ram: "suspend"
        case .disk: "hibernate"
        case .hybrid: "hybrid-sleep"
        }
    }

    /// The `pm-is-supported` flag.
    var pmUtilsFlag: String {
        switch self {
        case .ram: "--suspend"
        case .disk: "--hibernate"
        case .hybrid: "--suspend-hybrid"
        }
    }

    /// The pm-utils program that suspends.
    var pmUtilsProgram: String {
        switch self {
        case .ram: "pm-suspend"
        case .disk: "pm-hibernate"
        case .hybrid: "pm-suspend-hybrid"
        }
    }

    /// The word written to `/sys/power/state`; hybrid sleep has none.
    var sysfsState: String? {
        switch self {
        case .ram: "mem"
        case .disk: "disk"
        case .hybrid: nil
        }
    }
}

/// A `guest-suspend-*` command: one ``SuspendMode`` through ``GuestSuspend``. No reply on
/// success (the host sees the guest's power state change instead); an error reply when no
/// mechanism supports the mode or the one that does fails.
public protocol GuestSuspendCommand: GuestCommand where Arguments == NoArguments, Result == EmptyResult {
    static var mode: SuspendMode { get }
}

extension GuestSuspendCommand {
    public static var successResponse: Bool { false }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        try GuestSuspend.suspend(mode, context: context)
        return EmptyResult()
    }
}

/// qemu-ga's `guest_suspend`: systemd, then pm-utils, then `/sys/power/state`.
///
/// Each mechanism is probed before anything runs. A mechanism that is supported but fails
/// hands over to the next one, as in qemu-ga; when none succeeds the last failure is
/// reported (qemu-ga 7.2 could answer nothing at all here), and when none applies the answer
/// is `the requested suspend mode is not supported by the guest`. Success returns after the
/// guest has resumed (or, with systemd, once the suspend job is done), and sends no reply.
enum GuestSuspend {
    /// A probe (`systemctl status …`, `pm-is-supported …`) answers at once; one that hangs
    /// counts as "not supported".
    static let probeTimeout: Double = 30
    /// The helper that suspends. The clock is CLOCK_MONOTONIC, which stands still while the
    /// guest sleeps, so the time spent suspended does not count against this.
    static let suspendTimeout: Double = 120

    static let notSupported = QGAError("the requested suspend mode is not supported by the guest")

    static func suspend(_ mode: SuspendMode, context: CommandContext) throws(QGAError) {
        context.logger.info("guest-suspend called, mode: \(mode.systemctlVerb)")
        var supported = false
        var lastFailure: QGAError?

        if systemdSupports(mode, context) {
            supported = true
            do { return try runSuspendHelper("systemctl", [mode.systemctlVerb], context) } catch { lastFailure = error }
        }
        if pmUtilsSupports(mode, context) {
            supported = true
            do { return try runSuspendHelper(mode.pmUtilsProgram, [], context) } catch { lastFailure = error }
        }
        if let word = mode.sysfsState, sysfsSupports(word, context) {
            supported = true
            do { return try writeSysfsState(word, context) } catch { lastFailure = error }
        }
        guard supported else { throw notSupported }
        throw lastFailure ?? notSupported
    }

    /// `systemctl status systemd-suspend`: LSB exit codes 1–3 (inactive, the usual answer)
    /// mean the unit exists; 4 means it does not; a missing `systemctl` means no systemd.
    static func systemdSupports(_ mode: SuspendMode, _ context: CommandContext) -> Bool {
        let outcome = context.system.run(
            ProcessInvocation("systemctl", ["status", mode.systemdUnit], timeout: probeTimeout))
        if case .exited(let status) = outcome.termination { return (1...3).contains(status) }
        return false
    }

    /// `pm-is-supported --suspend` exits 0 when pm-utils can do it.
    static func pmUtilsSupports(_ mode: SuspendMode, _ context: CommandContext) -> Bool {
        context.system.run(ProcessInvocation("pm-is-supported", [mode.pmUtilsFlag], timeout: probeTimeout))
            .succeeded
    }

    /// `mem` or `disk` is one of the words in `<sysfs>/power/state`.
    static func sysfsSupports(_ word: String, _ context: CommandContext) -> Bool {
        guard let text = try? context.system.readText(context.paths.sys("power/state")) else { return false }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).contains { $0 == word }
    }

    /// Writing the word suspends the guest; the write returns after resume.
    static func writeSysfsState(_ word: String, _ context: CommandContext) throws(QGAError) {
        let path = context.paths.sys("power/state")
        do {
            try context.system.writeFile(path, Array(word.utf8))
        } catch {
            let reason = error.errno.map(QGAError.errorText) ?? error.desc
            throw QGAError("suspend: cannot write to '\(path)': \(reason)", errno: error.errno)
        }
    }

    /// Runs a suspending helper; failures carry qemu-ga's text and the helper's own output.
    /// qemu-ga words these apart from its other helpers (``GuestSystem/runHelper(_:toDo:)``):
    /// `the helper program '...'` instead of `child process has failed to ...`.
    static func runSuspendHelper(_ program: String, _ arguments: [String], _ context: CommandContext) throws(QGAError) {
        let invocation = ProcessInvocation(program, arguments, timeout: suspendTimeout)
        let outcome = context.system.run(invocation)
        let name = invocation.description
        let output = outcome.outputText.trimmingWhitespace()
        let detail = output.isEmpty ? "" : ": \(output)"
        switch outcome.termination {
        case .exited(0):
            return
        case .exited(let status):
            throw QGAError("the helper program '\(name)' returned an unexpected exit status code (\(status))\(detail)")
        case .signaled(let signal):
            throw QGAError("the helper program '\(name)' was killed by signal \(signal)\(detail)")
        case .timedOut:
            throw QGAError("the helper program '\(name)' did not finish within \(Int(suspendTimeout)) seconds\(detail)")
        case .failedToStart(ENOENT):
            throw QGAError("the helper program '\(name)' was not found")
        case .failedToStart(let code):
            throw QGAError.system("failed to execute child process '\(program)'", errno: code)
        }
    }
}
