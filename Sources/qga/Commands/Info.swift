import ArgumentParser

/// `qga info`: guest-info, as a table of commands.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the agent's version and commands (guest-info).")

    @ParentCommand var qga: QGA

    func run() throws {
        try reporting {
            let connection = try qga.connect()
            let result = try qga.call(connection, "guest-info")
            if qga.json { return printJSON(result) }
            print("version: \(cellText(result["version"]))")
            let commands = result["supported_commands"]?.arrayValue ?? []
            printTable(
                ["COMMAND", "ENABLED", "SUCCESS-RESPONSE"],
                commands.map { [cellText($0["name"]), cellText($0["enabled"]), cellText($0["success-response"])] })
        }
    }
}
