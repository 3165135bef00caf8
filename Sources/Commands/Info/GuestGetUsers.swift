import QGAProtocol

/// `guest-get-users`: the users logged in now (`virsh guestinfo --user`), from the utmp
/// database: one entry per user name with the earliest login time of its sessions, in
/// seconds since the epoch with microseconds as the fraction. Linux has no `domain`.
public enum GuestGetUsers: GuestCommand {
    public static let name = "guest-get-users"

    public struct User: Equatable {
        public var user: String
        public var loginTime: Double
        public var domain: String?
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [User] {
        var users: [User] = []
        var index: [String: Int] = [:]
        for record in context.system.userAccountingRecords() where record.type == UserAccountingRecord.userProcess {
            let time = Double(record.seconds) + Double(record.microseconds) / 1_000_000
            if let existing = index[record.user] {
                users[existing].loginTime = min(users[existing].loginTime, time)
            } else {
                index[record.user] = users.count
                users.append(User(user: record.user, loginTime: time))
            }
        }
        return users
    }
}

extension GuestGetUsers.User: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("user", user)
        json.member("login-time", loginTime)
        json.member("domain", domain)
        json.endObject()
    }
}
