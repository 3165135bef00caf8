import Commands
import Glibc
import QGAProtocol
import SystemCalls

/// Filesystems as the freeze ioctls see them, in memory: each mountpoint has a superblock
/// (bind mounts share one) with the kernel's rules: FIFREEZE on a frozen superblock is EBUSY,
/// FITHAW on a thawed one is EINVAL. Errors can be injected per mountpoint and call.
final class FakeFilesystems {
    enum Call: Equatable {
        case open(String)
        case freeze(String)
        case thaw(String)
        case trim(String, minimum: UInt64)
    }

    /// Every open and ioctl, in order.
    private(set) var calls: [Call] = []
    /// errno for `open` of a mountpoint.
    var openErrors: [String: Int32] = [:]
    /// errno for FIFREEZE of a mountpoint (instead of the kernel rule).
    var freezeErrors: [String: Int32] = [:]
    /// errno for FITRIM of a mountpoint.
    var trimErrors: [String: Int32] = [:]
    /// Bytes FITRIM reports per mountpoint (default 4096).
    var trimmedBytes: [String: UInt64] = [:]
    /// Mountpoint → superblock name; a mountpoint not listed is its own superblock.
    var superblocks: [String: String] = [:]
    /// Block devices `stat` would see (btrfs sources).
    var blockDevices: [String: DeviceNumber] = [:]
    /// Called before each FIFREEZE with the mountpoint.
    var onFreeze: (String) -> Void = { _ in }
    /// Freeze depth per superblock.
    private(set) var depth: [String: Int] = [:]
    private var descriptors: [Int32: String] = [:]
    private var nextDescriptor: Int32 = 100

    /// Descriptors opened and not closed.
    var openDescriptorCount: Int { descriptors.count }

    func isFrozen(_ mountpoint: String) -> Bool { depth[superblock(mountpoint), default: 0] > 0 }

    /// Freezes a superblock as someone else would have (nested freezes, a previous agent).
    func preFreeze(_ mountpoint: String, times: Int = 1) { depth[superblock(mountpoint), default: 0] += times }

    func calls(_ kind: (Call) -> String?) -> [String] { calls.compactMap(kind) }
    var frozenOrder: [String] { calls { if case .freeze(let p) = $0 { p } else { nil } } }
    var thawCalls: [String] { calls { if case .thaw(let p) = $0 { p } else { nil } } }

    func open(_ path: String) throws(SystemCallError) -> Int32 {
        calls.append(.open(path))
        if let errno = openErrors[path] { throw SystemCallError(.open, path: path, errno: Errno(errno)) }
        nextDescriptor += 1
        descriptors[nextDescriptor] = path
        return nextDescriptor
    }

    func close(_ fd: Int32) { descriptors[fd] = nil }

    func freeze(_ fd: Int32) throws(SystemCallError) {
        let path = try mountpoint(fd, .freeze)
        onFreeze(path)
        calls.append(.freeze(path))
        if let errno = freezeErrors[path] { throw SystemCallError(.freeze, errno: Errno(errno)) }
        let block = superblock(path)
        if depth[block, default: 0] > 0 { throw SystemCallError(.freeze, errno: .busy) }
        depth[block] = 1
    }

    func thaw(_ fd: Int32) throws(SystemCallError) {
        let path = try mountpoint(fd, .thaw)
        calls.append(.thaw(path))
        let block = superblock(path)
        guard depth[block, default: 0] > 0 else { throw SystemCallError(.thaw, errno: Errno(EINVAL)) }
        depth[block, default: 0] -= 1
    }

    func trim(_ fd: Int32, minimum: UInt64) throws(SystemCallError) -> TrimmedRange {
        let path = try mountpoint(fd, .trim)
        calls.append(.trim(path, minimum: minimum))
        if let errno = trimErrors[path] { throw SystemCallError(.trim, errno: Errno(errno)) }
        return TrimmedRange(trimmed: trimmedBytes[path, default: 4096], minimum: minimum)
    }

    private func superblock(_ path: String) -> String { superblocks[path] ?? path }

    private func mountpoint(_ fd: Int32, _ call: SystemCallError.Call) throws(SystemCallError) -> String {
        guard let path = descriptors[fd] else { throw SystemCallError(call, errno: Errno(EBADF)) }
        return path
    }
}
