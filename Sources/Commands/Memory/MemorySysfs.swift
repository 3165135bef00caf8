import Glibc
import QGAProtocol

/// The sysfs side of memory hot-(un)plug: `<sysfs>/devices/system/memory/memoryN/{state,removable}`
/// (qemu-ga's `transfer_memory_block`).
enum MemorySysfs {
    /// `<sysfs>/devices/system/memory/`, with qemu-ga's trailing slash (it shows in error texts).
    static func root(_ paths: SystemPaths) -> String { paths.sys("devices/system/memory/") }

    static func directory(_ index: UInt64, _ paths: SystemPaths) -> String {
        root(paths) + "memory\(index)/"
    }

    /// The N of a `memoryN` entry; nil for `block_size_bytes`, `auto_online_blocks` and the like.
    static func physIndex(ofEntry name: String) -> UInt64? {
        guard name.hasPrefix("memory") else { return nil }
        let digits = name.dropFirst(6)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    /// A small sysfs attribute, with qemu-ga's `ga_read_sysfs_file` error texts
    /// (`open sysfs file "state": …`, `pread sysfs file "state": unexpected EOF`).
    static func readAttribute(_ directory: String, _ name: String, _ system: any GuestSystem) throws(QGAError)
        -> [UInt8]
    {
        let bytes: [UInt8]
        do {
            bytes = try system.readFile(directory + name, maxBytes: 64)
        } catch {
            guard let code = error.errno else { throw error }
            // The seam names the failing call first: open(…) or read(…).
            let call = error.desc.hasPrefix("open(") ? "open" : "pread"
            throw QGAError.system("\(call) sysfs file \"\(name)\"", errno: code)
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
        let state: [UInt8]
        do {
            state = try readAttribute(directory, "state", context.system)
        } catch {
            // Kernels without `state` cannot offline memory at all.
            if error.errno == ENOENT { return GuestMemoryBlock(physIndex: index, online: true, canOffline: false) }
            throw error
        }
        var canOffline = false
        do {
            let removable = try readAttribute(directory, "removable", context.system)
            canOffline = removable.first != UInt8(ascii: "0")
        } catch {
            // No `removable` file: the block cannot be offlined.
            if error.errno != ENOENT { throw error }
        }
        return GuestMemoryBlock(physIndex: index, online: isOnline(state), canOffline: canOffline)
    }

    /// Brings block `request.physIndex` online or offline; writes `state` only when it changes.
    /// Never throws: every failure is a per-block response with the errno.
    static func set(_ request: GuestMemoryBlock, _ context: CommandContext) -> GuestMemoryBlockResponse {
        let index = request.physIndex
        func response(_ type: GuestMemoryBlockResponseType, _ error: QGAError? = nil) -> GuestMemoryBlockResponse {
            GuestMemoryBlockResponse(
                physIndex: index, response: type, errorCode: error.map { Int64($0.errno ?? 0) })
        }
        let system = context.system
        let root = root(context.paths)
        if !system.isDirectory(root) {
            do {
                _ = try system.listDirectory(root)
            } catch {
                // No memory directory in sysfs: this guest cannot hot-(un)plug memory.
                return response(error.errno == ENOENT ? .operationNotSupported : .operationFailed, error)
            }
        }
        let directory = directory(index, context.paths)
        if !system.isDirectory(directory) {
            do {
                _ = try system.listDirectory(directory)
            } catch {
                return response(error.errno == ENOENT ? .notFound : .operationFailed, error)
            }
        }
        let state: [UInt8]
        do {
            state = try readAttribute(directory, "state", system)
        } catch {
            guard error.errno == ENOENT else { return response(.operationFailed, error) }
            // Without `state` a block is always online: onlining it is a no-op.
            return request.online ? response(.success) : response(.operationNotSupported, error)
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
