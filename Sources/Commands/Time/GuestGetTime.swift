import QGAProtocol

/// `guest-get-time`: the guest's clock in nanoseconds since the epoch (`virsh domtime`).
///
/// qemu-ga reads a microsecond clock and multiplies by 1000; we report the nanoseconds
/// `clock_gettime(CLOCK_REALTIME)` gives.
public enum GuestGetTime: GuestCommand {
    public static let name = "guest-get-time"

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Int64 {
        context.system.realTime()
    }
}
