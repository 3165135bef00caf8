import QGAProtocol

/// `guest-get-host-name`: the guest's host name, from `gethostname(2)` (`virsh domhostname
/// --source agent`, `virsh guestinfo --hostname`).
public enum GuestGetHostName: GuestCommand {
    public static let name = "guest-get-host-name"

    public struct Result: Equatable {
        public var hostName: String
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Result {
        Result(hostName: try worded(context.system.hostName()))
    }
}

extension GuestGetHostName.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("host-name", hostName)
        json.endObject()
    }
}
