import Logging
import QGAProtocol

/// One conversation with a host: bytes in, replies out.
///
/// Owns the stream parser (reset for each new client) and dispatches each request through
/// the registry. Replies are appended to the caller's writer, so a batch of pipelined
/// requests becomes one buffer and one write.
public final class AgentSession {
    public let context: CommandContext
    private let parser: RequestStreamParser
    private var infoCache: (generation: Int, result: JSONValue)?

    public init(context: CommandContext, limits: ParserLimits = ParserLimits()) {
        self.context = context
        self.parser = RequestStreamParser(limits: limits)
    }

    /// A new client: forget any partial request of the previous one.
    public func reset() { parser.reset() }

    /// Parses `bytes` and appends one reply per complete request (none for a successful
    /// command without a success response).
    public func receive(_ bytes: UnsafeRawBufferPointer, into writer: inout JSONWriter) {
        parser.feed(bytes) { event in
            switch event {
            case .value(let value):
                dispatch(value, into: &writer)
            case .scalar:
                writer.writeError(QGAError("QMP input must be a JSON object"), id: nil)
            case .error(let desc):
                context.logger.debug("bad input: \(desc)")
                writer.writeError(QGAError(desc), id: nil)
            }
        }
    }

    /// Convenience for tests and tools: feed a whole byte array, get the reply bytes.
    public func receive(_ bytes: [UInt8]) -> [UInt8] {
        var writer = JSONWriter()
        bytes.withUnsafeBytes { receive($0, into: &writer) }
        return writer.bytes
    }

    private func dispatch(_ value: JSONValue, into writer: inout JSONWriter) {
        let request: Request
        switch Request.validate(value) {
        case .success(let valid): request = valid
        case .failure(let failure):
            writer.writeError(failure.error, id: failure.id)
            return
        }
        guard let entry = context.registry.entry(named: request.execute) else {
            writer.writeError(.commandNotFound(request.execute), id: request.id)
            return
        }
        if let disabled = context.registry.disabledError(for: entry.name) {
            writer.writeError(disabled, id: request.id)
            return
        }
        do {
            let result = try entry.invoke(request.arguments, context)
            if entry.successResponse {
                writer.writeSuccess(result, id: request.id, delimited: entry.delimitedReply)
            }
        } catch let error as QGAError {
            writer.writeError(error, id: request.id)
        } catch {
            writer.writeError(QGAError("\(error)"), id: request.id)
        }
    }
}
