import Glibc
import CLinux

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

/// Names relative to an open directory: what a user renames or links inside it afterwards
/// cannot redirect these calls to another directory.
extension FileSystem {
    /// Moves `source` to `destination`, both names in the open directory `directory`,
    /// atomically replacing what was there. The corresponding C function is `renameat(2)`.
    public static func rename(_ source: String, to destination: String, in directory: FileDescriptor) throws(Errno) {
        _ = try callingOnce { renameat(directory.rawValue, source, directory.rawValue, destination) }
    }

    /// Removes the name `name` (never a directory) from the open directory `directory` if it
    /// is there. The corresponding C function is `unlinkat(2)`.
    public static func removeIfPresent(_ name: String, in directory: FileDescriptor) {
        _ = unlinkat(directory.rawValue, name, 0)
    }

    /// A new, empty file in the open directory `directory`, write only, named `prefix` and six
    /// random letters and digits as mkstemp(3) names its files. It is never created through a
    /// symbolic link (`O_CREAT|O_EXCL|O_NOFOLLOW`): a name already taken, by a link or
    /// anything else, is tried again with other letters. The corresponding C function is
    /// `openat(2)`.
    public static func createUniqueFile(_ prefix: String, in directory: FileDescriptor, permissions: UInt32)
        throws(Errno) -> (name: String, descriptor: FileDescriptor)
    {
        for _ in 0..<100 {
            let name = prefix + randomLetters(6)
            do {
                let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                return (name, try FileDescriptor.open(name, in: directory, flags, permissions: permissions))
            } catch .fileExists {
                continue
            }
        }
        throw Errno.fileExists
    }

    private static let nameLetters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `count` letters and digits from the kernel's random bytes; early at boot, before the
    /// kernel has any, from the monotonic clock (the name is then guessable, which only makes
    /// a creation retry: O_EXCL never reuses a name).
    private static func randomLetters(_ count: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        let filled = bytes.withUnsafeMutableBytes { clinux_random_bytes($0.baseAddress, $0.count, UInt32(GRND_NONBLOCK)) }
        if filled != count {
            var state = MonotonicClock.nanoseconds() ^ (UInt64(UInt32(bitPattern: getpid())) << 32)
            for index in bytes.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
            }
        }
        return String(decoding: bytes.map { nameLetters[Int($0) % nameLetters.count] }, as: UTF8.self)
    }
}
