import ArgumentParser
import QGAProtocol

/// `qga vcpus [--online N,M] [--offline N,M]`.
struct VCPUs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vcpus",
        abstract: "List the guest's vCPUs, or bring some online or offline (guest-get-vcpus, guest-set-vcpus).")

    @ParentCommand var qga: QGA

    @Option(help: ArgumentHelp("Logical CPU ids to bring online, e.g. 1,2.", valueName: "ids"), transform: VCPUs.parseIDs)
    var online: [Int64] = []

    @Option(help: ArgumentHelp("Logical CPU ids to take offline, e.g. 3.", valueName: "ids"), transform: VCPUs.parseIDs)
    var offline: [Int64] = []

    static func parseIDs(_ text: String) throws -> [Int64] {
        try text.split(separator: ",").map {
            guard let id = Int64($0.trimmingSpaces), id >= 0 else {
                throw ValidationError("'\($0)' is not a CPU id (a list such as 1,2,3).")
            }
            return id
        }
    }

    func validate() throws {
        if let both = online.first(where: offline.contains) {
            throw ValidationError("CPU \(both) is both in --online and in --offline.")
        }
    }

    func run() throws {
        try reporting {
            let connection = try qga.connect()
            if online.isEmpty && offline.isEmpty { return try list(connection) }
            let changes = online.map { ($0, true) } + offline.map { ($0, false) }
            let vcpus = JSONValue.array(changes.map { ["logical-id": .int($0.0), "online": .bool($0.1)] })
            let result = try qga.call(connection, "guest-set-vcpus", arguments: ["vcpus": vcpus])
            if qga.json { printJSON(result) } else { print("Changed \(cellText(result)) of \(changes.count) vCPU(s)") }
            // The agent stops at the first vCPU it cannot change and returns how many it did.
            if let done = result.int64Value, done < changes.count {
                printError("vCPU \(changes[Int(max(done, 0))].0) could not be changed")
                throw ExitCode(1)
            }
        }
    }

    private func list(_ connection: AgentConnection) throws {
        let result = try qga.call(connection, "guest-get-vcpus")
        if qga.json { return printJSON(result) }
        // qemu-ga lists them in directory order; people read them by number.
        let vcpus = (result.arrayValue ?? []).sorted {
            ($0["logical-id"]?.int64Value ?? 0) < ($1["logical-id"]?.int64Value ?? 0)
        }
        printTable(
            ["CPU", "ONLINE", "CAN-OFFLINE"],
            vcpus.map { [cellText($0["logical-id"]), cellText($0["online"]), cellText($0["can-offline"])] })
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
