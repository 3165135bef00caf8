import QGAProtocol

/// `guest-fsfreeze-freeze-list`: as `guest-fsfreeze-freeze`, limited to the mounts named in
/// `mountpoints` (exact match; unknown names are ignored, an empty list freezes nothing).
public enum GuestFsfreezeFreezeList: GuestCommand {
    public static let name = "guest-fsfreeze-freeze-list"

    public struct Arguments {
        public var mountpoints: [String]?
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Int {
        try FSFreeze.freeze(mountpoints: arguments.mountpoints, context: context)
    }
}

extension GuestFsfreezeFreezeList.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        mountpoints = try object.optional("mountpoints")
    }
}
