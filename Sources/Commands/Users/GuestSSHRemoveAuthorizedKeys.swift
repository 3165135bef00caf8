import QGAProtocol

/// `guest-ssh-remove-authorized-keys`: removes every line equal to one of the keys from the
/// user's `~/.ssh/authorized_keys` (`virsh set-user-sshkeys --remove`). A missing file is
/// not an error.
public enum GuestSSHRemoveAuthorizedKeys: GuestCommand {
    public static let name = "guest-ssh-remove-authorized-keys"

    public struct Arguments {
        public var username: String
        public var keys: [String]
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        let system = context.system
        try AuthorizedKeys.check(arguments.keys)
        let account = try AuthorizedKeys.account(arguments.username, system: system)
        guard let directory = try AuthorizedKeys.openSSHDirectory(account, system: system) else { return EmptyResult() }
        defer { system.closeDirectory(directory) }
        guard let lines = try AuthorizedKeys.readIfPresent(in: directory, system: system) else { return EmptyResult() }
        let remove = Set(arguments.keys)
        try AuthorizedKeys.write(lines.filter { !remove.contains($0) }, in: directory, account: account, system: system)
        return EmptyResult()
    }
}

extension GuestSSHRemoveAuthorizedKeys.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        username = try object.required("username")
        keys = try object.required("keys")
    }
}
