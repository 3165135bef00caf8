import ProcessRunner
import QGAProtocol

/// `guest-set-time`: sets the clock (`virsh domtime --time T`, `virsh domtime --sync`).
///
/// With `time` (nanoseconds since the epoch) the system clock is set to it and then copied
/// to the hardware clock with `/sbin/hwclock -w`; without it the system clock is set from
/// the hardware clock with `/sbin/hwclock -s`. As in qemu-ga, times before 1970 or from
/// 2070 on are refused before anything changes.
public enum GuestSetTime: GuestCommand {
    public static let name = "guest-set-time"

    public struct Arguments {
        public var time: Int64?
    }

    static let hwclock = "/sbin/hwclock"
    /// hwclock waits for the RTC's next second tick at most; a hung one must not wedge the agent.
    static let timeout: Double = 60
    /// 2070-01-01T00:00:00Z: qemu-ga accepts years 1970 to 2069.
    static let endOfRange: Int64 = 3_155_760_000

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        if let time = arguments.time {
            // Whole seconds as qemu-ga computes them (truncated toward zero).
            let seconds = time / 1_000_000_000
            guard seconds >= 0, seconds < endOfRange else { throw QGAError("Invalid time") }
            context.logger.info("guest-set-time called, time: \(time)")
            try worded(context.system.setSystemTime(nanoseconds: time))
        } else {
            context.logger.info("guest-set-time called, setting the system time from the hardware clock")
        }
        let invocation = ProcessInvocation(hwclock, [arguments.time == nil ? "-s" : "-w"], timeout: timeout)
        try context.system.runHelper(invocation, toDo: "set hardware clock to system time")
        return EmptyResult()
    }
}

extension GuestSetTime.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        time = try object.optional("time")
    }
}
