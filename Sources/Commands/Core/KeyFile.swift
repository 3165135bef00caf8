import Glibc
import SystemCalls

/// A GLib key file (`qemu-ga.conf`), read and written by GLib's rules as qemu-ga relies on
/// them (`g_key_file_load_from_file`, `g_key_file_get_string`/`_get_boolean`,
/// `g_key_file_set_string`): `#` comments, `[group]` lines, `key=value` with blanks around
/// `=` dropped and trailing blanks kept, the escapes `\s \n \t \r \\`, and GLib's error texts.
public struct KeyFile {
    /// Raw (still escaped) values by group and key; a later duplicate key wins, a repeated
    /// group continues the earlier one, as in GLib.
    private var groups: [String: [String: [UInt8]]] = [:]

    /// Parses key-file text.
    public init(parsing bytes: [UInt8]) throws(KeyFileError) {
        var group: String?
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if start == bytes.count && end == start { break }  // no line after a final newline
            var line = Array(bytes[start..<end])
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            try parseLine(line, group: &group)
            start = end + 1
        }
    }

    private mutating func parseLine(_ line: [UInt8], group: inout String?) throws(KeyFileError) {
        var first = 0
        while first < line.count && KeyFile.isSpace(line[first]) { first += 1 }
        let content = Array(line[first...])
        if content.isEmpty || content[0] == UInt8(ascii: "#") { return }
        if KeyFile.isGroupLine(content) {
            let name = Array(content[1..<content.firstIndex(of: UInt8(ascii: "]"))!])
            guard !name.isEmpty, !name.contains(where: { $0 == UInt8(ascii: "[") || $0 < 0x20 || $0 == 0x7F }) else {
                throw KeyFileError("Invalid group name: \(KeyFile.text(name))")
            }
            group = KeyFile.text(name)
            if groups[group!] == nil { groups[group!] = [:] }
            return
        }
        guard let equals = content.firstIndex(of: UInt8(ascii: "=")), equals > 0 else {
            throw KeyFileError("Key file contains line “\(KeyFile.text(line))” which is not a key-value pair, group, or comment")
        }
        guard let current = group else { throw KeyFileError("Key file does not start with a group") }
        var keyEnd = equals
        while keyEnd > 0 && KeyFile.isSpace(content[keyEnd - 1]) { keyEnd -= 1 }
        let key = Array(content[..<keyEnd])
        guard KeyFile.isKeyName(key) else { throw KeyFileError("Invalid key name: \(KeyFile.text(key))") }
        var valueStart = equals + 1
        while valueStart < content.count && KeyFile.isSpace(content[valueStart]) { valueStart += 1 }
        groups[current]![KeyFile.text(key)] = Array(content[valueStart...])
    }

    public func hasKey(_ key: String, in group: String) -> Bool { groups[group]?[key] != nil }

    /// `g_key_file_get_string`: the value unescaped; nil when the key is absent.
    public func string(_ key: String, in group: String) throws(KeyFileError) -> String? {
        guard let raw = groups[group]?[key] else { return nil }
        guard String(validating: raw, as: UTF8.self) != nil else {
            throw KeyFileError("Key file contains key “\(key)” with value “\(KeyFile.text(raw))” which is not UTF-8")
        }
        var value: [UInt8] = []
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                value.append(byte)
                continue
            }
            // A backslash at the end, or before anything but s n t r \, is an error in a
            // string (GLib takes `\;` only inside lists, which qemu-ga never reads).
            guard index < raw.count else { throw KeyFileError.uninterpretable(key) }
            switch raw[index] {
            case UInt8(ascii: "s"): value.append(UInt8(ascii: " "))
            case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): value.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "r"): value.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "\\"): value.append(UInt8(ascii: "\\"))
            default: throw KeyFileError.uninterpretable(key)
            }
            index += 1
        }
        return KeyFile.text(value)
    }

    /// `g_key_file_get_boolean`: exactly `true`/`1` or `false`/`0` (trailing blanks allowed);
    /// nil when the key is absent.
    public func boolean(_ key: String, in group: String) throws(KeyFileError) -> Bool? {
        guard var raw = groups[group]?[key] else { return nil }
        while let last = raw.last, KeyFile.isSpace(last) { raw.removeLast() }
        switch KeyFile.text(raw) {
        case "true", "1": return true
        case "false", "0": return false
        default: throw KeyFileError.uninterpretable(key)
        }
    }

    /// `g_key_file_set_string`'s escaping: newline, carriage return and backslash always;
    /// blanks as `\s`/`\t` until the first other character (a newline or carriage return
    /// does not end the leading run, a backslash does).
    public static func escape(_ value: String) -> String {
        var result = ""
        var leading = true
        for character in value.unicodeScalars {
            switch character {
            case " " where leading: result += "\\s"
            case "\t" where leading: result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\\": result += "\\\\"
            default: result.unicodeScalars.append(character)
            }
            if character != " " && character != "\t" && character != "\n" && character != "\r" { leading = false }
        }
        return result
    }

    /// `[name]` with only blanks after the `]`.
    private static func isGroupLine(_ line: [UInt8]) -> Bool {
        guard line.first == UInt8(ascii: "["), let close = line.firstIndex(of: UInt8(ascii: "]")) else { return false }
        return line[(close + 1)...].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// GLib's key names: not empty, no `=`, `[` or `]` (but for a `[locale]` suffix), no
    /// blank at either end.
    private static func isKeyName(_ key: [UInt8]) -> Bool {
        var end = 0
        while end < key.count && !"=[]".utf8.contains(key[end]) { end += 1 }
        if end == 0 || key[0] == UInt8(ascii: " ") || key[end - 1] == UInt8(ascii: " ") { return false }
        if end < key.count {
            guard key[end] == UInt8(ascii: "["), key.last == UInt8(ascii: "]"), end < key.count - 1 else { return false }
            let locale = key[(end + 1)..<(key.count - 1)]
            return locale.allSatisfy { byte in
                (byte >= 0x80) || (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
                    || "-_.@".utf8.contains(byte)
            }
        }
        return true
    }

    /// `g_ascii_isspace`.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    private static func text<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(decoding: bytes, as: UTF8.self)
    }
}

extension KeyFile {
    /// `g_key_file_load_from_file`: the file's bytes parsed.
    ///
    /// - Throws: `KeyFileError` with `isMissing` set when the file does not exist, GLib's
    ///   `Not a regular file` for a directory or device, the `strerror` text for other
    ///   failures, or the parse error.
    public init(contentsOf path: String) throws(KeyFileError) {
        let bytes: [UInt8]?
        do throws(Errno) {
            let fd = try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK)
            defer { try? fd.close() }
            bytes = try fd.status().kind == .regular ? try fd.readToEnd(chunkSize: 8192) : nil
        } catch {
            throw KeyFileError(error.description, isMissing: error == .noSuchFileOrDirectory)
        }
        guard let bytes else { throw KeyFileError("Not a regular file") }
        try self.init(parsing: bytes)
    }
}

/// A key file that cannot be read, parsed or interpreted, with GLib's message.
public struct KeyFileError: Error, CustomStringConvertible {
    public var description: String
    /// The file does not exist (qemu-ga ignores that for its default config file).
    public var isMissing = false

    public init(_ description: String, isMissing: Bool = false) {
        self.description = description
        self.isMissing = isMissing
    }

    public static func uninterpretable(_ key: String) -> KeyFileError {
        KeyFileError("Key file contains key “\(key)” which has a value that cannot be interpreted.")
    }
}
