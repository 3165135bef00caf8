import QGAProtocol

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
