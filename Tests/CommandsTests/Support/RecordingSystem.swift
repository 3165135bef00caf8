import Commands
import ProcessRunner
import QGAProtocol

/// A GuestSystem for handler tests: files are real (under a temp dir the test builds),
/// child processes are recorded and answered from a script instead of being run.
final class RecordingSystem: GuestSystem {
    private let files = LinuxSystem()
    /// Every invocation `run` was asked for, in order.
    private(set) var invocations: [ProcessInvocation] = []
    /// Decides the outcome of each invocation; default: exit 0, no output.
    var respond: (ProcessInvocation) -> ProcessOutcome = { _ in ProcessOutcome(termination: .exited(0)) }
    /// Paths treated as executable in addition to real executable files.
    var executables: Set<String> = []
    /// When false, only `executables` count, so a test does not depend on what this machine
    /// has in `/sbin`.
    var realExecutables = true
    /// Every path `writeFile` was asked to write, in order (including failed writes).
    private(set) var writtenPaths: [String] = []
    /// Writes to these paths fail with the errno, as a kernel refusing a sysfs write would.
    var writeErrors: [String: Int32] = [:]
    private(set) var syncCount = 0

    func readFile(_ path: String) throws(QGAError) -> [UInt8] { try files.readFile(path) }
    func readFile(_ path: String, maxBytes: Int) throws(QGAError) -> [UInt8] {
        try files.readFile(path, maxBytes: maxBytes)
    }
    func writeFile(_ path: String, _ bytes: [UInt8], create: Bool) throws(QGAError) {
        writtenPaths.append(path)
        if let code = writeErrors[path] { throw QGAError.system("write(\"\(path)\")", errno: code) }
        try files.writeFile(path, bytes, create: create)
    }
    func listDirectory(_ path: String) throws(QGAError) -> [String] { try files.listDirectory(path) }
    func fileExists(_ path: String) -> Bool { files.fileExists(path) }
    func isDirectory(_ path: String) -> Bool { files.isDirectory(path) }
    func isExecutable(_ path: String) -> Bool {
        executables.contains(path) || (realExecutables && files.isExecutable(path))
    }
    func removeFile(_ path: String) throws(QGAError) { try files.removeFile(path) }
    func run(_ invocation: ProcessInvocation) -> ProcessOutcome {
        invocations.append(invocation)
        return respond(invocation)
    }
    func syncFilesystems() { syncCount += 1 }
}
