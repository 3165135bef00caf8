import QGAProtocol

/// `guest-get-load`: the 1, 5 and 15 minute load averages (qemu-ga 10.0), from
/// `getloadavg(3)` as qemu-ga: the kernel's exact fixed-point values (`0.52001953125`), not the
/// two decimals `/proc/loadavg` rounds them to.
public enum GuestGetLoad: GuestCommand {
    public static let name = "guest-get-load"

    public struct Result: Equatable {
        public var load1m: Double
        public var load5m: Double
        public var load15m: Double
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Result {
        let (one, five, fifteen) = try worded(context.system.loadAverages())
        return Result(load1m: one, load5m: five, load15m: fifteen)
    }
}

extension GuestGetLoad.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("load1m", load1m)
        json.member("load5m", load5m)
        json.member("load15m", load15m)
        json.endObject()
    }
}
