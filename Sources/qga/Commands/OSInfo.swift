import ArgumentParser

/// `qga osinfo`: the guest's operating system (guest-get-osinfo), as `virsh guestinfo --os`.
struct OSInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "osinfo", abstract: "Show the guest's operating system and kernel (guest-get-osinfo).")

    @ParentCommand var qga: QGA

    /// virsh's names for the agent's members, in virsh's order.
    static let fields = [
        ("os.id", "id"), ("os.name", "name"), ("os.pretty-name", "pretty-name"), ("os.version", "version"),
        ("os.version-id", "version-id"), ("os.kernel-release", "kernel-release"), ("os.kernel-version", "kernel-version"),
        ("os.machine", "machine"), ("os.variant", "variant"), ("os.variant-id", "variant-id"),
    ]

    func run() throws {
        try qga.callAndPrint("guest-get-osinfo") { result in
            printFields(Self.fields.map { ($0.0, result[$0.1].map { cellText($0) }) })
        }
    }
}
