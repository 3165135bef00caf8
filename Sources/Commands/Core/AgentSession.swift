import QGAProtocol

/// One conversation with a host: bytes in, replies out.
///
/// Owns the stream parser (reset for each new client) and dispatches each request through
/// the registry. Replies are appended to the caller's writer, so a batch of pipelined
/// requests becomes one buffer and one write.
public final class AgentSession {
    public let context: CommandContext
    private let parser: RequestStreamParser
    /// guest-info's serialized result, valid while the registry's generation is unchanged.
    private var infoCache: (generation: Int, bytes: [UInt8])?

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
        if let disabled = context.registry.disabledError(for: entry) {
            writer.writeError(disabled, id: request.id)
            return
        }
        do throws(QGAError) {
            if entry.name == GuestInfo.name, entry.successResponse, !entry.delimitedReply,
                Self.isEmptyObject(request.arguments)
            {
                writer.writeSuccess(serialized: try cachedInfo(entry), id: request.id)
                return
            }
            if entry.successResponse {
                try writer.writeSuccess(id: request.id, delimited: entry.delimitedReply) { (reply) throws(QGAError) in
                    try entry.invoke(request.arguments, context, &reply)
                }
            } else {
                var discarded = JSONWriter(capacity: 0)
                try entry.invoke(request.arguments, context, &discarded)
            }
        } catch {
            writer.writeError(error, id: request.id)
        }
    }

    /// guest-info only changes when a command is blocked, allowed, frozen or registered, and
    /// each of those bumps the registry's generation; hosts poll it often and its reply is the
    /// largest there is, so it is built once per generation.
    private func cachedInfo(_ entry: CommandEntry) throws(QGAError) -> [UInt8] {
        let generation = context.registry.generation
        if let cache = infoCache, cache.generation == generation { return cache.bytes }
        var serialized = JSONWriter(capacity: 4096)
        try entry.invoke(nil, context, &serialized)
        infoCache = (generation, serialized.bytes)
        return serialized.bytes
    }

    /// No `arguments`, or `{}`.
    private static func isEmptyObject(_ arguments: JSONValue?) -> Bool {
        switch arguments {
        case nil: return true
        case .object(let members)?: return members.isEmpty
        default: return false
        }
    }
}
