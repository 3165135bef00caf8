import ArgumentParser
import QGAProtocol

/// `qga fsinfo`: the guest's mounted filesystems and the disks under them (guest-get-fsinfo),
/// as `virsh guestinfo --filesystem` names them.
struct FSInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsinfo", abstract: "Show the guest's filesystems, their usage and disks (guest-get-fsinfo).")

    @ParentCommand var qga: QGA

    func run() throws {
        try qga.callAndPrint("guest-get-fsinfo") { result in
            let filesystems = result.arrayValue ?? []
            var fields: [(String, String?)] = [("fs.count", String(filesystems.count))]
            for (index, filesystem) in filesystems.enumerated() {
                let prefix = "fs.\(index)."
                fields += [
                    (prefix + "name", filesystem["name"].map { cellText($0) }),
                    (prefix + "mountpoint", filesystem["mountpoint"].map { cellText($0) }),
                    (prefix + "fstype", filesystem["type"].map { cellText($0) }),
                    (prefix + "total-bytes", filesystem["total-bytes"].map { cellText($0) }),
                    (prefix + "used-bytes", filesystem["used-bytes"].map { cellText($0) }),
                ]
                let disks = filesystem["disk"]?.arrayValue ?? []
                fields.append((prefix + "disk.count", String(disks.count)))
                for (number, disk) in disks.enumerated() {
                    let diskPrefix = prefix + "disk.\(number)."
                    fields += [
                        (diskPrefix + "serial", disk["serial"].map { cellText($0) }),
                        (diskPrefix + "device", disk["dev"].map { cellText($0) }),
                        (diskPrefix + "bus-type", disk["bus-type"].map { cellText($0) }),
                    ]
                }
            }
            printFields(fields)
        }
    }
}
