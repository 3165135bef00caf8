import CommandLineOptions
import Channel
import Commands
import SystemCalls

/// The agent's effective settings: built-in defaults, then the config file, then the
/// command line (qemu-ga's order; `-b`/`-a` lists from both accumulate).
struct Configuration: Equatable {
    var daemonize = false
    /// The `-m` name as given; checked when the agent starts, as qemu-ga does (so `-D` shows it).
    var method = ChannelMethod.virtioSerial.rawValue
    var path: String?
    var logfile: String?
    var pidfile = "/var/run/qemu-ga.pid"
    var fsfreezeHook: String?
    var fsfreezeHookTimeout: Double = Configuration.defaultFsfreezeHookTimeout
    var fsfreezeTimeout: Double = Configuration.defaultFsfreezeTimeout
    var statedir = "/var/run"
    var verbose = false
    var retryPath = false
    var blockRPCs = CommandList()
    var allowRPCs = CommandList()
    /// vsock peers served besides the host (CID 2), in the order given (`--allow-vsock-cids`).
    var allowVsockCIDs: [UInt32] = []
    /// The listening socket systemd passed (socket activation); not a config-file setting.
    var listenDescriptor: Int32?

    static let defaultConfigFile = "/etc/qemu/qemu-ga.conf"
    static let defaultFsfreezeHook = "/etc/qemu/fsfreeze-hook"
    static let defaultFsfreezeHookTimeout: Double = 60
    static let defaultFsfreezeTimeout: Double = 600
    /// Our option's name and config key: qemu-ga has no such setting.
    static let allowVsockCIDsKey = QemuGAOptions.allowVsockCIDsName
    /// The key-file group qemu-ga reads and writes.
    static let group = "general"

    /// The transport, or nil for a name qemu-ga does not know.
    var channelMethod: ChannelMethod? { ChannelMethod(rawValue: method) }

    /// The path the channel opens: `-p`, else the method's default.
    var effectivePath: String? { path ?? channelMethod?.defaultPath }

    /// Applies `[general]` of a qemu-ga config file, key by key in qemu-ga's order
    /// (`config_load`), so the first bad value reported is the one qemu-ga reports.
    mutating func apply(_ file: KeyFile) throws(KeyFileError) {
        let group = Configuration.group
        if let value = try file.boolean("daemon", in: group) { daemonize = value }
        if let value = try file.string("method", in: group) { method = value }
        if let value = try file.string("path", in: group) { path = value }
        if let value = try file.string("logfile", in: group) { logfile = value }
        if let value = try file.string("pidfile", in: group) { pidfile = value }
        if let value = try file.string("fsfreeze-hook", in: group) { fsfreezeHook = Configuration.hookPath(value) }
        if let value = try file.string("statedir", in: group) { statedir = value }
        // Like qemu-ga, verbose=false in the file does not undo anything.
        if try file.boolean("verbose", in: group) == true { verbose = true }
        if let value = try file.boolean("retry-path", in: group) { retryPath = value }
        // qemu-ga 7.2's key, still written by older installations.
        if let value = try file.string("blacklist", in: group) { blockRPCs.add(fromConfigFile: value) }
        if let value = try file.string("block-rpcs", in: group) { blockRPCs.add(fromConfigFile: value) }
        if let value = try file.string("allow-rpcs", in: group) { allowRPCs.add(fromConfigFile: value) }
        if let value = try file.string(Configuration.allowVsockCIDsKey, in: group) {
            guard let cids = VsockPeerPolicy.parseCIDs(CommandList.splitConfigFile(value)) else {
                throw KeyFileError.uninterpretable(Configuration.allowVsockCIDsKey)
            }
            allowVsockCIDs += cids
        }
        if let value = try file.string("fsfreeze-hook-timeout", in: group) {
            guard let seconds = Configuration.parseSeconds(value) else { throw KeyFileError.uninterpretable("fsfreeze-hook-timeout") }
            fsfreezeHookTimeout = seconds
        }
        if let value = try file.string("fsfreeze-timeout", in: group) {
            guard let seconds = Configuration.parseSeconds(value) else { throw KeyFileError.uninterpretable("fsfreeze-timeout") }
            fsfreezeTimeout = seconds
        }
    }

    /// The hook an `-F`/`fsfreeze-hook` value names: an empty value means the default hook,
    /// as a bare `-F` does (qemu-ga takes "" as the hook's path and then fails every freeze).
    static func hookPath(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return defaultFsfreezeHook }
        return value
    }

    /// Seconds for the freeze timeouts: a non-negative number.
    static func parseSeconds(_ text: String) -> Double? {
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return value
    }

    /// `-D/--dump-conf`: qemu-ga's key file (`config_dump`, GLib's escaping, each list as
    /// ``CommandList/dumpValue`` writes it), then our own keys where they differ from their
    /// defaults.
    func dump() -> String {
        var lines = ["[general]"]
        func add(_ key: String, _ value: String) { lines.append(key + "=" + KeyFile.escape(value)) }
        add("daemon", daemonize ? "true" : "false")
        add("method", method)
        if let path = effectivePath { add("path", path) }
        if let logfile { add("logfile", logfile) }
        add("pidfile", pidfile)
        if let fsfreezeHook { add("fsfreeze-hook", fsfreezeHook) }
        add("statedir", statedir)
        add("verbose", verbose ? "true" : "false")
        add("retry-path", retryPath ? "true" : "false")
        add("block-rpcs", blockRPCs.dumpValue)
        add("allow-rpcs", allowRPCs.dumpValue)
        if !allowVsockCIDs.isEmpty { add(Configuration.allowVsockCIDsKey, VsockPeerPolicy.listText(allowVsockCIDs)) }
        if fsfreezeHookTimeout != Configuration.defaultFsfreezeHookTimeout {
            add("fsfreeze-hook-timeout", fsfreezeHookTimeout.secondsText)
        }
        if fsfreezeTimeout != Configuration.defaultFsfreezeTimeout {
            add("fsfreeze-timeout", fsfreezeTimeout.secondsText)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A `-b`/`-a` list of command names, gathered from the config file and the command line.
struct CommandList: Equatable {
    /// The names, in the order given (qemu-ga reverses each list it splits; the order means
    /// nothing to it, and a dump that keeps it reads back to the same dump).
    private(set) var names: [String] = []
    /// Each non-empty piece as it was given: the config file's value as written, a command-line
    /// value as typed. qemu-ga splits both at `,` and joins its list with `,` for `-D`, so a
    /// file's `a;b` dumps as `a;b`: GLib's list reader (`g_key_file_get_string_list`, how
    /// QEMU's own test reads the dump) then sees the two names the file meant.
    private var pieces: [String] = []

    var isEmpty: Bool { names.isEmpty }

    /// A command-line list (`-b a,b`): split at `,` like qemu-ga's `g_strsplit` (an empty
    /// string is no item; empty items between commas are kept and match no command).
    mutating func add(fromCommandLine text: String) {
        guard !text.isEmpty else { return }
        names += CommandList.splitCommandLine(text)
        pieces.append(text)
    }

    /// A config-file list: `,` as in qemu-ga, and also `;`, GLib's list separator. qemu-ga
    /// takes `guest-exec;guest-file-open` (the form of its own sample config) as one unknown
    /// name and blocks nothing; here it blocks both.
    mutating func add(fromConfigFile text: String) {
        guard !text.isEmpty else { return }
        names += CommandList.splitConfigFile(text)
        pieces.append(text)
    }

    /// A command-line list's items (`-b a,b`, `--allow-vsock-cids 1,3`): split at `,` like
    /// qemu-ga's `g_strsplit`.
    static func splitCommandLine(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    /// A config-file list's items: at `,` and at `;`.
    static func splitConfigFile(_ text: String) -> [String] {
        text.isEmpty
            ? [] : text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "," || $0 == ";" }).map(String.init)
    }

    /// The value `-D` writes: the pieces joined with `,`, as qemu-ga 7.2 to 11.1 dump it.
    var dumpValue: String { pieces.joined(separator: ",") }
}

/// A setting the agent cannot start with; the message is qemu-ga's where it has one.
struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
