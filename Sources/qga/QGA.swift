import Glibc
import ArgumentParser
import QGAProtocol
import SystemCalls

/// `qga`: talks to a QEMU guest agent (qemu-ga or qemu-ga-swift) from the host.
@main
struct QGA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qga",
        abstract: "Talk to a QEMU guest agent from the host.",
        discussion: """
            Connects to the agent's channel (a unix socket such as QEMU's \
            -chardev socket,path=...,server=on, a vsock port, or a serial device), flushes it with \
            0xFF and guest-sync-delimited, then sends one command. Exit status: 0 on success, 1 when \
            the agent answered with an error (its desc goes to stderr), 2 when the agent could not be \
            reached or did not answer in time.
            """,
        subcommands: [
            Ping.self, Info.self, FSFreezeCommand.self, FSTrim.self, VCPUs.self, Shutdown.self, Suspend.self,
            Exec.self, Cat.self, Ifconfig.self, OSInfo.self, FSInfo.self, Users.self, Timezone.self, Hostname.self,
            Raw.self,
        ])

    @Option(name: .customLong("socket"), help: ArgumentHelp("Unix socket of the agent's channel.", valueName: "path"))
    var socket: String?

    @Option(name: .customLong("vsock"), help: ArgumentHelp("vsock address of an agent run with -m vsock-listen.", valueName: "cid:port"))
    var vsock: String?

    @Option(name: .customLong("serial"), help: ArgumentHelp("Character device or pty of the agent's channel.", valueName: "device"))
    var serial: String?

    @Option(help: ArgumentHelp("Seconds to wait for each reply (0 waits for ever).", valueName: "seconds"))
    var timeout: Double = 30

    @Flag(help: "Print the agent's return value as JSON instead of text.")
    var json = false

    mutating func validate() throws {
        let given = [socket, vsock, serial].compactMap { $0 }
        if given.count > 1 { throw ValidationError("Give only one of --socket, --vsock and --serial.") }
        if timeout < 0 { throw ValidationError("--timeout must not be negative.") }
        if let vsock, SocketAddress(vsock: vsock) == nil {
            throw ValidationError("--vsock takes CID:PORT, e.g. 3:1234.")
        }
    }

    var endpoint: AgentChannel? {
        if let socket { return .socket(.unix(path: socket)) }
        if let vsock, let address = SocketAddress(vsock: vsock) { return .socket(address) }
        if let serial { return .serial(serial) }
        return nil
    }

    /// Connects and synchronizes; exits with status 2 when that fails.
    func connect() throws -> AgentConnection {
        guard let endpoint else {
            throw Failure.usage("Give the agent's channel: --socket PATH, --vsock CID:PORT or --serial DEVICE.")
        }
        let connection: AgentConnection
        do {
            let transport = try Transport.open(endpoint)
            connection = AgentConnection(transport: transport, timeout: timeout > 0 ? timeout : nil)
            try connection.synchronize(id: Int64.random(in: 1...Int64(Int32.max)))
        } catch {
            throw Failure.transport("\(endpoint.description): \(handshakeText(error))")
        }
        return connection
    }

    private func handshakeText(_ error: TransportError) -> String {
        switch error {
        case .timedOut: return "no reply to guest-sync-delimited within \(timeout.secondsText) s"
        case .endOfFile: return "the agent closed the connection during the handshake"
        case .failed(let text): return text
        }
    }

    /// Runs one command and returns its result; an error reply exits with status 1.
    func call(_ connection: AgentConnection, _ execute: String, arguments: JSONValue? = nil) throws -> JSONValue {
        let reply: AgentReply
        do {
            reply = try connection.call(execute, arguments: arguments)
        } catch {
            throw Failure.transport(transportText(error, waitingFor: execute))
        }
        switch reply {
        case .success(let value): return value
        case .failure(_, let desc): throw Failure.agent(desc)
        }
    }

    /// The usual subcommand: connects, runs `execute` and prints its return value, as JSON with
    /// `--json`, else through `printText`; a failure ends the run with its exit status.
    func callAndPrint(
        _ execute: String, arguments: JSONValue? = nil, printText: (JSONValue) throws -> Void
    ) throws {
        try reporting {
            let result = try call(try connect(), execute, arguments: arguments)
            if json { printJSON(result) } else { try printText(result) }
        }
    }

    func transportText(_ error: TransportError, waitingFor execute: String) -> String {
        switch error {
        case .timedOut: return "no reply to \(execute) within \(timeout.secondsText) s"
        case .endOfFile: return "the agent closed the connection before answering \(execute)"
        case .failed(let text): return text
        }
    }

    /// Sends a command whose success is silence (guest-shutdown, guest-suspend-*).
    ///
    /// A `guest-sync` follows it: replies come in order, so an error reply arrives before the
    /// sync's echo, and the echo proves the command was accepted. Timeout and EOF count as
    /// success too: the guest may be going down already.
    func callWithoutReply(_ connection: AgentConnection, _ execute: String, arguments: JSONValue? = nil) throws {
        let syncID = Int64.random(in: 1...Int64(Int32.max))
        var bytes = AgentConnection.encode(execute: execute, arguments: arguments)
        bytes += AgentConnection.encode(execute: "guest-sync", arguments: ["id": .int(syncID)])
        var errorDesc: String?
        do throws(TransportError) {
            try connection.sendRaw(bytes)
            waiting: while true {
                switch try connection.nextReply() {
                case .success(.int(syncID)): break waiting
                case .success: continue  // a success reply of the command itself (not expected)
                case .failure(_, let desc):
                    errorDesc = desc
                    break waiting
                }
            }
        } catch .timedOut, .endOfFile {
            return
        } catch .failed(let text) {
            throw Failure.transport(text)
        }
        if let errorDesc { throw Failure.agent(errorDesc) }
    }
}

/// The ways a run ends badly, each with its exit status.
enum Failure: Error {
    /// The agent answered with an error: status 1, its desc on stderr.
    case agent(String)
    /// The agent could not be reached or did not answer: status 2.
    case transport(String)
    /// The command line does not say what to do: status 64, like ArgumentParser's own.
    case usage(String)
}

extension ParsableCommand {
    /// Runs `body`, turning a ``Failure`` into its message on stderr and its exit status.
    func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            switch failure {
            case .agent(let desc):
                printError(desc)
                throw ExitCode(1)
            case .transport(let text):
                printError(text)
                throw ExitCode(2)
            case .usage(let text):
                printError(text)
                throw ExitCode(64)
            }
        }
    }
}
