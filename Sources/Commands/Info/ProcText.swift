/// Helpers for the whitespace-separated text of procfs files.
enum ProcText {
    /// The file's lines, each split into fields at spaces and tabs.
    static func lines(_ bytes: [UInt8]) -> [[Substring]] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").map {
            $0.split(whereSeparator: { $0 == " " || $0 == "\t" })
        }
    }

    /// The leading run of fields that are unsigned decimal numbers, as `sscanf("%lu ...")`
    /// would convert them (stopping at the first that is not).
    static func leadingNumbers(_ fields: ArraySlice<Substring>) -> [UInt64] {
        var numbers: [UInt64] = []
        for field in fields {
            guard let value = UInt64(field) else { break }
            numbers.append(value)
        }
        return numbers
    }
}
