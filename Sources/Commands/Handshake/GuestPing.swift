import QGAProtocol

/// `guest-ping`: answers `{}` while the agent is alive.
public enum GuestPing: GuestCommand {
    public static let name = "guest-ping"

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        context.logger.audit("guest-ping called")
        return EmptyResult()
    }
}
