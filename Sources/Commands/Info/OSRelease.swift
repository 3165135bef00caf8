/// The `os-release(5)` file: `KEY=value` lines with shell-style quoting.
///
/// qemu-ga loads it as a GLib key file and unquotes values with its own loop. We keep what
/// that does for the values real distributions ship (double quotes with `\"`, `\\`, `\$`,
/// `` \` ``, `\'` escapes; an unquoted value ends at the first space or `;`) and follow the
/// shell where 7.2 goes wrong: single quotes are honoured (7.2 answers `'12` for
/// `VERSION='12 (bookworm)'`), an unterminated double quote does not repeat its last byte,
/// an unquoted backslash escapes the next character, and adjacent quoted and unquoted parts
/// are joined. Lines that are not `KEY=value` are skipped rather than voiding the file.
public struct OSRelease: Sendable, Equatable {
    /// Unquoted values by key; a later line for the same key wins.
    public private(set) var values: [String: String] = [:]

    public init(values: [String: String]) { self.values = values }

    /// Parses the file's text.
    public init(parsing text: String) {
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = String(rawLine).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmingWhitespace()
            guard !key.isEmpty else { continue }
            values[key] = Self.unquote(String(line[line.index(after: equals)...]).trimmingWhitespace())
        }
    }

    public subscript(key: String) -> String? { values[key] }

    /// The value of one assignment, as `sh` would assign it.
    public static func unquote(_ raw: String) -> String {
        var result: [Character] = []
        var characters = raw.makeIterator()
        // Characters inside double quotes that a backslash escapes (POSIX sh).
        let doubleQuoteEscapable: Set<Character> = ["$", "`", "\"", "\\", "'", "\n"]
        while let c = characters.next() {
            switch c {
            case "\"":
                while let d = characters.next(), d != "\"" {
                    if d == "\\" {
                        guard let e = characters.next() else {
                            result.append("\\")
                            break
                        }
                        if !doubleQuoteEscapable.contains(e) { result.append("\\") }
                        result.append(e)
                    } else {
                        result.append(d)
                    }
                }
            case "'":
                while let d = characters.next(), d != "'" { result.append(d) }
            case "\\":
                if let e = characters.next() { result.append(e) } else { result.append("\\") }
            case " ", "\t", ";":
                // The end of the word: what follows would be another command.
                return String(result)
            default:
                result.append(c)
            }
        }
        return String(result)
    }
}
