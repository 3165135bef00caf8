import QGAProtocol

/// `guest-get-load`: the 1, 5 and 15 minute load averages (qemu-ga 10.0), from
/// `getloadavg(3)` as qemu-ga: the kernel's exact fixed-point values (`0.52001953125`), not the
/// two decimals `/proc/loadavg` rounds them to.
public enum GuestGetLoad: GuestCommand {
    public static let name = "guest-get-load"

    public struct Result: Encodable, Equatable {
        public var load1m: Double
        public var load5m: Double
        public var load15m: Double
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws -> Result {
        let (one, five, fifteen) = try context.system.loadAverages()
        return Result(load1m: one, load5m: five, load15m: fifteen)
    }
}
