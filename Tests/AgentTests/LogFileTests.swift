import Foundation
import Testing

/// `-l/--logfile` on the binary: lines in qemu-ga's format, and never through a planted symlink.
@Suite("the log file (-l)", .serialized)
struct LogFileTests {
    /// Runs the agent until it exits by itself (at most 10 s, then SIGKILL and nil).
    func runToExit(_ arguments: [String]) throws -> (status: Int32?, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: agentBinary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["QGA_CONF"] = "/nonexistent/qemu-ga.conf"
        process.environment = env
        let err = Pipe()
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return (nil, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        return (process.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("a symlink planted at the log file's path: qemu-ga's error, exit 1, the target untouched", arguments: [true, false])
    func plantedSymlink(targetExists: Bool) throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("state"), withIntermediateDirectories: true)
        let victim = dir.file("victim")
        if targetExists { try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8) }
        try FileManager.default.createSymbolicLink(atPath: dir.file("agent.log"), withDestinationPath: victim)
        let run = try runToExit(["-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.file("state"), "-v", "-l", dir.file("agent.log")])
        #expect(run.status == 1)
        #expect(run.stderr.contains("unable to open specified log file: Too many levels of symbolic links"))
        #expect((try? String(contentsOfFile: victim, encoding: .utf8)) == (targetExists ? "precious\n" : nil))
    }

    @Test("a regular log file gets <epoch>.<usec>: <level>: lines appended")
    func appends() throws {
        let logDir = TempDir()
        let path = logDir.file("agent.log")
        try "earlier line\n".write(toFile: path, atomically: false, encoding: .utf8)
        let agent = try AgentProcess(extra: ["-l", path])
        _ = try agent.connect().call(#"{"execute":"guest-ping"}"#)
        agent.terminate()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "earlier line")
        #expect(lines.count > 1)
        #expect(lines.dropFirst().allSatisfy { $0.range(of: #"^\d{10,}\.\d{6}: (debug|info|warning|error): "#, options: .regularExpression) != nil })
    }
}
