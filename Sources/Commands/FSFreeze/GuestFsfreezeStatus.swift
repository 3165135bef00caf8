import QGAProtocol

/// `guest-fsfreeze-status`: `"frozen"` from before the first FIFREEZE until thaw, else `"thawed"`.
public enum GuestFsfreezeStatus: GuestCommand {
    public static let name = "guest-fsfreeze-status"

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> String {
        context.freeze.isFrozen ? "frozen" : "thawed"
    }
}
