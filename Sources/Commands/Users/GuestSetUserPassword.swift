import ProcessRunner
import QGAProtocol

/// `guest-set-user-password`: sets an account's password (`virsh set-user-password`,
/// OpenStack/Proxmox password injection) by feeding `user:password` to `chpasswd`
/// (`chpasswd -e` when `crypted`, the password then being a crypt(3) hash).
///
/// `password` is base64. A newline in the password, or a newline or colon in the user name,
/// is refused before anything runs: either would let the host write a second `chpasswd` line.
public enum GuestSetUserPassword: GuestCommand {
    public static let name = "guest-set-user-password"

    public struct Arguments {
        public var username: String
        public var password: String
        public var crypted: Bool
    }

    /// `chpasswd` returns at once; one stuck on a PAM module must not wedge the agent.
    static let timeout: Double = 60

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        let invocation = try invocation(arguments)
        try context.system.runHelper(invocation, toDo: "set user password")
        return EmptyResult()
    }

    /// The `chpasswd` run for these arguments, or qemu-ga's refusal.
    static func invocation(_ arguments: Arguments) throws(QGAError) -> ProcessInvocation {
        // qemu-ga handles the password as a C string: it ends at the first NUL byte.
        let password = try Base64.decode(arguments.password).prefix { $0 != 0 }
        if password.contains(UInt8(ascii: "\n")) { throw QGAError("forbidden characters in raw password") }
        let user = Array(arguments.username.utf8)
        // A NUL would cut the name short in chpasswd's C string: refuse it with the others.
        if user.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: ":") || $0 == 0 }) {
            throw QGAError("forbidden characters in username")
        }
        let line = user + [UInt8(ascii: ":")] + password + [UInt8(ascii: "\n")]
        return ProcessInvocation("chpasswd", arguments.crypted ? ["-e"] : [], input: .bytes(line), timeout: timeout)
    }
}

extension GuestSetUserPassword.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        username = try object.required("username")
        password = try object.required("password")
        crypted = try object.required("crypted")
    }
}
