/// `guest-suspend-hybrid`: hybrid sleep, memory image saved to disk and then suspend to RAM: `virsh dompmsuspend DOMAIN hybrid`.
public enum GuestSuspendHybrid: GuestSuspendCommand {
    public static let name = "guest-suspend-hybrid"
    public static let mode = SuspendMode.hybrid
}
