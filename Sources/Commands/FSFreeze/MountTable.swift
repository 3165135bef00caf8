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
    ///
    /// A container host has thousands of lines, nearly all skipped (tmpfs, overlay, a bind mount
    /// of a device already listed), and hosts poll `guest-get-fsinfo` every few seconds: so the
    /// lines are scanned in place and nothing is allocated for a line that is skipped; only a
    /// kept mount's directory and type become strings.
    public static func parseMountInfo(_ bytes: [UInt8], blockDevice: (String) -> DeviceNumber?) -> [MountEntry] {
        var mounts: [MountEntry] = []
        var seen: Set<DeviceNumber> = []
        bytes.withUnsafeBufferPointer { text in
            var lineStart = 0
            while lineStart < text.count {
                var lineEnd = lineStart
                while lineEnd < text.count && text[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                guard let line = MountInfoLine(text, lineStart..<lineEnd), var device = parseDevice(text[line.device]) else {
                    continue
                }
                let type = text[line.type]
                if device.major == 0 {
                    guard type.elementsEqual("btrfs".utf8), let source = line.source,
                        let real = blockDevice(decode(text[source]))
                    else { continue }
                    device = real
                }
                guard !seen.contains(device) else { continue }
                seen.insert(device)
                mounts.append(MountEntry(directory: decode(text[line.mountpoint]), type: String(decoding: type, as: UTF8.self), device: device))
            }
        }
        return mounts
    }

    /// Where the fields of one mountinfo line are: `id parent major:minor root mountpoint
    /// options [optional...] - type source superoptions`, fields separated by runs of spaces.
    private struct MountInfoLine {
        var device: Range<Int>
        var mountpoint: Range<Int>
        var type: Range<Int>
        var source: Range<Int>?

        /// nil unless the line has the six leading fields, a `-` at the seventh field or later,
        /// and a type after it.
        init?(_ text: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) {
            var cursor = line.lowerBound
            func nextField() -> Range<Int>? {
                while cursor < line.upperBound && text[cursor] == UInt8(ascii: " ") { cursor += 1 }
                guard cursor < line.upperBound else { return nil }
                let start = cursor
                while cursor < line.upperBound && text[cursor] != UInt8(ascii: " ") { cursor += 1 }
                return start..<cursor
            }
            var index = 0
            var device: Range<Int>?
            var mountpoint: Range<Int>?
            while let field = nextField() {
                if index == 2 { device = field }
                if index == 4 { mountpoint = field }
                if index >= 6 && field.count == 1 && text[field.lowerBound] == UInt8(ascii: "-") {
                    guard let device, let mountpoint, let type = nextField() else { return nil }
                    self.device = device
                    self.mountpoint = mountpoint
                    self.type = type
                    self.source = nextField()
                    return
                }
                index += 1
            }
            return nil
        }
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

    /// `major:minor` in decimal; nil for anything else.
    private static func parseDevice<Field: Collection<UInt8>>(_ field: Field) -> DeviceNumber? {
        var numbers: (UInt32, UInt32) = (0, 0)
        var digits = (0, 0)
        var afterColon = false
        for byte in field {
            if byte == UInt8(ascii: ":") && !afterColon {
                afterColon = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let value = UInt32(byte - UInt8(ascii: "0"))
            if afterColon {
                guard digits.1 < 9 else { return nil }
                numbers.1 = numbers.1 * 10 + value
                digits.1 += 1
            } else {
                guard digits.0 < 9 else { return nil }
                numbers.0 = numbers.0 * 10 + value
                digits.0 += 1
            }
        }
        guard afterColon, digits.0 > 0, digits.1 > 0 else { return nil }
        return DeviceNumber(major: numbers.0, minor: numbers.1)
    }

    /// Undoes the kernel's escaping: `\040` for a space, `\134` (or `\\`) for a backslash.
    static func decode<Field: Collection<UInt8>>(_ field: Field) -> String {
        // Most paths have no escapes: then the bytes are the string.
        if !field.contains(UInt8(ascii: "\\")) { return String(decoding: field, as: UTF8.self) }
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
