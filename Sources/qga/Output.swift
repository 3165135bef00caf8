import Glibc
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

/// `key : value` lines, keys padded to 20 columns: how `virsh guestinfo` prints what the
/// agent reports (`os.id               : debian`). Missing values are left out, as virsh does.
func printFields(_ fields: [(String, String?)]) {
    for (key, value) in fields {
        guard let value else { continue }
        let padding = String(repeating: " ", count: max(0, 20 - key.count))
        print("\(key)\(padding): \(value)")
    }
}
