import ArgumentParser
import QGAProtocol

/// `qga raw '<json>'`: any command, as JSON in and JSON out.
struct Raw: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one request as JSON and print the return value as JSON.",
        discussion: """
            Example: qga --socket /tmp/qga.sock raw '{"execute": "guest-get-time"}'. Requests for \
            guest-shutdown and guest-suspend-* are treated as in 'qga shutdown': no reply is expected.
            """)

    @ParentCommand var qga: QGA

    @Argument(help: ArgumentHelp("The request: {\"execute\": NAME, \"arguments\": {...}}.", valueName: "json"))
    var request: String

    /// Commands whose success is silence.
    static let withoutReply: Set<String> = ["guest-shutdown", "guest-suspend-ram", "guest-suspend-disk", "guest-suspend-hybrid"]

    /// The request, parsed with the agent's own parser (single quotes are fine, as for qemu-ga).
    static func parse(_ text: String) throws(ValidationError) -> JSONValue {
        let parser = RequestStreamParser()
        var events: [StreamEvent] = []
        var bytes = Array(text.utf8)
        // A space ends a trailing number, so `42` is seen as a whole (and rejected).
        bytes.append(0x20)
        bytes.withUnsafeBytes { parser.feed($0) { events.append($0) } }
        guard events.count == 1 else {
            if events.isEmpty { throw ValidationError("The request is incomplete JSON.") }
            throw ValidationError("Give exactly one JSON object.")
        }
        switch events[0] {
        case .value(let value):
            guard case .object = value else { throw ValidationError("The request must be a JSON object.") }
            return value
        case .scalar:
            throw ValidationError("The request must be a JSON object.")
        case .error(let text):
            throw ValidationError("The request is not valid JSON: \(text)")
        }
    }

    func validate() throws {
        _ = try Self.parse(request)
    }

    func run() throws {
        try reporting {
            let value = try Self.parse(request)
            var writer = JSONWriter()
            writer.write(value)
            let connection = try qga.connect()
            let execute = value["execute"]?.stringValue ?? ""
            if Self.withoutReply.contains(execute) {
                try qga.callWithoutReply(connection, execute, arguments: value["arguments"])
                return
            }
            let reply: AgentReply
            do throws(TransportError) {
                try connection.sendRaw(writer.bytes)
                reply = try connection.nextReply()
            } catch {
                throw Failure.transport(qga.transportText(error, waitingFor: execute.isEmpty ? "the request" : execute))
            }
            switch reply {
            case .success(let result): printJSON(result)
            case .failure(_, let desc): throw Failure.agent(desc)
            }
        }
    }
}
