import QGAProtocol

/// `guest-fsfreeze-freeze`: runs the freeze hook, then freezes every freezable mount; returns
/// how many were frozen.
public enum GuestFsfreezeFreeze: GuestCommand {
    public static let name = "guest-fsfreeze-freeze"

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Int {
        try FSFreeze.freeze(mountpoints: nil, context: context)
    }
}
