/// Base64 as qemu-ga speaks it (`buf-b64`, `input-data`, `out-data`, `password`).
///
/// Out: the standard alphabet with `=` padding (glib's `g_base64_encode`). In: qemu's
/// `qbase64_decode`, which first allows only the alphabet, `=` and newline, then hands the
/// text to glib's lenient decoder: digits are taken in groups of four, `=` counts as a zero
/// digit that drops an output byte, and a trailing partial group is ignored (`"QQ"` decodes to
/// nothing, `"QQ==QQ=="` to `"AA"`).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 0...63 for a digit, 64 for `=`, 0xFE for a newline (skipped), 0xFF for anything else.
    private static let ranks: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        table[Int(UInt8(ascii: "="))] = 64
        table[Int(UInt8(ascii: "\n"))] = 0xFE
        return table
    }()

    /// The base64 text of `bytes`, padded.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encodeBuffer($0) }) {
            return encoded
        }
        return Array(bytes).withUnsafeBufferPointer { encodeBuffer($0) }
    }

    /// Up to 48 MiB go out in one reply (`guest-file-read`): straight loops over raw buffers.
    private static func encodeBuffer(_ input: UnsafeBufferPointer<UInt8>) -> String {
        let count = input.count
        let length = (count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: length) { output in
            alphabet.withUnsafeBufferPointer { digits in
                var i = 0
                var o = 0
                while i + 3 <= count {
                    let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    output[o] = digits[Int(value >> 18 & 63)]
                    output[o + 1] = digits[Int(value >> 12 & 63)]
                    output[o + 2] = digits[Int(value >> 6 & 63)]
                    output[o + 3] = digits[Int(value & 63)]
                    i += 3
                    o += 4
                }
                if i < count {
                    let second = i + 1 < count ? UInt32(input[i + 1]) : 0
                    let value = UInt32(input[i]) << 16 | second << 8
                    output[o] = digits[Int(value >> 18 & 63)]
                    output[o + 1] = digits[Int(value >> 12 & 63)]
                    output[o + 2] = i + 1 < count ? digits[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                    output[o + 3] = UInt8(ascii: "=")
                }
            }
            return length
        }
    }

    /// The bytes of `text`, decoded exactly as qemu-ga decodes them; any character outside the
    /// alphabet, `=` and newline is `Base64 data contains invalid characters`.
    public static func decode(_ text: String) throws(QGAError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count / 4 * 3)
        var value: UInt32 = 0
        var digits = 0
        // glib's "last two characters" of the current group: was each a `=`?
        var lastWasPad = false
        var beforeLastWasPad = false
        for byte in text.utf8 {
            let rank = ranks[Int(byte)]
            if rank == 0xFE { continue }
            if rank == 0xFF { throw QGAError("Base64 data contains invalid characters") }
            beforeLastWasPad = lastWasPad
            lastWasPad = rank == 64
            value = value << 6 | UInt32(rank == 64 ? 0 : rank)
            digits += 1
            if digits == 4 {
                out.append(UInt8(truncatingIfNeeded: value >> 16))
                if !beforeLastWasPad { out.append(UInt8(truncatingIfNeeded: value >> 8)) }
                if !lastWasPad { out.append(UInt8(truncatingIfNeeded: value)) }
                digits = 0
                value = 0
            }
        }
        return out
    }
}
