import QGAProtocol

/// `guest-get-vcpus`: every `cpuN` under `<sysfs>/devices/system/cpu`, sorted by logical id
/// (qemu-ga lists them in directory order), with whether each is online and can be offlined.
public enum GuestGetVCPUs: GuestCommand {
    public static let name = "guest-get-vcpus"

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [GuestLogicalProcessor] {
        let root = CPUSysfs.root(context.paths)
        let entries: [String]
        do {
            entries = try context.system.listDirectory(root)
        } catch {
            throw QGAError.system("failed to list entries: \(root)", from: error)
        }
        let ids = entries.compactMap(CPUSysfs.logicalID(ofEntry:)).sorted()
        var result: [GuestLogicalProcessor] = []
        result.reserveCapacity(ids.count)
        for id in ids {
            result.append(try CPUSysfs.read(id, context))
        }
        return result
    }
}
