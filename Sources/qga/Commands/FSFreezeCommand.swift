import ArgumentParser
import QGAProtocol

/// `qga fsfreeze status|freeze|thaw`.
struct FSFreezeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsfreeze",
        abstract: "Freeze and thaw the guest's filesystems (guest-fsfreeze-*).",
        subcommands: [Status.self, Freeze.self, Thaw.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show whether the filesystems are frozen.")

        @ParentCommand var qga: QGA

        func run() throws {
            try reporting {
                let connection = try qga.connect()
                let result = try qga.call(connection, "guest-fsfreeze-status")
                if qga.json { printJSON(result) } else { print(cellText(result)) }
            }
        }
    }

    struct Freeze: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Freeze all filesystems, or only the given mountpoints.",
            discussion: "Runs the guest's fsfreeze hook first. Thaw with 'qga fsfreeze thaw'.")

        @ParentCommand var qga: QGA

        @Option(name: .customLong("mountpoint"), help: ArgumentHelp("Freeze only this mountpoint (repeatable).", valueName: "path"))
        var mountpoints: [String] = []

        func run() throws {
            try reporting {
                let connection = try qga.connect()
                let result: JSONValue
                if mountpoints.isEmpty {
                    result = try qga.call(connection, "guest-fsfreeze-freeze")
                } else {
                    result = try qga.call(
                        connection, "guest-fsfreeze-freeze-list",
                        arguments: ["mountpoints": .array(mountpoints.map { .string($0) })])
                }
                if qga.json { printJSON(result) } else { print("Froze \(cellText(result)) filesystem(s)") }
            }
        }
    }

    struct Thaw: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Thaw the frozen filesystems.")

        @ParentCommand var qga: QGA

        func run() throws {
            try reporting {
                let connection = try qga.connect()
                let result = try qga.call(connection, "guest-fsfreeze-thaw")
                if qga.json { printJSON(result) } else { print("Thawed \(cellText(result)) filesystem(s)") }
            }
        }
    }
}
