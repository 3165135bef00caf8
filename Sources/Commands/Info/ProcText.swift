import QGAProtocol

/// Helpers for the whitespace-separated text of procfs files, on bytes (splitting Swift
/// Strings by Character is several times slower, and these files are ASCII).
enum ProcText {
    typealias Field = ArraySlice<UInt8>

    /// The whole procfs file at `path`, or qemu-ga 11's text for its failed `fopen`:
    /// `Could not open '<path>': <strerror>` (``QGAError/couldNotOpen(_:from:)``).
    static func read(_ path: String, _ system: any GuestFiles) throws(QGAError) -> [UInt8] {
        do {
            return try system.readFile(path)
        } catch {
            throw QGAError.couldNotOpen(path, from: error)
        }
    }

    /// The file's lines, each split into fields at spaces and tabs.
    static func lines(_ bytes: [UInt8]) -> [[Field]] {
        bytes.split(separator: UInt8(ascii: "\n")).map(fields)
    }

    /// One line split at spaces and tabs.
    static func fields(_ line: Field) -> [Field] {
        line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
    }

    /// A field as text.
    static func text(_ field: Field) -> String { String(decoding: field, as: UTF8.self) }

    /// The field as an unsigned number in `radix` (10 or 16); nil when it is empty, has
    /// another character, or does not fit in 64 bits.
    static func number<Digits: Collection<UInt8>>(_ field: Digits, radix: UInt64 = 10) -> UInt64? {
        guard !field.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in field {
            guard let digit = byte.hexDigitValue.map(UInt64.init), digit < radix else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: radix)
            let (sum, o2) = shifted.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    /// A decimal field that may start with `-`, as a C `int` would hold it.
    static func int32(_ field: Field) -> Int32? {
        if field.first == UInt8(ascii: "-") {
            guard let magnitude = number(field.dropFirst()), magnitude <= UInt64(Int32.max) + 1 else { return nil }
            return Int32(truncatingIfNeeded: -Int64(magnitude))
        }
        guard let value = number(field), value <= UInt64(Int32.max) else { return nil }
        return Int32(value)
    }

    /// The leading run of fields that are unsigned decimal numbers, as `sscanf("%lu ...")`
    /// would convert them (stopping at the first that is not).
    static func leadingNumbers(_ fields: ArraySlice<Field>) -> [UInt64] {
        var numbers: [UInt64] = []
        numbers.reserveCapacity(fields.count)
        for field in fields {
            guard let value = number(field) else { break }
            numbers.append(value)
        }
        return numbers
    }

    /// Whether the field starts with `prefix`.
    static func hasPrefix(_ field: Field, _ prefix: String) -> Bool {
        field.starts(with: prefix.utf8)
    }
}
