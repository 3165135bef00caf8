#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Commands

enum Environment {
    static func get(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

/// The whole file as text, or nil when it cannot be read.
func readTextFile(_ path: String) -> String? {
    guard let bytes = try? LinuxSystem().readFile(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

func printError(_ message: String) {
    let line = "qemu-ga-swift: \(message)\n"
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

enum AgentInfo {
    static var release: String { AgentVersion.release }
    static var compatibleVersion: String { AgentVersion.compatible }
    static func commandNames() -> [String] { CommandRegistry.standard().entries.map(\.name) }
}
