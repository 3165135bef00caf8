import ArgumentParser

/// `qga timezone`: the guest's time zone now (guest-get-timezone), as `virsh guestinfo --timezone`.
struct Timezone: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the guest's time zone and its offset from UTC in seconds (guest-get-timezone).")

    @ParentCommand var qga: QGA

    func run() throws {
        try qga.callAndPrint("guest-get-timezone") { result in
            printFields([("timezone.name", result["zone"].map { cellText($0) }), ("timezone.offset", result["offset"].map { cellText($0) })])
        }
    }
}
