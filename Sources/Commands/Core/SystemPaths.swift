/// Where the agent finds the kernel's interfaces. Production uses the real ones; tests and
/// the `QGA_SYSFS_ROOT` / `QGA_PROCFS_ROOT` / `QGA_OS_RELEASE` / `QGA_UDEV_DATA` testing aids
/// point elsewhere.
public struct SystemPaths: Sendable, Equatable {
    public var sysfs: String
    public var procfs: String
    /// `nil` means the usual `/etc/os-release`, then `/usr/lib/os-release`.
    public var osRelease: String?
    /// udev's device database (`b<major>:<minor>` files with `E:KEY=value` lines), where disk
    /// serial numbers are found.
    public var udevData: String

    public init(
        sysfs: String = "/sys", procfs: String = "/proc", osRelease: String? = nil, udevData: String = "/run/udev/data"
    ) {
        self.sysfs = sysfs
        self.procfs = procfs
        self.osRelease = osRelease
        self.udevData = udevData
    }

    /// Reads the testing overrides from the environment.
    public static func fromEnvironment(_ lookup: (String) -> String?) -> SystemPaths {
        SystemPaths(
            sysfs: lookup("QGA_SYSFS_ROOT") ?? "/sys",
            procfs: lookup("QGA_PROCFS_ROOT") ?? "/proc",
            osRelease: lookup("QGA_OS_RELEASE"),
            udevData: lookup("QGA_UDEV_DATA") ?? "/run/udev/data")
    }

    // One interpolation, one new string: each `+` would make another (sysfs paths are built
    // on every poll of guest-get-vcpus and the memory-block commands).
    public func sys(_ relative: String) -> String { "\(sysfs)/\(relative)" }
    public func proc(_ relative: String) -> String { "\(procfs)/\(relative)" }
}
