import ArgumentParser

/// `qga ping`: guest-ping.
struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the agent answers (guest-ping).")

    @ParentCommand var qga: QGA

    func run() throws {
        try reporting {
            let connection = try qga.connect()
            let result = try qga.call(connection, "guest-ping")
            if qga.json { printJSON(result) } else { print("The agent is alive.") }
        }
    }
}
