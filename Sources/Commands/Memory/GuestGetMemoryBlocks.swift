import Glibc
import QGAProtocol

/// `guest-get-memory-blocks`: every `memoryN` under `<sysfs>/devices/system/memory`, sorted by
/// phys-index (qemu-ga lists them in directory order). A guest without that directory has no
/// hot-pluggable memory: the list is empty.
public enum GuestGetMemoryBlocks: GuestCommand {
    public static let name = "guest-get-memory-blocks"

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [GuestMemoryBlock] {
        let root = MemorySysfs.root(context.paths)
        let entries: [String]
        do {
            entries = try context.system.listDirectory(root)
        } catch {
            guard let code = error.errno else { throw error }
            if code == ENOENT { return [] }
            // qemu-ga's text, missing space included.
            throw QGAError.system("Can't open directory\"\(root)\"", errno: code)
        }
        let indexes = entries.compactMap { name -> UInt64? in
            guard let index = MemorySysfs.physIndex(ofEntry: name),
                context.system.isDirectory(root + name)
            else { return nil }
            return index
        }.sorted()
        guard !indexes.isEmpty else { throw QGAError("guest reported zero memory blocks!") }
        var blocks: [GuestMemoryBlock] = []
        blocks.reserveCapacity(indexes.count)
        for index in indexes {
            blocks.append(try MemorySysfs.read(index, context))
        }
        return blocks
    }
}
