import Glibc

/// Operations on paths that are not reads or writes of a file's contents.
public enum FileSystem {
    /// Removes the name `path` (never a directory). The corresponding C function is `unlink(2)`.
    public static func remove(_ path: String) throws(Errno) {
        _ = try callingOnce { unlink(path) }
    }

    /// Removes `path` if it is there; a missing file is not an error.
    public static func removeIfPresent(_ path: String) {
        _ = unlink(path)
    }

    /// Moves `source` to `destination` atomically, replacing what was there. The corresponding C
    /// function is `rename(2)`.
    public static func rename(_ source: String, to destination: String) throws(Errno) {
        _ = try callingOnce { Glibc.rename(source, destination) }
    }
}
