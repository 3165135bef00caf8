import QGAProtocol

/// `guest-suspend-ram`: suspend to RAM (S3): `virsh dompmsuspend DOMAIN mem`.
///
/// No reply on success (the host sees the guest's power state change instead); an error
/// reply when no mechanism supports it or the one that does fails.
public enum GuestSuspendRam: GuestCommand {
    public static let name = "guest-suspend-ram"
    public static let successResponse = false

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        try GuestSuspend.suspend(.ram, context: context)
        return EmptyResult()
    }
}
