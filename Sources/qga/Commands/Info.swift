import ArgumentParser

/// `qga info`: guest-info, as a table of commands.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the agent's version and commands (guest-info).")

    @ParentCommand var qga: QGA

    func run() throws {
        try qga.callAndPrint("guest-info") { result in
            print("version: \(cellText(result["version"]))")
            let commands = result["supported_commands"]?.arrayValue ?? []
            printTable(
                ["COMMAND", "ENABLED", "SUCCESS-RESPONSE"],
                commands.map { [cellText($0["name"]), cellText($0["enabled"]), cellText($0["success-response"])] })
        }
    }
}
