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
        let path = AuthorizedKeys.keysFile(account)
        guard system.fileExists(path) else { return EmptyResult() }
        let remove = Set(arguments.keys)
        let kept = try AuthorizedKeys.read(path, system: system).filter { !remove.contains($0) }
        try AuthorizedKeys.write(kept, to: path, account: account, system: system)
        return EmptyResult()
    }
}

extension GuestSSHRemoveAuthorizedKeys.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        username = try object.required("username")
        keys = try object.required("keys")
    }
}
