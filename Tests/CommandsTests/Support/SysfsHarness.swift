import Commands
import Foundation
import QGAProtocol

/// A fake `sys/` tree in a fresh temp dir, a RecordingSystem, and an AgentSession running the
/// standard registry against both. Nothing here touches the real /sys or runs a real program.
final class SysfsHarness {
    let root: String
    let system = RecordingSystem()
    /// What the handlers logged, audit lines included.
    let log = MemoryLog()
    let session: AgentSession

    /// The fake sysfs root (what `QGA_SYSFS_ROOT` would be).
    var sysfs: String { root + "/sys" }

    /// Removes `root` when released, unless it was borrowed from another harness.
    private let ownsRoot: Bool

    /// A fresh temp root; or, with `root`, a second agent on another harness's tree (a restart).
    init(root existing: String? = nil) throws {
        ownsRoot = existing == nil
        root = existing ?? NSTemporaryDirectory() + "qga-sysfs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/sys", withIntermediateDirectories: true)
        let context = CommandContext(
            system: system, paths: SystemPaths(sysfs: root + "/sys", procfs: root + "/proc"),
            registry: .standard(), logger: log.logger(),
            stateDirectory: root)
        session = AgentSession(context: context)
    }

    deinit { if ownsRoot { try? FileManager.default.removeItem(atPath: root) } }

    /// Creates `sys/<relative>` with `content`, and its parent directories.
    func file(_ relative: String, _ content: String) throws {
        let path = sysfs + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Creates the directory `sys/<relative>`.
    func directory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: sysfs + "/" + relative, withIntermediateDirectories: true)
    }

    /// The content of `sys/<relative>`, nil when it does not exist.
    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: sysfs + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Sends one request and returns every byte the session answered, as text.
    func send(_ request: String) -> String {
        String(decoding: session.receive(Array(request.utf8)), as: UTF8.self)
    }

    /// The `desc` of an error reply (nil if the reply is not exactly one error).
    func errorDesc(_ request: String) -> String? {
        let reply = send(request)
        guard let data = reply.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let error = object["error"] as? [String: Any]
        else { return nil }
        return error["desc"] as? String
    }

    /// `return` of a success reply, decoded with Foundation (nil for an error or no reply).
    func result(_ request: String) -> Any? {
        let reply = send(request)
        guard let data = reply.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
        else { return nil }
        return object["return"]
    }
}
