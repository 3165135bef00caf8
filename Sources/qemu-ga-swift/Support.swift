import Glibc
import Commands
import SystemCalls

/// The whole file as text, or nil when it cannot be read.
func readTextFile(_ path: String) -> String? {
    guard let bytes = try? LinuxSystem().readFile(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

func printError(_ message: String) {
    writeStandardError(Array("qemu-ga-swift: \(message)\n".utf8))
}

/// Writes `bytes` to stderr as they are (getopt's messages carry their own prefix).
func writeStandardError(_ bytes: [UInt8]) {
    try? FileDescriptor.standardError.writeAll(bytes)
}

enum AgentInfo {
    static var release: String { AgentVersion.release }
    static var compatibleVersion: String { AgentVersion.compatible }
    static func commandNames() -> [String] { CommandRegistry.standard().entries.map { $0.name } }
}
