import QGAProtocol

/// `guest-ssh-add-authorized-keys`: appends keys to the user's `~/.ssh/authorized_keys`
/// (`virsh set-user-sshkeys`), skipping any already there; with `reset`, the file holds
/// exactly the given keys.
///
/// `~/.ssh` is created (0700, owned by the user) when needed; the file is replaced
/// atomically and left 0600, owned by the user.
public enum GuestSSHAddAuthorizedKeys: GuestCommand {
    public static let name = "guest-ssh-add-authorized-keys"

    public struct Arguments {
        public var username: String
        public var keys: [String]
        public var reset: Bool?
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        let system = context.system
        try AuthorizedKeys.check(arguments.keys)
        let account = try AuthorizedKeys.account(arguments.username, system: system)
        let directory = try AuthorizedKeys.openOrMakeSSHDirectory(account, system: system)
        defer { system.closeDirectory(directory) }
        // An unreadable file counts as empty, as in qemu-ga.
        let existing = arguments.reset == true ? nil : try? AuthorizedKeys.readIfPresent(in: directory, system: system)
        var lines = existing ?? []
        for key in arguments.keys where !lines.contains(key) { lines.append(key) }
        try AuthorizedKeys.write(lines, in: directory, account: account, system: system)
        return EmptyResult()
    }
}

extension GuestSSHAddAuthorizedKeys.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        username = try object.required("username")
        keys = try object.required("keys")
        reset = try object.optional("reset")
    }
}
