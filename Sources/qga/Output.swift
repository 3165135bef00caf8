#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import QGAProtocol
import SystemCalls

/// `qga: <message>` on stderr.
func printError(_ message: String) {
    writeAll(2, Array("qga: \(message)\n".utf8))
}

/// Raw bytes on a descriptor (stdout for guest-exec output, which need not be text).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    // A closed stdout (`qga ... | head`) ends the output, not the client.
    try? FileDescriptor(rawValue: fd).writeAll(bytes)
}

/// A value as one line of JSON, for `--json`.
func printJSON(_ value: JSONValue) {
    print(value.serialized)
}

/// Left-aligned columns separated by two spaces, with a header row.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], cell.count)
        }
    }
    for row in [header] + rows {
        var line = ""
        for (index, cell) in row.enumerated() {
            if index == row.count - 1 {
                line += cell
            } else {
                line += cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
        }
        print(line)
    }
}

/// `1.5` → "1.5", `30` → "30".
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() && seconds.magnitude < 1e15 ? String(Int64(seconds)) : String(seconds)
}

/// Text of a scalar for a table cell.
func cellText(_ value: JSONValue?) -> String {
    switch value {
    case nil: return "-"
    case .string(let s)?: return s
    case .bool(let b)?: return b ? "yes" : "no"
    case .int(let i)?: return String(i)
    case .uint(let u)?: return String(u)
    case .double(let d)?: return String(d)
    case .number(let text)?: return text
    case .null?: return "null"
    case let other?: return other.serialized
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    var int64Value: Int64? {
        switch self {
        case .int(let i): return i
        case .uint(let u): return Int64(exactly: u)
        default: return nil
        }
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
}

/// Base64 (RFC 4648, with padding), for guest-exec's `input-data`, `out-data` and `err-data`.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(index + 1 < bytes.count ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil when `text` is not base64.
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case 0x0A, 0x0D, 0x20: continue
            default: return nil
            }
            if padding > 0 { return nil }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return padding <= 2 ? out : nil
    }
}
