import Glibc
import QGAProtocol
import SystemCalls

/// The sysfs side of memory hot-(un)plug: `<sysfs>/devices/system/memory/memoryN/{state,removable}`
/// (qemu-ga's `transfer_memory_block`).
enum MemorySysfs {
    /// `<sysfs>/devices/system/memory/`, with qemu-ga's trailing slash (it shows in error texts).
    static func root(_ paths: SystemPaths) -> String { paths.sys("devices/system/memory/") }

    static func directory(_ index: UInt64, _ paths: SystemPaths) -> String {
        root(paths) + "memory\(index)/"
    }

    /// The N of a `memoryN` entry; nil for `block_size_bytes`, `auto_online_blocks` and the like.
    static func physIndex(ofEntry name: String) -> UInt64? { name.numberedEntry(prefix: "memory") }

    /// A small sysfs attribute, with qemu-ga's `ga_read_sysfs_file` error texts
    /// (`open sysfs file "state": …`, `pread sysfs file "state": unexpected EOF`).
    static func readAttribute(_ directory: String, _ name: String, _ system: any GuestFiles) throws(QGAError)
        -> [UInt8]
    {
        guard let bytes = try readAttributeIfPresent(directory, name, system) else {
            throw QGAError.system("open sysfs file \"\(name)\"", errno: ENOENT)
        }
        return bytes
    }

    /// The attribute as ``readAttribute(_:_:_:)`` reads it, nil when it does not exist (ENOENT):
    /// some kernels have no `state` or `removable`.
    static func readAttributeIfPresent(_ directory: String, _ name: String, _ system: any GuestFiles)
        throws(QGAError) -> [UInt8]?
    {
        let bytes: [UInt8]
        do {
            bytes = try system.readFile(directory + name, maxBytes: 64)
        } catch where error.isNoSuchFile {
            return nil
        } catch {
            let call = error.call == .open ? "open" : "pread"
            throw QGAError.system("\(call) sysfs file \"\(name)\"", from: error)
        }
        guard !bytes.isEmpty else { throw QGAError("pread sysfs file \"\(name)\": unexpected EOF") }
        return bytes
    }

    /// `state` reads `online`, `offline` or `going-offline`; only the first counts as online.
    static func isOnline(_ state: [UInt8]) -> Bool { state.starts(with: Array("online".utf8)) }

    /// The state of block `index`, for `guest-get-memory-blocks`, which has just listed its
    /// directory (no stat per block here: a large guest has thousands).
    static func read(_ index: UInt64, _ context: CommandContext) throws(QGAError) -> GuestMemoryBlock {
        let directory = directory(index, context.paths)
        guard let state = try readAttributeIfPresent(directory, "state", context.system) else {
            // Kernels without `state` cannot offline memory at all.
            return GuestMemoryBlock(physIndex: index, online: true, canOffline: false)
        }
        // No `removable` file: the block cannot be offlined.
        let removable = try readAttributeIfPresent(directory, "removable", context.system)
        let canOffline = removable.map { $0.first != UInt8(ascii: "0") } ?? false
        return GuestMemoryBlock(physIndex: index, online: isOnline(state), canOffline: canOffline)
    }

    /// Brings block `request.physIndex` online or offline; writes `state` only when it changes.
    /// Never throws: every failure is a per-block response with the errno.
    static func set(_ request: GuestMemoryBlock, _ context: CommandContext) -> GuestMemoryBlockResponse {
        let index = request.physIndex
        func response(_ type: GuestMemoryBlockResponseType, errno: Int32? = nil) -> GuestMemoryBlockResponse {
            GuestMemoryBlockResponse(physIndex: index, response: type, errorCode: errno.map { Int64($0) })
        }
        func response(_ type: GuestMemoryBlockResponseType, _ error: SystemCallError) -> GuestMemoryBlockResponse {
            response(type, errno: error.errno.rawValue)
        }
        let system = context.system
        do {
            try system.checkDirectory(root(context.paths))
        } catch {
            // No memory directory in sysfs: this guest cannot hot-(un)plug memory.
            return response(error.isNoSuchFile ? .operationNotSupported : .operationFailed, error)
        }
        let directory = directory(index, context.paths)
        do {
            try system.checkDirectory(directory)
        } catch {
            return response(error.isNoSuchFile ? .notFound : .operationFailed, error)
        }
        let state: [UInt8]
        do {
            guard let present = try readAttributeIfPresent(directory, "state", system) else {
                // Without `state` a block is always online: onlining it is a no-op.
                return request.online ? response(.success) : response(.operationNotSupported, errno: ENOENT)
            }
            state = present
        } catch {
            // An unexpected EOF has no errno: qemu-ga reports 0.
            return response(.operationFailed, errno: error.errno ?? 0)
        }
        guard isOnline(state) != request.online else { return response(.success) }
        do {
            try system.writeFile(directory + "state", Array((request.online ? "online" : "offline").utf8))
        } catch {
            return response(.operationFailed, error)
        }
        return response(.success)
    }
}
