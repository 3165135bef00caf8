import Commands
import Foundation
import Logging
import Testing

@Suite("AgentLogSink and AgentLogHandler")
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
        (Logger.Level.trace, "debug"), (.debug, "debug"), (.info, "info"), (.notice, "message"),
        (.warning, "warning"), (.error, "error"), (.critical, "critical"),
    ])
    func levels(level: Logger.Level, word: String) {
        #expect(AgentLogSink.levelName(level) == word)
    }

    @Test("held lines are not written (the file is not even created) until release, then in order")
    func holdAndRelease() {
        let dir = TempDirectory()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), clock: Self.fixedClock)
        sink.hold()
        sink.write(level: .info, "one")
        sink.write(level: .notice, "two")
        #expect(!dir.exists("agent.log"))
        #expect(sink.heldLineCount == 2)
        sink.release()
        #expect(dir.read("agent.log") == "1700000000.000042: info: one\n1700000000.000042: message: two\n")
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

    @Test("the handler writes through the sink with metadata; the logger filters by level")
    func handler() {
        let dir = TempDirectory()
        let sink = AgentLogSink(destination: .file(dir.path + "/agent.log"), clock: Self.fixedClock)
        var logger = Logger(label: "t") { AgentLogHandler(label: $0, sink: sink, logLevel: .info) }
        logger[metadataKey: "cmd"] = "guest-ping"
        logger.debug("hidden")
        logger.info("shown")
        #expect(dir.read("agent.log") == "1700000000.000042: info: shown cmd=guest-ping\n")
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
