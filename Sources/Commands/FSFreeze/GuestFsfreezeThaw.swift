import QGAProtocol

/// `guest-fsfreeze-thaw`: thaws every mount (FITHAW until it fails), leaves the frozen state
/// and runs the thaw hook; returns how many mounts were thawed.
public enum GuestFsfreezeThaw: GuestCommand {
    public static let name = "guest-fsfreeze-thaw"

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Int {
        try FSFreeze.thaw(context: context)
    }
}
