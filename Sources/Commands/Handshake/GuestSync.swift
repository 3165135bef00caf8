import QGAProtocol

/// `guest-sync`: echoes `id`, so a host can tell its replies from stale ones.
public enum GuestSync: GuestCommand {
    public static let name = "guest-sync"

    public struct Arguments {
        public var id: Int64
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Int64 {
        arguments.id
    }
}

extension GuestSync.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        id = try object.required("id")
    }
}
