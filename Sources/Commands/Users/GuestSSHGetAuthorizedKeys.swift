import QGAProtocol

/// `guest-ssh-get-authorized-keys`: the keys in the user's `~/.ssh/authorized_keys`
/// (`virsh guest-agent ... ` / `virsh get-user-sshkeys`).
///
/// Lines are stripped of surrounding whitespace; empty lines and `#` comments are left out.
/// The list comes in reverse file order, as qemu-ga builds it (it prepends each key).
public enum GuestSSHGetAuthorizedKeys: GuestCommand {
    public static let name = "guest-ssh-get-authorized-keys"

    public struct Arguments {
        public var username: String
    }

    public struct Result {
        public var keys: [String]
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Result {
        let system = context.system
        let account = try AuthorizedKeys.account(arguments.username, system: system)
        guard let directory = try AuthorizedKeys.openSSHDirectory(account, system: system) else {
            throw AuthorizedKeys.missingFile(AuthorizedKeys.keysFile(account))
        }
        defer { system.closeDirectory(directory) }
        let lines = try AuthorizedKeys.read(in: directory, system: system)
        let keys = lines.map(stripped).filter { !$0.isEmpty && !$0.hasPrefix("#") }
        return Result(keys: keys.reversed())
    }

    /// `g_strstrip`: without leading and trailing ASCII white space (`isspace`).
    static func stripped(_ line: String) -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        let bytes = Array(line.utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}

extension GuestSSHGetAuthorizedKeys.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        username = try object.required("username")
    }
}

extension GuestSSHGetAuthorizedKeys.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("keys", keys)
        json.endObject()
    }
}
