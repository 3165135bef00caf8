import QGAProtocol

/// A registered command, with its type erased.
public struct CommandEntry {
    public let name: String
    public let successResponse: Bool
    public let delimitedReply: Bool
    /// Decodes the arguments, runs the command and writes its result into the writer.
    let invoke: (JSONValue?, CommandContext, inout JSONWriter) throws(QGAError) -> Void

    init<C: GuestCommand>(_ command: C.Type) {
        name = C.name
        successResponse = C.successResponse
        delimitedReply = C.delimitedReply
        invoke = { (arguments, context, writer) throws(QGAError) in
            try C.run(try C.Arguments(arguments: arguments), context: context).encode(to: &writer)
        }
    }
}

/// The commands this agent knows, and which of them are enabled right now.
///
/// A command is disabled by `-b/--block-rpcs`, by not being in `-a/--allow-rpcs` (both lists
/// may be given; the block list wins), or by the frozen state (everything but
/// ``frozenAllowList``). Thawing re-enables exactly the commands that neither list disables.
public final class CommandRegistry {
    /// What stays enabled while filesystems are frozen (qemu-ga's `ga_freeze_allowlist`).
    public static let frozenAllowList: Set<String> = [
        "guest-ping", "guest-info", "guest-sync", "guest-sync-delimited",
        "guest-fsfreeze-status", "guest-fsfreeze-thaw",
    ]

    public private(set) var entries: [CommandEntry] = []
    private var byName: [String: Int] = [:]

    public var blocked: Set<String> = [] { didSet { generation &+= 1 } }
    /// `nil` means every command is allowed.
    public var allowed: Set<String>? { didSet { generation &+= 1 } }
    public var frozen = false { didSet { generation &+= 1 } }
    /// Changes whenever enablement may have changed (lets `guest-info` cache its reply).
    public private(set) var generation = 0

    public init() {}

    public func register<C: GuestCommand>(_ command: C.Type) {
        precondition(byName[C.name] == nil, "\(C.name) registered twice")
        byName[C.name] = entries.count
        entries.append(CommandEntry(command))
        generation &+= 1
    }

    public func entry(named name: String) -> CommandEntry? {
        byName[name].map { entries[$0] }
    }

    /// The same for an entry already looked up (the per-request path).
    public func disabledError(for entry: CommandEntry) -> QGAError? {
        disabledError(for: entry.name)
    }

    /// Why `name` is disabled right now, or nil when it is enabled.
    ///
    /// qemu-ga 10.x's reason for the block and allow lists (the block list wins over the allow
    /// list); then the frozen state. Unlike 10.x, a blocked command stays blocked while frozen
    /// (10.x re-enables the frozen allow list even when blocked), and the frozen state keeps
    /// 7.2's reason, which tells the host why: 10.x says "not allowed" there too.
    public func disabledError(for name: String) -> QGAError? {
        // isEmpty first: hashing the name for an empty set is most of this function's cost.
        let isBlocked = !blocked.isEmpty && blocked.contains(name)
        if isBlocked || allowed.map({ !$0.contains(name) }) == true {
            return .commandDisabled(name, reason: "the command is not allowed")
        }
        if frozen && !Self.frozenAllowList.contains(name) {
            return .commandDisabled(name, reason: "the agent is in frozen state")
        }
        return nil
    }

    public func isEnabled(_ name: String) -> Bool { disabledError(for: name) == nil }
}
