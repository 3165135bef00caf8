import QGAProtocol
import SystemCalls

/// The agent's answer to one command.
enum AgentReply: Equatable {
    case success(JSONValue)
    case failure(errorClass: String, desc: String)
}

/// A conversation with a guest agent: the sync handshake, then commands and their replies.
///
/// Replies are read with the agent's own stream parser, so framing is the same on both
/// ends: an object ends when its braces balance, whatever the newlines.
final class AgentConnection {
    private let transport: Transport
    private let timeout: Double?
    private let parser = RequestStreamParser()
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    /// Complete values read but not yet consumed, oldest first.
    private var pending: [JSONValue] = []
    private var pendingStart = 0

    /// - Parameter timeout: seconds to wait for each reply; nil waits for ever.
    init(transport: Transport, timeout: Double?) {
        self.transport = transport
        self.timeout = timeout
    }

    /// Flushes whatever a previous host left in the channel, the way robust hosts do.
    ///
    /// Sends 0xFF (the agent's parser drops any partial request and answers the byte with an
    /// error) and `guest-sync-delimited` with `id`; then discards every byte up to a 0xFF and
    /// every reply until the one that returns `id`. Stale replies of an earlier host and the
    /// agent's answer to the 0xFF are dropped that way.
    func synchronize(id: Int64) throws(TransportError) {
        let deadline = Deadline(secondsFromNow: timeout)
        var request: [UInt8] = [JSONWriter.sentinelByte]
        request += Self.encode(execute: "guest-sync-delimited", arguments: ["id": .int(id)])
        try transport.write(request, deadline: deadline)
        pending.removeAll()
        pendingStart = 0
        var afterSentinel = false
        while true {
            let count = try readChunk(deadline: deadline)
            var start = 0
            for index in 0..<count where buffer[index] == JSONWriter.sentinelByte {
                if afterSentinel { feed(from: start, to: index) }
                // The reply that follows a 0xFF starts a fresh message.
                parser.reset()
                afterSentinel = true
                start = index + 1
            }
            if afterSentinel { feed(from: start, to: count) }
            while pendingStart < pending.count {
                let value = pending[pendingStart]
                pendingStart += 1
                if case .int(let echoed)? = value["return"], echoed == id { return }
            }
        }
    }

    /// Sends one request and waits for its reply.
    func call(_ execute: String, arguments: JSONValue? = nil) throws(TransportError) -> AgentReply {
        try send(execute, arguments: arguments)
        return try nextReply()
    }

    /// Sends one request without waiting.
    func send(_ execute: String, arguments: JSONValue? = nil) throws(TransportError) {
        try sendRaw(Self.encode(execute: execute, arguments: arguments))
    }

    /// Sends bytes that already hold one complete request.
    func sendRaw(_ bytes: [UInt8]) throws(TransportError) {
        try transport.write(bytes, deadline: Deadline(secondsFromNow: timeout))
    }

    /// The next reply the agent sends.
    func nextReply() throws(TransportError) -> AgentReply {
        let deadline = Deadline(secondsFromNow: timeout)
        while true {
            while pendingStart < pending.count {
                let value = pending[pendingStart]
                pendingStart += 1
                if let reply = Self.reply(from: value) { return reply }
            }
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
            let count = try readChunk(deadline: deadline)
            feed(from: 0, to: count)
        }
    }

    // MARK: Bytes

    private func readChunk(deadline: Deadline) throws(TransportError) -> Int {
        var result: Result<Int, TransportError> = .success(0)
        buffer.withUnsafeMutableBytes { raw in
            do throws(TransportError) {
                result = .success(try transport.read(into: raw, deadline: deadline))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    private func feed(from start: Int, to end: Int) {
        guard end > start else { return }
        buffer.withUnsafeBytes { raw in
            parser.feed(UnsafeRawBufferPointer(rebasing: raw[start..<end])) { event in
                // Anything that is not a complete object is noise from the channel.
                if case .value(let value) = event { pending.append(value) }
            }
        }
    }

    /// `{"return": X}` or `{"error": {"class": C, "desc": D}}`; nil for anything else.
    static func reply(from value: JSONValue) -> AgentReply? {
        if let result = value["return"] { return .success(result) }
        if let error = value["error"] {
            var errorClass = "GenericError"
            var desc = error.serialized
            if case .string(let text)? = error["class"] { errorClass = text }
            if case .string(let text)? = error["desc"] { desc = text }
            return .failure(errorClass: errorClass, desc: desc)
        }
        return nil
    }

    /// `{"execute": NAME, "arguments": {...}}` in qemu-ga's own format.
    static func encode(execute: String, arguments: JSONValue?) -> [UInt8] {
        var members = [JSONMember("execute", .string(execute))]
        if let arguments { members.append(JSONMember("arguments", arguments)) }
        var writer = JSONWriter(capacity: 128)
        writer.write(.object(members))
        return writer.bytes
    }
}
