import FreezeHooks
import ProcessRunner
import SystemCalls

/// Whether the agent is frozen, and the freeze settings `main` configures.
///
/// Owned by ``CommandContext``; only ``FSFreeze`` changes the frozen state (and keeps
/// `registry.frozen`, the log sink and `<statedir>/qga.state.isfrozen` in step with it).
public final class FreezeState {
    /// `<statedir>/qga.state.isfrozen`: exists from before the first FIFREEZE until after thaw.
    public static let stateFileName = "qga.state.isfrozen"
    /// `--fsfreeze-timeout` default, in seconds.
    public static let defaultWatchdogTimeout: Double = 600
    /// How long the watchdog waits before trying again when its thaw failed.
    public static let watchdogRetryInterval: Double = 10

    /// `-F[PATH]` / config `fsfreeze-hook`; nil runs no hook (qemu-ga's default).
    public var hook: FreezeHook?
    /// `--fsfreeze-timeout` / config `fsfreeze-timeout`: seconds frozen before the agent thaws
    /// by itself; 0 turns the watchdog off.
    public var watchdogTimeout: Double
    /// The sink behind the agent's logger: held while frozen so nothing is written to disk.
    public var logSink: AgentLogSink?
    /// Monotonic seconds (the clock `poll`/timerfd deadlines use); a seam for tests.
    public var clock: () -> Double

    public private(set) var isFrozen = false
    /// When the watchdog thaws, in ``clock`` seconds; nil when not frozen or the watchdog is off.
    public internal(set) var watchdogDeadline: Double?
    private var deferredUntilThaw: [() -> Void] = []

    public init(
        hook: FreezeHook? = nil, watchdogTimeout: Double = FreezeState.defaultWatchdogTimeout,
        logSink: AgentLogSink? = nil, clock: @escaping () -> Double = MonotonicClock.seconds
    ) {
        self.hook = hook
        self.watchdogTimeout = watchdogTimeout
        self.logSink = logSink
        self.clock = clock
    }

    /// Runs `action` now when thawed, else right after the next thaw (the deferred pidfile).
    public func whenThawed(_ action: @escaping () -> Void) {
        if isFrozen { deferredUntilThaw.append(action) } else { action() }
    }

    /// Milliseconds until the watchdog is due (0 when overdue), for a `poll` timeout; nil when
    /// no watchdog is armed.
    public func watchdogDelayMilliseconds() -> Int32? {
        guard let deadline = watchdogDeadline else { return nil }
        let left = (deadline - clock()) * 1000
        if left <= 0 { return 0 }
        return Int32(min(left.rounded(.up), Double(Int32.max)))
    }

    func markFrozen() {
        isFrozen = true
        watchdogDeadline = watchdogTimeout > 0 ? clock() + watchdogTimeout : nil
    }

    /// Returns the actions deferred until thaw.
    func markThawed() -> [() -> Void] {
        isFrozen = false
        watchdogDeadline = nil
        defer { deferredUntilThaw = [] }
        return deferredUntilThaw
    }
}
