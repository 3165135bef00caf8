import Glibc
import ArgumentParser
import QGAProtocol

/// `qga exec -- CMD ARGS...`: guest-exec, then guest-exec-status until the process ends.
struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a program in the guest and print its output (guest-exec).",
        discussion: """
            Only when the agent lists guest-exec as enabled in guest-info. The program's stdout and \
            stderr are copied to qga's; qga exits with the program's exit status (128 + the signal \
            number when a signal ended it).
            """)

    @ParentCommand var qga: QGA

    @Option(help: ArgumentHelp("Text to send to the program's stdin.", valueName: "text"))
    var input: String?

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The program and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    /// The program and its arguments, without the `--` that introduced them.
    var argv: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func validate() throws {
        if argv.isEmpty { throw ValidationError("Give the program to run: qga exec -- PROGRAM [ARGS...]") }
    }

    func run() throws {
        try reporting {
            let connection = try qga.connect()
            try checkSupported(connection)
            var arguments: [JSONMember] = [JSONMember("path", .string(argv[0]))]
            if argv.count > 1 { arguments.append(JSONMember("arg", .array(argv.dropFirst().map { .string($0) }))) }
            if let input { arguments.append(JSONMember("input-data", .string(Base64.encode(Array(input.utf8))))) }
            // A boolean works with every agent (qemu-ga 7.2 takes nothing else).
            arguments.append(JSONMember("capture-output", .bool(true)))
            let started = try qga.call(connection, "guest-exec", arguments: .object(arguments))
            guard let pid = started["pid"]?.int64Value else {
                throw Failure.agent("guest-exec returned no pid: \(started.serialized)")
            }
            let status = try waitForExit(connection, pid: pid)
            if qga.json {
                printJSON(status)
            } else {
                fflush(nil)  // what print() buffered goes first
                if let out = status["out-data"]?.stringValue.flatMap({ try? Base64.decode($0) }) { writeAll(1, out) }
                if let err = status["err-data"]?.stringValue.flatMap({ try? Base64.decode($0) }) { writeAll(2, err) }
                if status["out-truncated"]?.boolValue == true { printError("stdout was truncated by the agent") }
                if status["err-truncated"]?.boolValue == true { printError("stderr was truncated by the agent") }
            }
            if let signal = status["signal"]?.int64Value { throw ExitCode(Int32(truncatingIfNeeded: 128 + signal)) }
            if let code = status["exitcode"]?.int64Value, code != 0 { throw ExitCode(Int32(truncatingIfNeeded: code)) }
        }
    }

    /// guest-exec is optional (and often blocked): say so plainly instead of sending it blind.
    private func checkSupported(_ connection: AgentConnection) throws {
        let info = try qga.call(connection, "guest-info")
        let commands = info["supported_commands"]?.arrayValue ?? []
        for name in ["guest-exec", "guest-exec-status"] {
            guard let entry = commands.first(where: { $0["name"]?.stringValue == name }) else {
                throw Failure.agent("the agent does not support \(name) (it is not in guest-info)")
            }
            if entry["enabled"]?.boolValue == false {
                throw Failure.agent("\(name) is disabled on the agent")
            }
        }
    }

    /// Polls guest-exec-status, 10 ms at first, backing off to 250 ms.
    private func waitForExit(_ connection: AgentConnection, pid: Int64) throws -> JSONValue {
        var delay: UInt32 = 10_000
        while true {
            let status = try qga.call(connection, "guest-exec-status", arguments: ["pid": .int(pid)])
            if status["exited"]?.boolValue == true { return status }
            usleep(delay)
            delay = min(delay * 2, 250_000)
        }
    }
}
