import ArgumentParser

/// `qga hostname`: the guest's host name (guest-get-host-name), as `virsh guestinfo --hostname`.
struct Hostname: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the guest's host name (guest-get-host-name).")

    @ParentCommand var qga: QGA

    func run() throws {
        try qga.callAndPrint("guest-get-host-name") { result in
            printFields([("hostname", result["host-name"].map { cellText($0) })])
        }
    }
}
