import Glibc

/// Reading directories.
public enum Directory {
    /// The names in directory `path`, without `.` and `..`, in directory order. The
    /// corresponding C functions are `opendir(3)`, `readdir(3)` and `closedir(3)`.
    public static func names(_ path: String) throws(Errno) -> [String] {
        guard let directory = path.withCString({ opendir($0) }) else { throw Errno.current }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
