import QGAProtocol

/// `guest-suspend-disk`: suspend to disk, hibernation (S4): `virsh dompmsuspend DOMAIN disk`.
///
/// No reply on success (the host sees the guest's power state change instead); an error
/// reply when no mechanism supports it or the one that does fails.
public enum GuestSuspendDisk: GuestCommand {
    public static let name = "guest-suspend-disk"
    public static let successResponse = false

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        try GuestSuspend.suspend(.disk, context: context)
        return EmptyResult()
    }
}
