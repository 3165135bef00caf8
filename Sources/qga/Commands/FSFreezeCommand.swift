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
            try qga.callAndPrint("guest-fsfreeze-status") { print(cellText($0)) }
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
            let printText = { (result: JSONValue) in print("Froze \(cellText(result)) filesystem(s)") }
            if mountpoints.isEmpty {
                try qga.callAndPrint("guest-fsfreeze-freeze", printText: printText)
            } else {
                let arguments: JSONValue = ["mountpoints": .array(mountpoints.map { .string($0) })]
                try qga.callAndPrint("guest-fsfreeze-freeze-list", arguments: arguments, printText: printText)
            }
        }
    }

    struct Thaw: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Thaw the frozen filesystems.")

        @ParentCommand var qga: QGA

        func run() throws {
            try qga.callAndPrint("guest-fsfreeze-thaw") { print("Thawed \(cellText($0)) filesystem(s)") }
        }
    }
}
