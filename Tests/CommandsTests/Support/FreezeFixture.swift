import Commands
import Foundation
import Glibc
import FreezeHooks
import QGAProtocol
import Synchronization

/// Log and audit lines kept in memory: what a handler logged, for tests to read.
final class MemoryLog: Sendable {
    private let lines = Mutex<[(LogLevel, String)]>([])
    private let auditLines = Mutex<[String]>([])

    var messages: [String] { lines.withLock { $0.map(\.1) } }
    func messages(at level: LogLevel) -> [String] { lines.withLock { $0.filter { $0.0 == level }.map(\.1) } }
    /// Audit lines (qemu-ga's `slog`), in order.
    var audits: [String] { auditLines.withLock { $0 } }

    /// A logger recording every level into this log.
    func logger() -> AgentLogger {
        AgentLogger(
            level: .debug, write: { level, message in self.lines.withLock { $0.append((level, message)) } },
            audit: { message in self.auditLines.withLock { $0.append(message) } })
    }
}

/// A temp directory removed at deinit.
final class TempDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "qga-freeze-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ text: String, mode: Int = 0o644) {
        let full = path + "/" + relative
        try? FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    }

    /// An executable script (``writeExecutableScript(_:_:)``).
    func writeExecutable(_ relative: String, _ text: String) {
        let full = path + "/" + relative
        try? FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        writeExecutableScript(full, text)
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + relative) }
}

/// Writes an executable script through a close-on-exec descriptor: tests run in parallel and
/// spawn children, and a child that inherited a writable descriptor of the script would make
/// its exec fail with ETXTBSY ("Text file busy"; Foundation's `write(toFile:)` did, under load).
func writeExecutableScript(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard fd >= 0 else { return }
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

/// An agent over the fake filesystems: a fake `/proc/self/mountinfo` naming made-up
/// mountpoints (nothing real is ever opened), a temp state directory, an in-memory log.
final class FreezeFixture {
    let root = TempDirectory()
    let system = RecordingSystem()
    let log = MemoryLog()
    let context: CommandContext
    let session: AgentSession
    var now: Double = 1000

    var fs: FakeFilesystems { system.filesystems }
    var stateFile: String { root.path + "/state/qga.state.isfrozen" }
    var isFrozenOnDisk: Bool { FileManager.default.fileExists(atPath: stateFile) }

    /// - Parameter mountinfo: lines of `/proc/self/mountinfo`; by default ext4 on /m1 /m2 /m3.
    init(mountinfo: [String] = FreezeFixture.mounts(["/m1", "/m2", "/m3"]), watchdog: Double = 0, hook: FreezeHook? = nil) {
        root.write("proc/self/mountinfo", mountinfo.map { $0 + "\n" }.joined())
        try? FileManager.default.createDirectory(atPath: root.path + "/state", withIntermediateDirectories: true)
        let freeze = FreezeState(hook: hook, watchdogTimeout: watchdog)
        context = CommandContext(
            system: system, paths: SystemPaths(sysfs: root.path + "/sys", procfs: root.path + "/proc"),
            registry: .standard(), logger: log.logger(), stateDirectory: root.path + "/state", freeze: freeze)
        session = AgentSession(context: context)
        freeze.clock = { [unowned self] in self.now }
    }

    /// mountinfo lines for ext4 filesystems on 8:N.
    static func mounts(_ directories: [String]) -> [String] {
        directories.enumerated().map { index, directory in
            "\(30 + index) 1 8:\(index + 1) / \(directory) rw,relatime shared:\(index + 1) - ext4 /dev/sda\(index + 1) rw"
        }
    }

    /// Sends one request and returns the reply text (without the trailing newline).
    func send(_ json: String) -> String {
        let reply = session.receive(Array(json.utf8))
        var text = String(decoding: reply, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    func execute(_ command: String, _ arguments: String? = nil) -> String {
        if let arguments { return send(#"{"execute":"\#(command)","arguments":\#(arguments)}"#) }
        return send(#"{"execute":"\#(command)"}"#)
    }

    func status() -> String { execute("guest-fsfreeze-status") }
}
