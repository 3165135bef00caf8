import ArgumentParser
import Channel

/// qemu-ga's command line, flag for flag, plus the freeze watchdog settings.
struct AgentOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qemu-ga-swift",
        abstract: "QEMU guest agent, wire-compatible with qemu-ga.",
        discussion: """
            The config file (default \(Configuration.defaultConfigFile), or $QGA_CONF, or -c) is read \
            first; its [general] group takes the long option names as keys. The command line \
            overrides it. -F takes its path attached (-F/path) or none (\(Configuration.defaultFsfreezeHook)).
            """)

    @Option(name: [.customShort("m"), .customLong("method")], help: "Transport: virtio-serial (default), isa-serial, unix-listen, vsock-listen.")
    var method: String?

    @Option(name: [.customShort("p"), .customLong("path")], help: "Device or socket path; for vsock-listen <cid>:<port>.")
    var path: String?

    @Option(name: [.customShort("l"), .customLong("logfile")], help: "Log to this file (append) instead of stderr.")
    var logfile: String?

    @Option(name: [.customShort("f"), .customLong("pidfile")], help: "PID file, written with -d (default /var/run/qemu-ga.pid).")
    var pidfile: String?

    @Option(name: .customLong("fsfreeze-hook"), help: "fsfreeze hook script (-F[PATH]).")
    var fsfreezeHook: String?

    @Option(name: .customLong("fsfreeze-hook-timeout"), help: "Kill the fsfreeze hook after this many seconds (default 60).")
    var fsfreezeHookTimeout: Double?

    @Option(name: .customLong("fsfreeze-timeout"), help: "Thaw by itself when no thaw comes within this many seconds (default 600, 0 = never).")
    var fsfreezeTimeout: Double?

    @Option(name: [.customShort("t"), .customLong("statedir")], help: "Directory for persistent state (default /var/run); must exist.")
    var statedir: String?

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Log every level, not only errors.")
    var verbose = false

    @Flag(name: [.customShort("V"), .customLong("version")], help: "Print the version and exit.")
    var version = false

    @Flag(name: [.customShort("d"), .customLong("daemonize")], help: "Detach and write the PID file.")
    var daemonize = false

    @Option(name: [.customShort("b"), .customLong("block-rpcs")], help: "Comma-separated commands to disable; 'help' lists them.")
    var blockRPCs: [String] = []

    @Option(name: [.customShort("a"), .customLong("allow-rpcs")], help: "Comma-separated commands to allow; all others are disabled.")
    var allowRPCs: [String] = []

    @Flag(name: [.customShort("D"), .customLong("dump-conf")], help: "Print the effective configuration and exit.")
    var dumpConf = false

    @Flag(name: [.customShort("r"), .customLong("retry-path")], help: "Keep retrying to open the channel after errors.")
    var retryPath = false

    @Option(name: [.customShort("c"), .customLong("config")], help: "Config file to read instead of the default.")
    var config: String?

    /// Rewrites qemu-ga's optional-argument `-F[PATH]` (getopt `F::`) into `--fsfreeze-hook=PATH`,
    /// and drops an empty `--block-rpcs=` / `--allow-rpcs=` (an empty list, as the service's
    /// `--block-rpcs=${BLOCK_RPCS}` passes when nothing is blocked; getopt accepts it).
    static func normalize(_ arguments: [String]) -> [String] {
        arguments.compactMap { argument in
            if argument == "--block-rpcs=" || argument == "--allow-rpcs=" { return nil }
            if argument == "-F" || argument == "--fsfreeze-hook" {
                return "--fsfreeze-hook=\(Configuration.defaultFsfreezeHook)"
            }
            if argument.hasPrefix("-F") { return "--fsfreeze-hook=" + argument.dropFirst(2) }
            return argument
        }
    }

    /// The configuration: defaults, then the file, then these options.
    func configuration(
        environment: (String) -> String? = { Environment.get($0) },
        readFile: (String) -> String? = { readTextFile($0) }
    ) throws(ConfigurationError) -> Configuration {
        var result = Configuration()
        // Only a file named with -c must exist; the default and $QGA_CONF may be absent.
        let file = config ?? environment("QGA_CONF") ?? Configuration.defaultConfigFile
        if let text = readFile(file) {
            try result.apply(keyFile: text, source: file)
        } else if config != nil {
            throw ConfigurationError("failed to load config file '\(file)'")
        }
        if let method { result.method = try Configuration.parseMethod(method) }
        if let path { result.path = path }
        if let logfile { result.logfile = logfile }
        if let pidfile { result.pidfile = pidfile }
        if let fsfreezeHook { result.fsfreezeHook = fsfreezeHook }
        if let fsfreezeHookTimeout { result.fsfreezeHookTimeout = fsfreezeHookTimeout }
        if let fsfreezeTimeout { result.fsfreezeTimeout = fsfreezeTimeout }
        if let statedir { result.statedir = statedir }
        if verbose { result.verbose = true }
        if daemonize { result.daemonize = true }
        if retryPath { result.retryPath = true }
        result.blockRPCs += blockRPCs.flatMap(Configuration.splitList)
        result.allowRPCs += allowRPCs.flatMap(Configuration.splitList)
        return result
    }

    mutating func run() throws {
        if version {
            print("QEMU Guest Agent \(AgentInfo.compatibleVersion) (qemu-ga-swift \(AgentInfo.release))")
            return
        }
        let configuration: Configuration
        do {
            configuration = try self.configuration()
            if configuration.blockRPCs.contains("help") {
                for name in AgentInfo.commandNames() { print(name) }
                return
            }
            if dumpConf {
                print(configuration.dump(), terminator: "")
                return
            }
            try configuration.validate()
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        let code = Agent(configuration: configuration).run()
        if code != 0 { throw ExitCode(code) }
    }
}
