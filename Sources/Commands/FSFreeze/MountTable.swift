import QGAProtocol

/// One mounted filesystem as qemu-ga's `build_fs_mount_list` sees it.
public struct MountEntry: Sendable, Equatable {
    public var directory: String
    public var type: String
    public var device: DeviceNumber

    public init(directory: String, type: String, device: DeviceNumber) {
        self.directory = directory
        self.type = type
        self.device = device
    }
}

/// The mounts fsfreeze, fstrim and guest-get-fsinfo work on, in mount order.
///
/// One entry per device, as qemu-ga 10.x: a later mount of a device already listed (a bind
/// mount, another btrfs subvolume of the same device) is skipped, so it is not frozen, thawed,
/// trimmed or reported twice. The first mount of a device in mount order is the one kept.
public enum MountTable {
    /// Reads `<procfs>/self/mountinfo`, or `<procfs>/self/mounts` when that cannot be opened.
    public static func load(_ context: CommandContext) throws(QGAError) -> [MountEntry] {
        let system = context.system
        if let info = try? system.readFile(context.paths.proc("self/mountinfo")) {
            return parseMountInfo(info, blockDevice: system.blockDevice)
        }
        let mtab = context.paths.proc("self/mounts")
        let bytes: [UInt8]
        do {
            bytes = try system.readFile(mtab)
        } catch {
            throw QGAError.system("failed to open mtab file: '\(mtab)'", from: error)
        }
        return parseMounts(bytes, fileExists: system.fileExists, blockDevice: system.blockDevice)
    }

    /// `/proc/self/mountinfo`: skips device major 0 (proc, tmpfs, overlay, NFS, FUSE, ...)
    /// except btrfs whose source is a block device, which takes that device's number.
    /// Malformed lines are skipped.
    public static func parseMountInfo(_ bytes: [UInt8], blockDevice: (String) -> DeviceNumber?) -> [MountEntry] {
        var mounts: [MountEntry] = []
        var seen: Set<DeviceNumber> = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
            // id parent major:minor root mountpoint options [optional...] - type source superoptions
            guard fields.count >= 7, let dash = fields[6...].firstIndex(where: { $0.elementsEqual([UInt8(ascii: "-")]) }),
                dash + 1 < fields.count,
                var device = parseDevice(fields[2])
            else { continue }
            let directory = decode(fields[4])
            let type = String(decoding: fields[dash + 1], as: UTF8.self)
            if device.major == 0 {
                guard type == "btrfs", dash + 2 < fields.count, let real = blockDevice(decode(fields[dash + 2])) else {
                    continue
                }
                device = real
            }
            guard seen.insert(device).inserted else { continue }
            mounts.append(MountEntry(directory: directory, type: type, device: device))
        }
        return mounts
    }

    /// `/proc/self/mounts` (qemu-ga's fallback): keeps sources that start with `/`, except
    /// smbfs and cifs and bind mounts (a source that exists but is not a block device), and a
    /// device already listed.
    public static func parseMounts(
        _ bytes: [UInt8], fileExists: (String) -> Bool, blockDevice: (String) -> DeviceNumber?
    ) -> [MountEntry] {
        var mounts: [MountEntry] = []
        var seen: Set<DeviceNumber> = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            guard fields.count >= 3, fields[0].first == UInt8(ascii: "/") else { continue }
            let source = decode(fields[0])
            let type = String(decoding: fields[2], as: UTF8.self)
            if type == "smbfs" || type == "cifs" { continue }
            let device = blockDevice(source)
            if device == nil && fileExists(source) { continue }
            // A source that is not there counts as device 0:0, as in qemu-ga: only the first is kept.
            let number = device ?? DeviceNumber(major: 0, minor: 0)
            guard seen.insert(number).inserted else { continue }
            mounts.append(MountEntry(directory: decode(fields[1]), type: type, device: number))
        }
        return mounts
    }

    private static func parseDevice(_ field: ArraySlice<UInt8>) -> DeviceNumber? {
        let parts = field.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.count == 2, let major = UInt32(String(decoding: parts[0], as: UTF8.self)),
            let minor = UInt32(String(decoding: parts[1], as: UTF8.self))
        else { return nil }
        return DeviceNumber(major: major, minor: minor)
    }

    /// Undoes the kernel's escaping: `\040` for a space, `\134` (or `\\`) for a backslash.
    static func decode(_ field: ArraySlice<UInt8>) -> String {
        let bytes = Array(field)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func octal(_ at: Int, _ range: ClosedRange<UInt8>) -> UInt8? {
            guard at < bytes.count, range.contains(bytes[at]) else { return nil }
            return bytes[at] - UInt8(ascii: "0")
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") {
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\\") {
                    out.append(UInt8(ascii: "\\"))
                    i += 2
                    continue
                }
                if let a = octal(i + 1, UInt8(ascii: "0")...UInt8(ascii: "3")),
                    let b = octal(i + 2, UInt8(ascii: "0")...UInt8(ascii: "7")),
                    let c = octal(i + 3, UInt8(ascii: "0")...UInt8(ascii: "7"))
                {
                    out.append(a * 64 + b * 8 + c)
                    i += 4
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
