import Foundation
import Testing

/// The package root, found from this file's path.
let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The agent binary under test: `QGA_BINARY`, else the debug build.
var agentBinary: String {
    ProcessInfo.processInfo.environment["QGA_BINARY"] ?? packageRoot.appendingPathComponent(".build/debug/qemu-ga-swift").path
}

/// A temp directory removed when the value is released.
final class TempDir {
    let path: String
    init() {
        var template = Array("/tmp/qga-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// Runs a command to completion: exit status, stdout, stderr.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (
    status: Int32, stdout: String, stderr: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["QGA_CONF"] = nil
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// An agent (ours or Debian's qemu-ga) serving `unix-listen` in a temp dir.
final class AgentProcess {
    let dir = TempDir()
    let process = Process()
    var socketPath: String { dir.file("sock") }
    var logPath: String { dir.file("log") }

    /// The agent's own binary (the process may start as `launcher`, which execs it).
    let binary: String

    /// - Parameters:
    ///   - verbose: pass `-v`.
    ///   - launcher: a command that ends by exec'ing the agent's command line appended to it.
    init(
        binary: String = agentBinary, extra: [String] = [], environment: [String: String] = [:], verbose: Bool = true,
        launcher: [String] = []
    ) throws {
        self.binary = binary
        try FileManager.default.createDirectory(atPath: dir.file("state"), withIntermediateDirectories: true)
        let command = [binary, "-m", "unix-listen", "-p", socketPath, "-t", dir.file("state")] + (verbose ? ["-v"] : []) + extra
        let argv = launcher + command
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment
        // An empty config file: the machine's /etc/qemu/qemu-ga.conf must not leak in.
        FileManager.default.createFile(atPath: dir.file("empty.conf"), contents: Data())
        env["QGA_CONF"] = dir.file("empty.conf")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard process.isRunning, Date() < deadline else {
                throw AgentTestError("agent did not create \(socketPath): \(log)")
            }
            usleep(10_000)
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Connects, retrying a refused connection for up to 5 s: the socket file appears at
    /// bind(), a moment before listen() (test-qga's fixture retries too).
    func connect() throws -> AgentClient {
        let deadline = Date().addingTimeInterval(5)
        while true {
            do {
                return try AgentClient(path: socketPath)
            } catch {
                guard Date() < deadline, process.isRunning else { throw error }
                usleep(10_000)
            }
        }
    }

    /// SIGTERM; returns the exit status (nil if it did not exit within 10 s, then SIGKILL).
    @discardableResult
    func terminate() -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        // qemu-ga 7.2 can deadlock on SIGTERM (protocol.md §7): stop the oracle with SIGKILL.
        let isOracle = URL(fileURLWithPath: binary).lastPathComponent == "qemu-ga"
        kill(process.processIdentifier, isOracle ? SIGKILL : SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit { terminate() }
}

struct AgentTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A host connection: raw bytes out, newline-separated replies in.
final class AgentClient {
    let fd: Int32
    private var pending: [UInt8] = []

    init(path: String) throws {
        signal(SIGPIPE, SIG_IGN)  // an agent that went away must fail a test, not kill the runner
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 { throw AgentTestError("connect \(path): errno \(errno)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// The next `count` reply lines (raw bytes without the newline); fewer on timeout.
    func readLines(_ count: Int, timeout: Double = 10) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Bytes of `pending` already searched for a newline: a multi-megabyte reply arrives in
        // 64 KiB reads, and searching it all again after each read took seconds in debug builds.
        var scanned = 0
        while lines.count < count {
            if let newline = pending[scanned...].firstIndex(of: 0x0A) {
                lines.append(Array(pending[..<newline]))
                pending.removeSubrange(...newline)
                scanned = 0
                continue
            }
            scanned = pending.count
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left * 1000)) > 0 else { break }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            pending += buffer[0..<n]
        }
        return lines
    }

    /// Sends `request` and parses the next reply (skipping a leading 0xFF).
    func call(_ request: String) throws -> [String: Any] {
        send(request)
        guard let line = readLines(1).first else { throw AgentTestError("no reply to \(request)") }
        return try parseReply(line)
    }

    /// True when nothing arrives within `seconds`.
    func silent(for seconds: Double) -> Bool { readLines(1, timeout: seconds).isEmpty }
}

func parseReply(_ line: [UInt8]) throws -> [String: Any] {
    let body = line.first == 0xFF ? Array(line.dropFirst()) : line
    guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
        throw AgentTestError("not an object: \(String(decoding: line, as: UTF8.self))")
    }
    return object
}

extension Dictionary where Key == String, Value == Any {
    var errorClass: String? { (self["error"] as? [String: Any])?["class"] as? String }
    var errorDesc: String? { (self["error"] as? [String: Any])?["desc"] as? String }
}
