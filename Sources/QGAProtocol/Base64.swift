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
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let value = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(second == nil ? UInt8(ascii: "=") : alphabet[Int(value >> 6 & 63)])
            out.append(third == nil ? UInt8(ascii: "=") : alphabet[Int(value & 63)])
        }
        return String(decoding: out, as: UTF8.self)
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
