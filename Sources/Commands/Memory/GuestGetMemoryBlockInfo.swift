import QGAProtocol

/// `guest-get-memory-block-info`: the size of one memory block in bytes, from the hex text in
/// `<sysfs>/devices/system/memory/block_size_bytes`.
public enum GuestGetMemoryBlockInfo: GuestCommand {
    public static let name = "guest-get-memory-block-info"

    public struct Result {
        public var size: UInt64
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Result {
        let root = MemorySysfs.root(context.paths)
        try worded(context.system.checkDirectory(root))  // open("<root>"): <strerror>
        let bytes = try MemorySysfs.readAttribute(root, "block_size_bytes", context.system)
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        guard let size = parseHex(text) else {
            // qemu-ga's strtol would quietly answer 0; a size of 0 helps no host.
            throw QGAError("invalid block size in \"\(root)block_size_bytes\": '\(text)'")
        }
        return Result(size: size)
    }

    /// `8000000` or `0x8000000`; nil for anything else (including 0 and overflow).
    static func parseHex(_ text: String) -> UInt64? {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard let value = UInt64(digits, radix: 16), value > 0 else { return nil }
        return value
    }
}

extension GuestGetMemoryBlockInfo.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("size", size)
        json.endObject()
    }
}
