import Glibc
import Channel
import CommandLineOptions
import Commands
import SystemCalls

/// qemu-ga's command line (`QemuGAOptions`, `qga/main.c`'s option table, parsed as glibc's
/// getopt_long does).
enum AgentCommandLine {
    static let shortOptions = QemuGAOptions.shortOptions
    static let longOptions = QemuGAOptions.longOptions
    static let fsfreezeTimeoutCode = QemuGAOptions.fsfreezeTimeoutCode
    static let fsfreezeHookTimeoutCode = QemuGAOptions.fsfreezeHookTimeoutCode
    static let allowVsockCIDsCode = QemuGAOptions.allowVsockCIDsCode

    private static func code(_ character: Unicode.Scalar) -> Int32 { Int32(character.value) }

    /// What the process does after parsing.
    enum Outcome: Equatable {
        /// Start the agent with this configuration.
        case run(Configuration)
        /// Print `output` to stdout and exit with `status` (help, version, command list,
        /// `-D`, or an error already reported on stderr).
        case exit(status: Int32, output: String)
    }

    /// qemu-ga's `config_parse` and the checks of its `main` before the agent starts:
    /// options in command-line order, the config file between (the last `-c`, else
    /// `$QGA_CONF`, else the default; only a named file must exist). `reportOptionError` gets
    /// getopt's complete lines (`PROG: invalid option -- 'x'`), `reportError` the agent's own
    /// messages.
    static func parse(
        _ arguments: [String], environment: (String) -> String?, reportError: (String) -> Void,
        reportOptionError: ([UInt8]) -> Void
    ) -> Outcome {
        let program = arguments.first ?? "qemu-ga-swift"
        // glibc's getopt_long stops at the first operand when POSIXLY_CORRECT is set, and
        // qemu-ga's option string does not opt out of that.
        let parsed = GetOpt.parse(
            arguments, shortOptions: shortOptions, longOptions: longOptions,
            ordering: environment("POSIXLY_CORRECT") == nil ? .permute : .requireOrder)
        for message in parsed.messages { reportOptionError(message) }
        let options = parsed.options

        var configuration = Configuration()
        let named = options.last(where: { $0.code == code("c") })?.argument
        let file = named ?? environment("QGA_CONF") ?? Configuration.defaultConfigFile
        do {
            try configuration.apply(KeyFile(contentsOf: file))
        } catch {
            if named != nil || !error.isMissing {
                reportError("error loading configuration from path: \(file), \(error.description)")
                return .exit(status: 1, output: "")
            }
        }

        var dumpConf = false
        for option in options {
            let value = option.argument ?? ""
            switch option.code {
            case code("m"): configuration.method = value
            case code("p"): configuration.path = value
            case code("l"): configuration.logfile = value
            case code("f"): configuration.pidfile = value
            case code("F"): configuration.fsfreezeHook = Configuration.hookPath(option.argument)
            case code("t"): configuration.statedir = value
            case code("v"): configuration.verbose = true
            case code("V"): return .exit(status: 0, output: versionText())
            case code("d"): configuration.daemonize = true
            case code("D"): dumpConf = true
            case code("r"): configuration.retryPath = true
            case code("b"), code("a"):
                if value == "?" || value == "help" { return .exit(status: 0, output: commandListText()) }
                if option.code == code("b") {
                    configuration.blockRPCs.add(fromCommandLine: value)
                } else {
                    configuration.allowRPCs.add(fromCommandLine: value)
                }
            case code("h"): return .exit(status: 0, output: usageText(program: program))
            case fsfreezeTimeoutCode, fsfreezeHookTimeoutCode:
                let name = option.code == fsfreezeTimeoutCode ? "fsfreeze-timeout" : "fsfreeze-hook-timeout"
                guard let seconds = Configuration.parseSeconds(value) else {
                    reportError("invalid value for --\(name): '\(value)' (expected a number of seconds)")
                    return .exit(status: 1, output: "")
                }
                if option.code == fsfreezeTimeoutCode {
                    configuration.fsfreezeTimeout = seconds
                } else {
                    configuration.fsfreezeHookTimeout = seconds
                }
            case allowVsockCIDsCode:
                // Accumulates like -b and -a, over the config file's list.
                guard let cids = VsockPeerPolicy.parseCIDs(CommandList.splitCommandLine(value)) else {
                    reportError("invalid value for --\(Configuration.allowVsockCIDsKey): '\(value)' (expected CIDs separated by commas)")
                    return .exit(status: 1, output: "")
                }
                configuration.allowVsockCIDs += cids
            case GetOpt.unknown:
                // getopt's message said which option; qemu-ga adds this line on stdout.
                return .exit(status: 1, output: "Unknown option, try '\(program) --help' for more information.\n")
            default: break  // -c: read above
            }
        }

        // systemd socket activation decides the transport (qemu-ga's main).
        switch SocketActivation.count(environment: environment) {
        case 0:
            if configuration.effectivePath == nil {
                reportError("must specify a path for this channel")
                return .exit(status: 1, output: "")
            }
        case let count:
            do {
                try SocketActivation.adopt(count: count)
            } catch {
                reportError(error.description)
                return .exit(status: 1, output: "")
            }
            guard count == 1 else {
                reportError("qemu-ga only supports listening on one socket")
                return .exit(status: 1, output: "")
            }
            guard let method = SocketActivation.method(of: SocketActivation.firstDescriptor) else {
                reportError("unsupported listen fd type")
                return .exit(status: 1, output: "")
            }
            configuration.method = method.rawValue
            configuration.path = nil
            configuration.listenDescriptor = SocketActivation.firstDescriptor
        }

        if dumpConf { return .exit(status: 0, output: configuration.dump()) }
        return .run(configuration)
    }

    /// `-V`: the upstream release whose behaviour this agent implements, and our own.
    static func versionText() -> String {
        "QEMU Guest Agent \(AgentInfo.compatibleVersion) (qemu-ga-swift \(AgentInfo.release))\n"
    }

    /// `-b help`, `-a ?`: every command, one per line, in registry order.
    static func commandListText() -> String {
        AgentInfo.commandNames().map { $0 + "\n" }.joined()
    }

    /// `-h`: laid out like qemu-ga's help, with this agent's options and defaults.
    static func usageText(program: String) -> String {
        """
        Usage: \(program) [-m <method> -p <path>] [<options>]
        qemu-ga-swift \(AgentInfo.release), QEMU Guest Agent \(AgentInfo.compatibleVersion) compatible

          -c, --config=PATH read this config file (default \(Configuration.defaultConfigFile),
                            or $QGA_CONF when set); the command line overrides it
          -m, --method      how to reach the host: virtio-serial (the default),
                            isa-serial, unix-listen or vsock-listen
          -p, --path        the device or socket (virtio-serial default:
                            \(VirtioSerialPort.defaultPath),
                            isa-serial default: /dev/ttyS0);
                            vsock-listen takes <cid>:<port>
          -l, --logfile     log to this file instead of stderr
          -f, --pidfile     the pid file written with -d (default /var/run/qemu-ga.pid)
          -F, --fsfreeze-hook[=PATH]
                            run PATH freeze / PATH thaw around filesystem freezes
                            (default \(Configuration.defaultFsfreezeHook)); give PATH
                            attached: -F/path/to/hook, never -F /path/to/hook
              --fsfreeze-hook-timeout=SECONDS
                            kill a hook still running after SECONDS (default \(Configuration.defaultFsfreezeHookTimeout.secondsText),
                            0 = never)
              --fsfreeze-timeout=SECONDS
                            thaw by itself when no thaw comes within SECONDS
                            (default \(Configuration.defaultFsfreezeTimeout.secondsText), 0 = never)
          -t, --statedir    directory for persistent state (default /var/run)
          -v, --verbose     log debugging messages too
          -V, --version     print the version and exit
          -d, --daemonize   detach and run in the background
          -b, --block-rpcs  disable these commands (comma-separated, no spaces;
                            "--block-rpcs=help" lists every command)
          -a, --allow-rpcs  enable only these commands (comma-separated, no spaces;
                            "--allow-rpcs=help" lists every command)
              --allow-vsock-cids=LIST
                            with vsock-listen, serve these CIDs (comma-separated)
                            besides the host's (2); any other peer, the guest's own
                            loopback (CID 1) included, is disconnected unanswered
          -D, --dump-conf   print the effective configuration as a config file and exit
          -r, --retry-path  keep reopening the channel every 5 s while it is missing or
                            after it fails (virtio-serial unplug and replug, say)
          -h, --help        print this help and exit

        """
    }
}
