/// Serializes `JSONValue`s into bytes in qemu-ga's output format.
///
/// qemu-ga (QEMU's `json-writer.c`) separates with `", "` and `": "`, escapes every code
/// point below 0x20 or from 0x7F up as `\uXXXX` with uppercase hex (surrogate pairs above
/// U+FFFF), and leaves `/` alone. Unlike qemu-ga 7.2, the output is always valid JSON:
/// non-finite doubles become `null`.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Drops everything written after the first `count` bytes.
    @usableFromInline
    mutating func truncate(to count: Int) { bytes.removeSubrange(count...) }

    /// A writer that appends to `buffer`, taking it over without a copy (`buffer` is left
    /// empty); ``takeBytes()`` hands it back.
    public init(taking buffer: inout [UInt8]) {
        bytes = []
        swap(&bytes, &buffer)
    }

    /// The bytes written so far, without a copy; the writer is left empty.
    public mutating func takeBytes() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }

    @inline(__always) public mutating func raw(_ byte: UInt8) { bytes.append(byte) }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    public mutating func raw(_ other: [UInt8]) {
        other.withUnsafeBufferPointer { append($0) }
    }

    /// Appends `run` with one memcpy. `bytes.append(contentsOf:)` copies byte by byte in
    /// Embedded Swift (its generic `_copyContents`; 5 instructions a byte at -Osize, 2 at -O):
    /// two thirds of a cached guest-info reply's cost, measured with `make profile`.
    @usableFromInline
    mutating func append(_ run: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: CopiedByMemcpy(run))
    }

    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let b): b ? raw("true") : raw("false")
        case .int(let i): writeInteger(i)
        case .uint(let u): writeUnsigned(u)
        case .double(let d): writeDouble(d)
        case .number(let text): bytes.append(contentsOf: text.utf8)
        case .string(let s): writeString(s)
        case .array(let elements):
            raw(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { raw(", ") }
                write(element)
            }
            raw(UInt8(ascii: "]"))
        case .object(let members):
            raw(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { raw(", ") }
                writeString(member.key)
                raw(": ")
                write(member.value)
            }
            raw(UInt8(ascii: "}"))
        }
    }

    public mutating func writeInteger(_ value: Int64) {
        if value < 0 {
            raw(UInt8(ascii: "-"))
            writeUnsigned(value.magnitude)
        } else {
            writeUnsigned(UInt64(value))
        }
    }

    public mutating func writeUnsigned(_ value: UInt64) {
        var count = 1
        var rest = value / 10
        while rest > 0 { count += 1; rest /= 10 }
        // Append placeholders, then fill them from the right: no temporary buffer.
        let end = bytes.count + count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var remaining = value
        var index = end
        repeat {
            index -= 1
            bytes[index] = UInt8(ascii: "0") &+ UInt8(remaining % 10)
            remaining /= 10
        } while remaining > 0
    }

    public mutating func writeDouble(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        if value == value.rounded(.towardZero), value.magnitude < 1e15 {
            // Whole numbers print as qemu does ("%.17g" style), without a trailing ".0".
            writeInteger(Int64(value))
            return
        }
        bytes.append(contentsOf: value.description.utf8)
    }

    public mutating func writeString(_ string: String) {
        // Native strings are contiguous UTF-8 already; withUTF8 only copies the rare one that
        // is not. Runs of printable ASCII are then appended with one memcpy each.
        var string = string
        string.withUTF8 { writeUTF8String($0) }
    }

    private mutating func writeUTF8String(_ utf8: UnsafeBufferPointer<UInt8>) {
        raw(UInt8(ascii: "\""))
        let count = utf8.count
        var runStart = 0
        var index = 0
        while index < count {
            let byte = utf8[index]
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if index > runStart { append(UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
            if byte < 0x80 {
                writeEscaped(UInt32(byte))
                index += 1
            } else {
                let (scalar, width) = Self.decodeScalar(utf8, at: index)
                writeEscaped(scalar)
                index += width
            }
            runStart = index
        }
        if index > runStart { append(UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
        raw(UInt8(ascii: "\""))
    }

    /// One scalar of a Swift string's (valid) UTF-8 and its width; U+FFFD and width 1 for a
    /// sequence cut short, which a Swift string never has.
    @inline(__always)
    private static func decodeScalar(_ utf8: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = UInt32(utf8[index])
        let width = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        guard index + width <= utf8.count else { return (0xFFFD, 1) }
        var scalar = lead & (width == 2 ? 0x1F : width == 3 ? 0x0F : 0x07)
        for offset in 1..<width { scalar = scalar << 6 | (UInt32(utf8[index + offset]) & 0x3F) }
        return (scalar, width)
    }

    private mutating func writeEscaped(_ codePoint: UInt32) {
        switch codePoint {
        case 0x22: raw("\\\"")
        case 0x5C: raw("\\\\")
        case 0x08: raw("\\b")
        case 0x0C: raw("\\f")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        case 0x20..<0x7F: raw(UInt8(codePoint))
        case 0x10000...:
            let v = codePoint - 0x10000
            writeUnicodeEscape(0xD800 + (v >> 10))
            writeUnicodeEscape(0xDC00 + (v & 0x3FF))
        default: writeUnicodeEscape(codePoint)
        }
    }

    private mutating func writeUnicodeEscape(_ unit: UInt32) {
        let hex: StaticString = "0123456789ABCDEF"
        raw("\\u")
        hex.withUTF8Buffer { digits in
            for shift in stride(from: 12, through: 0, by: -4) {
                bytes.append(digits[Int((unit >> UInt32(shift)) & 0xF)])
            }
        }
    }
}

/// Bytes that `Array.append(contentsOf:)` copies with one memcpy: the array reserves
/// `underestimatedCount` (all of them) and hands its spare capacity to `_copyContents`.
@usableFromInline
struct CopiedByMemcpy: Sequence {
    @usableFromInline let run: UnsafeBufferPointer<UInt8>

    @usableFromInline init(_ run: UnsafeBufferPointer<UInt8>) { self.run = run }

    @usableFromInline var underestimatedCount: Int { run.count }

    @usableFromInline func makeIterator() -> UnsafeBufferPointer<UInt8>.Iterator { run.makeIterator() }

    @usableFromInline
    func _copyContents(initializing destination: UnsafeMutableBufferPointer<UInt8>) -> (UnsafeBufferPointer<UInt8>.Iterator, Int) {
        let copied = Swift.min(destination.count, run.count)
        if copied > 0, let to = destination.baseAddress, let from = run.baseAddress {
            UnsafeMutableRawPointer(to).copyMemory(from: from, byteCount: copied)
        }
        return (UnsafeBufferPointer(rebasing: run[copied...]).makeIterator(), copied)
    }
}
