import QGAProtocol

/// `guest-sync`: echoes `id`, so a host can tell its replies from stale ones.
public enum GuestSync: GuestCommand {
    public static let name = "guest-sync"

    public struct Arguments: Decodable {
        public var id: Int64
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws -> Int64 {
        arguments.id
    }
}
