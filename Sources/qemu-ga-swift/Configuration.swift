import Channel
import Commands

/// The agent's effective settings: built-in defaults, then the config file, then the
/// command line (qemu-ga's order; lists from both accumulate).
struct Configuration: Equatable {
    var daemonize = false
    var method: ChannelMethod = .virtioSerial
    var path: String?
    var logfile: String?
    var pidfile = "/var/run/qemu-ga.pid"
    var fsfreezeHook: String?
    var fsfreezeHookTimeout: Double = 60
    var fsfreezeTimeout: Double = 600
    var statedir = "/var/run"
    var verbose = false
    var retryPath = false
    var blockRPCs: [String] = []
    var allowRPCs: [String] = []

    static let defaultConfigFile = "/etc/qemu/qemu-ga.conf"
    static let defaultFsfreezeHook = "/etc/qemu/fsfreeze-hook"

    /// The path the channel opens: `-p`, else the method's default.
    var effectivePath: String? { path ?? method.defaultPath }

    /// Applies `[general]` of a qemu-ga config file (GLib key-file syntax).
    mutating func apply(keyFile text: String, source: String) throws(ConfigurationError) {
        var group = ""
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                group = String(line.dropFirst().dropLast())
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(source):\(number + 1): expected key=value, got '\(line)'")
            }
            guard group == "general" else { continue }
            let key = line[..<equals].trimmingWhitespace()
            let value = line[line.index(after: equals)...].trimmingWhitespace()
            try set(key: key, value: value, source: "\(source):\(number + 1)")
        }
    }

    private mutating func set(key: String, value: String, source: String) throws(ConfigurationError) {
        func bool() throws(ConfigurationError) -> Bool {
            switch value.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw ConfigurationError("\(source): key '\(key)' expects true or false, got '\(value)'")
            }
        }
        func seconds() throws(ConfigurationError) -> Double {
            guard let number = Double(value), number >= 0 else {
                throw ConfigurationError("\(source): key '\(key)' expects a number of seconds, got '\(value)'")
            }
            return number
        }
        switch key {
        case "daemon": daemonize = try bool()
        case "method": method = try Configuration.parseMethod(value)
        case "path": path = value
        case "logfile": logfile = value
        case "pidfile": pidfile = value
        case "fsfreeze-hook": fsfreezeHook = value.isEmpty ? Configuration.defaultFsfreezeHook : value
        case "fsfreeze-hook-timeout": fsfreezeHookTimeout = try seconds()
        case "fsfreeze-timeout": fsfreezeTimeout = try seconds()
        case "statedir": statedir = value
        case "verbose": verbose = try bool()
        case "retry-path": retryPath = try bool()
        case "block-rpcs", "blacklist": blockRPCs += Configuration.splitList(value)
        case "allow-rpcs": allowRPCs += Configuration.splitList(value)
        default: break  // qemu-ga ignores unknown keys too
        }
    }

    static func parseMethod(_ text: String) throws(ConfigurationError) -> ChannelMethod {
        guard let method = ChannelMethod(rawValue: text) else {
            throw ConfigurationError("invalid method '\(text)': expected one of "
                + ChannelMethod.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return method
    }

    /// RPC lists: comma-separated on the command line, `;`-separated in key files; both work.
    static func splitList(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == ";" }).map { String($0).trimmingWhitespace() }
            .filter { !$0.isEmpty }
    }

    /// Checks what qemu-ga checks before it starts.
    func validate() throws(ConfigurationError) {
        if !blockRPCs.isEmpty && !allowRPCs.isEmpty {
            throw ConfigurationError(
                "wrong commandline, using --block-rpcs and --allow-rpcs at the same time is not allowed")
        }
        if effectivePath == nil && Environment.get("LISTEN_FDS") == nil {
            throw ConfigurationError("must specify a path for this channel")
        }
    }

    /// `-D/--dump-conf`: the effective configuration as a key file.
    func dump() -> String {
        var lines = ["[general]"]
        lines.append("daemon=\(daemonize)")
        lines.append("method=\(method.rawValue)")
        if let path = effectivePath { lines.append("path=\(path)") }
        if let logfile { lines.append("logfile=\(logfile)") }
        lines.append("pidfile=\(pidfile)")
        if let fsfreezeHook { lines.append("fsfreeze-hook=\(fsfreezeHook)") }
        lines.append("fsfreeze-hook-timeout=\(Configuration.formatSeconds(fsfreezeHookTimeout))")
        lines.append("fsfreeze-timeout=\(Configuration.formatSeconds(fsfreezeTimeout))")
        lines.append("statedir=\(statedir)")
        lines.append("verbose=\(verbose)")
        lines.append("retry-path=\(retryPath)")
        lines.append("block-rpcs=\(Configuration.keyFileList(blockRPCs))")
        lines.append("allow-rpcs=\(Configuration.keyFileList(allowRPCs))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// GLib's string-list form: sorted here, each item followed by `;`.
    static func keyFileList(_ items: [String]) -> String {
        Array(Set(items)).sorted().map { $0 + ";" }.joined()
    }

    static func formatSeconds(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? String(Int64(value)) : String(value)
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
