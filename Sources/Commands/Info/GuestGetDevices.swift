import QGAProtocol

/// `guest-get-devices`: Windows-only in qemu-ga (driver information). Registered so that
/// `guest-info` lists it as qemu-ga does on Linux: present, disabled.
public enum GuestGetDevices: GuestCommand {
    public static let name = "guest-get-devices"
    public static var availableOnLinux: Bool { false }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [String] {
        throw QGAError.unsupported
    }
}
