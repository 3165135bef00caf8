import QGAProtocol

/// `guest-get-timezone`: the local zone's abbreviation and its offset from UTC in seconds
/// east (`virsh guestinfo --timezone`), both for the current moment, as GLib's
/// `g_time_zone_get_abbreviation` / `g_time_zone_get_offset` give them to qemu-ga.
/// An empty abbreviation leaves `zone` out.
public enum GuestGetTimezone: GuestCommand {
    public static let name = "guest-get-timezone"

    public struct Result: Equatable {
        public var zone: String?
        public var offset: Int
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Result {
        let now = context.system.realTime() / 1_000_000_000
        let zone = context.system.localTimeZone(at: now)
        return Result(zone: zone.abbreviation.isEmpty ? nil : zone.abbreviation, offset: zone.offset)
    }
}

extension GuestGetTimezone.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("zone", zone)
        json.member("offset", offset)
        json.endObject()
    }
}
