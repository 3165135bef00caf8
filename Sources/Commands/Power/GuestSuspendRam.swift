/// `guest-suspend-ram`: suspend to RAM (S3): `virsh dompmsuspend DOMAIN mem`.
public enum GuestSuspendRam: GuestSuspendCommand {
    public static let name = "guest-suspend-ram"
    public static let mode = SuspendMode.ram
}
