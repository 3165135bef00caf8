import QGAProtocol

/// `guest-sync-delimited`: as `guest-sync`, with a 0xFF before the reply, so a host can
/// discard whatever came before it.
public enum GuestSyncDelimited: GuestCommand {
    public static let name = "guest-sync-delimited"
    public static var delimitedReply: Bool { true }

    public typealias Arguments = GuestSync.Arguments

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Int64 {
        arguments.id
    }
}
