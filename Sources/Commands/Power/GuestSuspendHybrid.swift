import QGAProtocol

/// `guest-suspend-hybrid`: hybrid sleep, memory image saved to disk and then suspend to RAM: `virsh dompmsuspend DOMAIN hybrid`.
///
/// No reply on success (the host sees the guest's power state change instead); an error
/// reply when no mechanism supports it or the one that does fails.
public enum GuestSuspendHybrid: GuestCommand {
    public static let name = "guest-suspend-hybrid"
    public static let successResponse = false

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        try GuestSuspend.suspend(.hybrid, context: context)
        return EmptyResult()
    }
}
