import Glibc

/// Time that never goes back (the wall clock may be set by `guest-set-time`): what every
/// timeout and deadline of the agent is measured on.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary moment (boot). The corresponding C function is
    /// `clock_gettime(CLOCK_MONOTONIC)`.
    public static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// The same moment in seconds. The corresponding C function is
    /// `clock_gettime(CLOCK_MONOTONIC)`.
    public static func seconds() -> Double {
        Double(nanoseconds()) / 1e9
    }
}

/// The wall clock (`guest-get-time`, log timestamps): it jumps when the time is set, so no
/// timeout is measured on it.
public enum RealTimeClock {
    /// Seconds and nanoseconds since the Unix epoch. The corresponding C function is
    /// `clock_gettime(CLOCK_REALTIME)`.
    public static func now() -> (seconds: Int64, nanoseconds: Int64) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return (Int64(now.tv_sec), Int64(now.tv_nsec))
    }
}

/// A moment on the ``MonotonicClock``, or never.
public struct Deadline: Sendable, Equatable {
    /// Monotonic seconds; nil is never.
    public let seconds: Double?

    /// `secondsFromNow` after now; nil is never.
    public init(secondsFromNow: Double?) {
        seconds = secondsFromNow.map { MonotonicClock.seconds() + $0 }
    }

    /// At `monotonicSeconds` on the clock; nil is never.
    public init(at monotonicSeconds: Double?) { seconds = monotonicSeconds }

    public static var never: Deadline { Deadline(at: nil) }

    /// Seconds left (0 once passed); nil for never.
    public var secondsLeft: Double? {
        seconds.map { max(0, $0 - MonotonicClock.seconds()) }
    }

    public var hasPassed: Bool { secondsLeft == 0 }

    /// The timeout argument of `poll(2)`: milliseconds left rounded up (so a wait never ends
    /// just before the deadline and spins), 0 once passed, -1 for never.
    public var pollTimeout: Int32 {
        guard let left = secondsLeft else { return -1 }
        if left <= 0 { return 0 }
        return Int32(min(left * 1000 + 1, Double(Int32.max)))
    }

    /// The earlier of two deadlines.
    public func earlier(_ other: Deadline) -> Deadline {
        guard let mine = seconds else { return other }
        guard let theirs = other.seconds else { return self }
        return Deadline(at: min(mine, theirs))
    }
}
