import ArgumentParser

/// `qga ping`: guest-ping.
struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the agent answers (guest-ping).")

    @ParentCommand var qga: QGA

    func run() throws {
        try qga.callAndPrint("guest-ping") { _ in print("The agent is alive.") }
    }
}
