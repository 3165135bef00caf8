import QGAProtocol

/// `guest-get-host-name`: the guest's host name, from `gethostname(2)` (`virsh domhostname
/// --source agent`, `virsh guestinfo --hostname`).
public enum GuestGetHostName: GuestCommand {
    public static let name = "guest-get-host-name"

    public struct Result: Encodable, Equatable {
        public var hostName: String
        enum CodingKeys: String, CodingKey { case hostName = "host-name" }
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws -> Result {
        Result(hostName: try context.system.hostName())
    }
}
