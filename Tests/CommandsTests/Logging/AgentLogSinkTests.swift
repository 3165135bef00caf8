import Commands
import Foundation
import Glibc
import Synchronization
import Testing

/// What the sink sent to its syslog seam.
final class SyslogRecorder: Sendable {
    private let lines = Mutex<[(Int32, String)]>([])
    var sent: [(priority: Int32, message: String)] { lines.withLock { $0.map { ($0.0, $0.1) } } }
    var messages: [String] { lines.withLock { $0.map(\.1) } }
    var send: @Sendable (Int32, String) -> Void { { priority, message in self.lines.withLock { $0.append((priority, message)) } } }
}

@Suite("AgentLogSink and AgentLogger")
struct AgentLogSinkTests {
    static let fixedClock: @Sendable () -> (seconds: Int, microseconds: Int) = { (1_700_000_000, 42) }

    @Test("lines read <epoch>.<usec>: <level>: <message>")
    func format() throws {
        let dir = TempDirectory()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), clock: Self.fixedClock)
        sink.write(level: .info, "hello")
        sink.write(level: .warning, "careful")
        #expect(dir.read("agent.log") == "1700000000.000042: info: hello\n1700000000.000042: warning: careful\n")
    }

    @Test("qemu-ga's level words", arguments: [
        (LogLevel.debug, "debug"), (.info, "info"), (.warning, "warning"), (.error, "error"),
    ])
    func levels(level: LogLevel, word: String) {
        let dir = TempDirectory()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), clock: Self.fixedClock)
        sink.write(level: level, "x")
        #expect(dir.read("agent.log") == "1700000000.000042: \(word): x\n")
    }

    @Test("held lines are not written (the file is not even created) until release, then in order")
    func holdAndRelease() {
        let dir = TempDirectory()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), clock: Self.fixedClock)
        sink.hold()
        sink.write(level: .info, "one")
        sink.write(level: .error, "two")
        #expect(!dir.exists("agent.log"))
        #expect(sink.heldLineCount == 2)
        sink.release()
        #expect(dir.read("agent.log") == "1700000000.000042: info: one\n1700000000.000042: error: two\n")
        sink.write(level: .info, "three")
        #expect(dir.read("agent.log")?.hasSuffix("info: three\n") == true)
    }

    @Test("the buffer is bounded: the oldest lines are dropped and counted")
    func bounded() {
        let dir = TempDirectory()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), bufferLimit: 3, clock: Self.fixedClock)
        sink.hold()
        for n in 1...5 { sink.write(level: .info, "line \(n)") }
        #expect(sink.heldLineCount == 3)
        #expect(sink.droppedLineCount == 2)
        sink.release()
        let lines = dir.read("agent.log")?.split(separator: "\n").map(String.init) ?? []
        #expect(
            lines == [
                "1700000000.000042: warning: 2 log lines were dropped while filesystems were frozen",
                "1700000000.000042: info: line 3", "1700000000.000042: info: line 4", "1700000000.000042: info: line 5",
            ])
        #expect(sink.droppedLineCount == 0)
    }

    @Test("an unopenable log file is reported with qemu-ga's text")
    func openFailure() {
        let sink = AgentLogSink(destination: .file("/nonexistent-dir/agent.log"))
        #expect(throws: Error.self) { try sink.open() }
        do {
            try sink.open()
        } catch {
            #expect(error.desc == "unable to open specified log file: No such file or directory")
        }
    }

    @Test("a symlink planted at the log file's path is refused, its target untouched", arguments: [true, false])
    func plantedSymlink(targetExists: Bool) throws {
        let dir = TempDirectory()
        if targetExists { dir.write("victim", "precious\n") }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/agent.log", withDestinationPath: dir.path + "/victim")
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), clock: Self.fixedClock)
        #expect(throws: Error.self) { try sink.open() }
        do {
            try sink.open()
        } catch {
            #expect(error.desc == "unable to open specified log file: Too many levels of symbolic links")
        }
        // A deferred open (after thaw) falls back to stderr, as qemu-ga does; never the target.
        sink.write(level: .error, "after the failed open")
        #expect(dir.read("victim") == (targetExists ? "precious\n" : nil))
    }

    @Test("the logger drops lines below its level without building their text")
    func loggerLevel() {
        let dir = TempDirectory()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), clock: Self.fixedClock)
        var logger = AgentLogger(sink: sink, level: .info)
        let built = Mutex(0)
        func text(_ s: String) -> String { built.withLock { $0 += 1 }; return s }
        logger.debug(text("hidden"))
        logger.info(text("shown"))
        #expect(dir.read("agent.log") == "1700000000.000042: info: shown\n")
        #expect(built.withLock { $0 } == 1)
        logger.level = .error
        logger.warning("hidden too")
        logger.error("bad")
        #expect(dir.read("agent.log") == "1700000000.000042: info: shown\n1700000000.000042: error: bad\n")
    }

    @Test("audit lines go to syslog as qemu-ga's (LOG_INFO, \"info: \" prefix) at any level, never to the log file")
    func auditLines() {
        let dir = TempDirectory()
        let syslog = SyslogRecorder()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), clock: Self.fixedClock, syslog: syslog.send)
        let logger = AgentLogger(sink: sink, level: .error)
        logger.audit("guest-ping called")
        #expect(syslog.sent.map(\.priority) == [LOG_INFO])
        #expect(syslog.messages == ["info: guest-ping called"])
        #expect(!dir.exists("agent.log"))
    }

    @Test("audit lines are held while frozen and sent in order at release; the overflow is counted")
    func auditHeld() {
        let syslog = SyslogRecorder()
        let sink = AgentLogSink(destination: .standardError, bufferLimit: 2, clock: Self.fixedClock, syslog: syslog.send)
        sink.hold()
        for n in 1...3 { sink.audit("audit \(n)") }
        #expect(syslog.messages.isEmpty)
        #expect(sink.heldAuditCount == 2)
        sink.release()
        #expect(
            syslog.messages == [
                "warning: 1 audit lines were dropped while filesystems were frozen", "info: audit 2", "info: audit 3",
            ])
        #expect(syslog.sent.first?.priority == LOG_WARNING)
        sink.audit("after")
        #expect(syslog.messages.last == "info: after")
    }

    @Test("real clock: microseconds are six digits")
    func realClock() {
        let dir = TempDirectory()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"))
        sink.write(level: .info, "x")
        let line = dir.read("agent.log") ?? ""
        #expect(line.range(of: #"^\d{10,}\.\d{6}: info: x\n$"#, options: .regularExpression) != nil)
    }
}
