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
