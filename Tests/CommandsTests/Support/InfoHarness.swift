import Commands
import Foundation
import QGAProtocol

/// A temp dir with fake `sys/` and `proc/` trees (and any other file a test wants, such as an
/// os-release), a RecordingSystem with scripted system answers, and an AgentSession running
/// the standard registry against them. Nothing here reads this machine's /sys or /proc.
final class InfoHarness {
    let root: String
    let system = RecordingSystem()
    let session: AgentSession

    var sysfs: String { root + "/sys" }
    var procfs: String { root + "/proc" }

    /// `osRelease`: a path relative to the temp dir (what `QGA_OS_RELEASE` would be), or nil
    /// for the default candidates.
    init(osRelease: String? = "os-release") throws {
        let root = NSTemporaryDirectory() + "qga-info-" + UUID().uuidString
        self.root = root
        for sub in ["sys", "proc"] {
            try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true)
        }
        let context = CommandContext(
            system: system,
            paths: SystemPaths(sysfs: root + "/sys", procfs: root + "/proc", osRelease: osRelease.map { root + "/" + $0 }),
            registry: .standard(),
            stateDirectory: root)
        session = AgentSession(context: context)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Creates `<root>/<relative>` with `content`, and its parent directories.
    func file(_ relative: String, _ content: String) throws {
        try bytes(relative, Array(content.utf8))
    }

    func bytes(_ relative: String, _ content: [UInt8]) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content).write(to: URL(fileURLWithPath: path))
    }

    func directory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + relative, withIntermediateDirectories: true)
    }

    /// A symlink at `<root>/<relative>` pointing at `target` (taken as written).
    func symlink(_ relative: String, to target: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    func send(_ request: String) -> String {
        String(decoding: session.receive(Array(request.utf8)), as: UTF8.self)
    }

    /// Sends `{"execute": name}` and returns the whole reply line.
    func execute(_ name: String) -> String { send(#"{"execute":"\#(name)"}"#) }

    /// The reply as a Foundation object (nil for no reply or bad JSON).
    func reply(_ request: String) -> [String: Any]? {
        let text = send(request)
        return try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? [String: Any]
    }

    /// `return` of `{"execute": name}`.
    func result(_ name: String) -> Any? { reply(#"{"execute":"\#(name)"}"#)?["return"] }

    /// `error.desc` of a request's reply.
    func errorDesc(_ request: String) -> String? {
        (reply(request)?["error"] as? [String: Any])?["desc"] as? String
    }
}
