import ArgumentParser
import QGAProtocol

/// `qga users`: who is logged in to the guest (guest-get-users), as `virsh guestinfo --user`
/// (login time in milliseconds since the epoch).
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the users logged in to the guest (guest-get-users).")

    @ParentCommand var qga: QGA

    func run() throws {
        try qga.callAndPrint("guest-get-users") { result in
            let users = result.arrayValue ?? []
            var fields: [(String, String?)] = [("user.count", String(users.count))]
            for (index, user) in users.enumerated() {
                fields += [
                    ("user.\(index).name", user["user"].map { cellText($0) }),
                    ("user.\(index).domain", user["domain"].map { cellText($0) }),
                    ("user.\(index).login-time", user["login-time"].flatMap(Self.milliseconds)),
                ]
            }
            printFields(fields)
        }
    }

    /// The agent's seconds (a fraction) as whole milliseconds, as virsh shows them.
    static func milliseconds(_ seconds: JSONValue) -> String? {
        switch seconds {
        case .double(let value): return String(Int64((value * 1000).rounded(.down)))
        case .int(let value): return String(value * 1000)
        case .number(let text): return Double(text).map { String(Int64(($0 * 1000).rounded(.down))) }
        default: return nil
        }
    }
}
