/// Text helpers the handlers share. Written over UTF-8 bytes: Embedded Swift (the shipped
/// binary) has neither `firstRange(of:)` nor `contains(_: String)` from `_StringProcessing`.
extension StringProtocol {
    /// Without leading and trailing spaces, tabs and newlines (no Foundation needed).
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension StringProtocol {
    /// The first occurrence of `text`, compared byte for byte (sysfs paths are ASCII).
    public func firstRange(ofText text: String) -> Range<Index>? { utf8.firstRange(ofBytes: text.utf8) }
    public func contains(text: String) -> Bool { firstRange(ofText: text) != nil }
}

extension String {
    /// The N of a directory entry named `<prefix>N` (`cpu3`, `memory42`): N is decimal digits
    /// only and fits 64 bits; nil for any other name (`cpufreq`, `block_size_bytes`). On
    /// bytes: it runs on every entry of a sysfs directory hosts poll.
    func numberedEntry(prefix: StaticString) -> UInt64? {
        // On the contiguous bytes: indexing String.UTF8View costs several times more in
        // Embedded -Osize (withUTF8 copies nothing for a native string).
        var name = self
        return name.withUTF8 { bytes in
            let expected = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            guard bytes.starts(with: expected) else { return nil }
            return ProcText.number(bytes[expected.count...])
        }
    }
}

extension UInt8 {
    /// The value of this byte as an ASCII hexadecimal digit (`0`-`9`, `a`-`f`, `A`-`F`), else nil;
    /// a decimal parser checks the value against its radix.
    var hexDigitValue: Int? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(self - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(self - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }
}

extension Collection where Element == UInt8 {
    /// The first range of `pattern` in these bytes; a plain scan, the texts are short.
    fileprivate func firstRange(ofBytes pattern: String.UTF8View) -> Range<Index>? {
        var start = startIndex
        while true {
            var here = start
            var matched = true
            for byte in pattern {
                guard here != endIndex, self[here] == byte else {
                    matched = false
                    break
                }
                here = index(after: here)
            }
            if matched { return start..<here }
            if start == endIndex { return nil }
            start = index(after: start)
        }
    }
}
