import Foundation

/// The `qga` client binary under test: `QGA_CLIENT`, else the debug build.
var clientBinary: String {
    ProcessInfo.processInfo.environment["QGA_CLIENT"] ?? packageRoot.appendingPathComponent(".build/debug/qga").path
}

/// Runs `qga ARGS...` to completion.
func runClient(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess(clientBinary, arguments)
}

/// A scripted stand-in for an agent: a unix socket that serves one connection on its own
/// thread with `script`, and records every byte the client sent. When the script returns,
/// the client sees EOF.
///
/// For what must never reach a real agent (shutdown, suspend, freeze, vCPUs offline) and for
/// channel states a real agent does not produce (stale replies, junk, silence).
final class FakeAgent: @unchecked Sendable {
    let dir = TempDir()
    var socketPath: String { dir.file("fake.sock") }
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var _received: [UInt8] = []
    private var _failure: String?

    /// Everything the client sent, once the script has finished.
    var received: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return _received
    }

    /// What went wrong inside the script, if anything.
    var failure: String? {
        lock.lock()
        defer { lock.unlock() }
        return _failure
    }

    init(_ script: @escaping @Sendable (FakeConnection) throws -> Void) throws {
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = dir.file("fake.sock")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 1) == 0 else { throw AgentTestError("fake agent: bind/listen errno \(errno)") }
        let listening = listener
        Thread.detachNewThread { [self] in
            let fd = accept(listening, nil, nil)
            let connection = FakeConnection(fd: fd)
            do {
                try script(connection)
            } catch {
                lock.lock()
                _failure = "\(error)"
                lock.unlock()
            }
            // EOF to the client, then read until it is done, so everything it sent is recorded.
            shutdown(fd, Int32(SHUT_WR))
            connection.drain()
            lock.lock()
            _received = connection.received
            lock.unlock()
            close(fd)
            done.signal()
        }
    }

    /// Waits for the script to finish (the client has closed its end).
    @discardableResult
    func finish(timeout: Double = 20) -> Bool {
        done.wait(timeout: .now() + timeout) == .success
    }

    deinit {
        close(listener)
    }
}

/// The fake agent's side of one connection.
final class FakeConnection {
    let fd: Int32
    private(set) var received: [UInt8] = []
    private var cursor = 0
    private var closedByClient = false

    init(fd: Int32) { self.fd = fd }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// The next complete JSON object the client sent (skipping a leading 0xFF), as bytes.
    func nextRequest(timeout: Double = 10) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let range = completeObject() {
                cursor = range.upperBound
                return Array(received[range])
            }
            guard readMore(until: deadline) else { throw AgentTestError("fake agent: no complete request from the client") }
        }
    }

    /// The next request, parsed.
    func nextRequestObject(timeout: Double = 10) throws -> [String: Any] {
        let bytes = try nextRequest(timeout: timeout)
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw AgentTestError("fake agent: not an object: \(String(decoding: bytes, as: UTF8.self))")
        }
        return object
    }

    /// Reads the client's 0xFF + guest-sync-delimited and answers it with `prefix` first
    /// (junk, stale replies) and then the delimited reply. Returns the id.
    @discardableResult
    func answerSync(prefix: [UInt8] = []) throws -> Int64 {
        let request = try nextRequestObject()
        guard request["execute"] as? String == "guest-sync-delimited",
            let id = ((request["arguments"] as? [String: Any])?["id"] as? NSNumber)?.int64Value
        else { throw AgentTestError("fake agent: expected guest-sync-delimited, got \(request)") }
        send(prefix + Array(#"{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\uFFFD'"}}"#.utf8) + [0x0A])
        send([0xFF] + Array("{\"return\": \(id)}\n".utf8))
        return id
    }

    /// Reads whatever else the client sends until it closes its end (or 10 s pass).
    func drain() {
        let deadline = Date().addingTimeInterval(10)
        while !closedByClient && readMore(until: deadline) {}
    }

    private func readMore(until deadline: Date) -> Bool {
        let left = deadline.timeIntervalSinceNow
        guard left > 0, !closedByClient else { return false }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(left * 1000)) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 {
            closedByClient = true
            return false
        }
        received += buffer[0..<n]
        return true
    }

    /// The range of the first balanced `{...}` at or after the cursor (strings honoured).
    private func completeObject() -> Range<Int>? {
        var start: Int?
        var depth = 0
        var inString = false
        var escaped = false
        var index = cursor
        while index < received.count {
            let byte = received[index]
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") {
                if start == nil { start = index }
                depth += 1
            } else if byte == UInt8(ascii: "}"), start != nil {
                depth -= 1
                if depth == 0, let start { return start..<(index + 1) }
            }
            index += 1
        }
        return nil
    }
}

/// What a scripted agent received, collected from its thread.
final class RequestsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var objects: [[String: Any]] = []
    private var texts: [String] = []
    func append(_ object: [String: Any]) { lock.lock(); objects.append(object); lock.unlock() }
    func appendRaw(_ text: String) { lock.lock(); texts.append(text); lock.unlock() }
    var all: [[String: Any]] { lock.lock(); defer { lock.unlock() }; return objects }
    var raw: [String] { lock.lock(); defer { lock.unlock() }; return texts }
}
