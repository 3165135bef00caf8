/// `guest-suspend-disk`: suspend to disk, hibernation (S4): `virsh dompmsuspend DOMAIN disk`.
public enum GuestSuspendDisk: GuestSuspendCommand {
    public static let name = "guest-suspend-disk"
    public static let mode = SuspendMode.disk
}
