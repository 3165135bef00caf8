import Glibc
import QGAProtocol

/// The files hosts opened with `guest-file-open`, by handle.
///
/// Handles come from a counter that qemu-ga keeps in `<statedir>/qga.state` (keyfile group
/// `[global]`, key `fd_counter`, starting at 1000) and commits before each handle is handed
/// out, so a restarted agent never reissues a handle a host may still hold. Descriptors are
/// plain, unbuffered and non-blocking (`O_NONBLOCK`, as qemu-ga sets it), so every read and
/// write reaches the file at once and `guest-file-flush` has nothing left to push.
public final class GuestFileHandles {
    public static let stateFileName = "qga.state"
    /// `QGA_PSTATE_DEFAULT_FD_COUNTER`.
    public static let firstHandle: Int64 = 1000

    private var descriptors: [Int64: Int32] = [:]
    /// Loaded from the state file on first use.
    private var counter: Int64?

    public init() {}

    /// How many files are open.
    public var count: Int { descriptors.count }

    /// The descriptor behind `handle`, or qemu-ga's error.
    func descriptor(_ handle: Int64) throws(QGAError) -> Int32 {
        guard let fd = descriptors[handle] else { throw QGAError("handle '\(handle)' has not been found") }
        return fd
    }

    /// Registers `fd` under the next handle, after committing the counter to the state file.
    func add(_ fd: Int32, context: CommandContext) throws(QGAError) -> Int64 {
        let path = context.stateDirectory + "/" + Self.stateFileName
        let handle = counter ?? Self.loadCounter(path, system: context.system)
        let next = handle == Int64.max ? Self.firstHandle : handle + 1
        // Like qemu-ga, the counter moves on even when the commit fails.
        counter = next
        do {
            try context.system.replaceFile(path, with: Self.stateFile(counter: next), permissions: 0o666)
        } catch {
            context.logger.error("failed to write persistent state to \(path): \(error.desc)")
            throw QGAError("failed to commit persistent state to disk")
        }
        descriptors[handle] = fd
        return handle
    }

    /// Forgets `handle` (its descriptor is the caller's to close).
    func remove(_ handle: Int64) {
        descriptors[handle] = nil
    }

    /// What qemu-ga's `g_key_file_to_data` writes.
    static func stateFile(counter: Int64) -> [UInt8] {
        Array("[global]\nfd_counter=\(counter)\n".utf8)
    }

    /// The counter in the state file; the default when the file, the key or its number is missing
    /// (or the file is not a key file).
    static func loadCounter(_ path: String, system: any GuestSystem) -> Int64 {
        guard let bytes = try? system.readFile(path) else { return firstHandle }
        return counter(inKeyFile: bytes) ?? firstHandle
    }

    /// `fd_counter` of group `[global]` in key-file bytes.
    static func counter(inKeyFile bytes: [UInt8]) -> Int64? {
        guard let value = try? KeyFile(parsing: bytes).string("fd_counter", in: "global") else { return nil }
        return Int64(value.trimmingWhitespace())
    }
}
