import Glibc
import QGAProtocol
import SystemCalls

/// The sysfs side of vCPU hot-(un)plug: `<sysfs>/devices/system/cpu/cpuN/online`
/// (qemu-ga's `transfer_vcpu`).
enum CPUSysfs {
    /// `<sysfs>/devices/system/cpu`, the directory listed by `guest-get-vcpus`.
    static func root(_ paths: SystemPaths) -> String { paths.sys("devices/system/cpu") }

    /// `<sysfs>/devices/system/cpu/cpuN/`, spelled with qemu-ga's trailing slash because the
    /// path shows up verbatim in its error texts.
    /// One interpolation rather than ``SystemPaths/sys(_:)`` over another: this runs for
    /// every CPU on every poll of guest-get-vcpus.
    static func directory(_ id: Int64, _ paths: SystemPaths) -> String {
        "\(paths.sysfs)/devices/system/cpu/cpu\(id)/"
    }

    /// The N of a `cpuN` entry; nil for `cpufreq`, `cpuidle`, `online` and the like.
    static func logicalID(ofEntry name: String) -> Int64? {
        name.numberedEntry(prefix: "cpu").flatMap { Int64(exactly: $0) }
    }

    /// Fails like qemu-ga 11's `open(dir, O_DIRECTORY)`: `Could not open '<dir>': <strerror>`.
    static func requireDirectory(_ directory: String, _ system: any GuestFiles) throws(QGAError) {
        do {
            try system.checkDirectory(directory)
        } catch {
            throw QGAError.couldNotOpen(directory, from: error)
        }
    }

    /// Whether the CPU is online; nil when it has no `online` file (it cannot be offlined,
    /// as cpu0 on x86).
    static func readOnline(_ directory: String, _ system: any GuestFiles) throws(QGAError) -> Bool? {
        let file = directory + "/online"
        let bytes: [UInt8]
        do {
            bytes = try system.readFile(file, maxBytes: 16)
        } catch {
            if error.isNoSuchFile { return nil }
            // qemu-ga 11's words for an `online` it cannot open (EACCES, say), without quotes.
            if error.call == .open { throw QGAError.system("could not open \(file)", from: error) }
            throw QGAError(error)
        }
        guard let first = bytes.first else { throw QGAError("pread(\"\(file)\"): unexpected EOF") }
        // qemu-ga reads one byte: anything but '0' is online.
        return first != UInt8(ascii: "0")
    }

    /// The state of vCPU `id`.
    static func read(_ id: Int64, _ context: CommandContext) throws(QGAError) -> GuestLogicalProcessor {
        let directory = directory(id, context.paths)
        guard let online = try readOnline(directory, context.system) else {
            // Only now tell "no online file" from "no such CPU": one stat fewer per CPU on
            // the common path (guest-get-vcpus is polled).
            try requireDirectory(directory, context.system)
            return GuestLogicalProcessor(logicalID: id, online: true, canOffline: false)
        }
        return GuestLogicalProcessor(logicalID: id, online: online, canOffline: true)
    }

    /// Brings vCPU `id` online or offline; writes only when the state changes.
    static func set(_ id: Int64, online: Bool, _ context: CommandContext) throws(QGAError) {
        let directory = directory(id, context.paths)
        try requireDirectory(directory, context.system)
        guard let current = try readOnline(directory, context.system) else {
            // No `online` file: re-onlining is a no-op success, offlining is impossible.
            if online { return }
            throw QGAError("logical processor #\(id) can't be offlined")
        }
        guard current != online else { return }
        let file = directory + "/online"
        do {
            try context.system.writeFile(file, [online ? UInt8(ascii: "1") : UInt8(ascii: "0")])
        } catch {
            // The kernel refuses in write(2) (EBUSY, EINVAL, EPERM); qemu-ga names it pwrite.
            throw QGAError.system("pwrite(\"\(file)\")", from: error)
        }
    }
}
