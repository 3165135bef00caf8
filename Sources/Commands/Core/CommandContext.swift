import QGAProtocol

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

    public func sys(_ relative: String) -> String { sysfs + "/" + relative }
    public func proc(_ relative: String) -> String { procfs + "/" + relative }
}

/// Everything a handler may use: the system seam, paths, the registry, state and the logger.
public final class CommandContext {
    public let system: any GuestSystem
    public let paths: SystemPaths
    public let registry: CommandRegistry
    public var logger: AgentLogger
    /// `-t/--statedir`.
    public let stateDirectory: String
    /// The version `guest-info` reports.
    public let version: String
    /// Frozen state and the fsfreeze settings (hook, watchdog, log sink).
    public let freeze: FreezeState
    /// Files the host opened with `guest-file-open`, by handle.
    public let files = GuestFileHandles()
    /// Children started by `guest-exec` whose status the host has not collected yet.
    public let processes = GuestProcesses()

    public init(
        system: any GuestSystem, paths: SystemPaths = SystemPaths(), registry: CommandRegistry,
        logger: AgentLogger = .discarding, stateDirectory: String = "/var/run",
        version: String = AgentVersion.compatible, freeze: FreezeState = FreezeState()
    ) {
        self.system = system
        self.paths = paths
        self.registry = registry
        self.logger = logger
        self.stateDirectory = stateDirectory
        self.version = version
        self.freeze = freeze
    }
}

public enum AgentVersion {
    /// Our own release.
    public static let release = "0.1.0"
    /// The upstream qemu-ga release whose command set and behaviour we implement; `guest-info`
    /// reports it, because hosts compare it against the versions they know. 10.2.0: besides
    /// 10.0's texts and command set (checked against qemu-ga 10.0.2), its fixes that a host
    /// sees: `out-truncated`/`err-truncated` always present, /sbin/poweroff|halt|reboot before
    /// /sbin/shutdown, `-r` waiting for a channel that is missing at start.
    public static let compatible = "10.2.0"
}
