import ArgumentParser

/// `qga suspend ram|disk|hybrid`.
struct Suspend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Suspend the guest to RAM, to disk, or both (guest-suspend-*).",
        discussion: "As with shutdown, success is silence: timeout or EOF counts as success.")

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case ram, disk, hybrid
    }

    @ParentCommand var qga: QGA

    @Argument(help: "ram, disk or hybrid.")
    var kind: Kind

    func run() throws {
        try reporting {
            let connection = try qga.connect()
            try qga.callWithoutReply(connection, "guest-suspend-\(kind.rawValue)")
            if !qga.json { print("Requested suspend to \(kind.rawValue)") }
        }
    }
}
