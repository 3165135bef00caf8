import ArgumentParser

/// `qga shutdown [--mode powerdown|halt|reboot]`.
struct Shutdown: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Shut down, halt or reboot the guest (guest-shutdown).",
        discussion: """
            The agent sends no reply when it succeeds; qga follows the command with guest-sync, so \
            an error still arrives first. Silence until --timeout, or the connection closing, counts \
            as success.
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case powerdown, halt, reboot
    }

    @ParentCommand var qga: QGA

    @Option(help: "powerdown (the default), halt or reboot.")
    var mode: Mode = .powerdown

    func run() throws {
        try reporting {
            let connection = try qga.connect()
            try qga.callWithoutReply(connection, "guest-shutdown", arguments: ["mode": .string(mode.rawValue)])
            if !qga.json { print("Requested \(mode.rawValue)") }
        }
    }
}
