import Channel
import Commands
import Foundation
import QGAProtocol
import SystemCalls
import Testing

/// Serves an AgentSession over one end of a socketpair on a thread; the test is the host.
final class SocketPairHarness: @unchecked Sendable {
    let host: Int32
    private let agentEnd: Int32
    private let done = DispatchSemaphore(value: 0)
    private(set) var runError: String?
    /// What `run()` said the lost channel was, once the host hung up.
    private(set) var lostChannel: String?

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw POSIXError(.EIO) }
        host = fds[0]
        agentEnd = fds[1]
        let flags = fcntl(agentEnd, F_GETFL)
        _ = fcntl(agentEnd, F_SETFL, flags | O_NONBLOCK)
        let agentEnd = self.agentEnd
        Thread.detachNewThread { [self] in
            do {
                let registry = CommandRegistry.standard()
                let session = AgentSession(context: CommandContext(system: LinuxSystem(), registry: registry))
                let handler = Handler(session: session)
                let signals = try SignalSource([])
                let server = ChannelServer(
                    endpoint: .device(DevicePort(fd: agentEnd, path: "socketpair", isVirtio: false)),
                    handler: handler, signals: signals)
                if case .channelLost(let why) = try server.run() { lostChannel = why }
            } catch {
                runError = "\(error)"
            }
            done.signal()
        }
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(host, $0.baseAddress, $0.count) }
    }

    /// Reads until `count` newline-terminated replies arrived (or 10 s passed).
    func replies(_ count: Int) -> [String] {
        var data: [UInt8] = []
        let deadline = Date().addingTimeInterval(10)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.filter({ $0 == 0x0A }).count < count && Date() < deadline {
            var pfd = pollfd(fd: host, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(host, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Hangs up the host end; the server must end, reporting the channel lost.
    func hangUp() -> Bool {
        close(host)
        return done.wait(timeout: .now() + 10) == .success
    }

    final class Handler: ChannelHandler {
        let session: AgentSession
        init(session: AgentSession) { self.session = session }
        func received(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
            var writer = JSONWriter()
            session.receive(bytes, into: &writer)
            output += writer.bytes
        }
        func connectionStarted() { session.reset() }
    }
}

@Suite("Channel loop over a socketpair")
struct ChannelServerTests {
    @Test func servesPipelinedAndSplitRequests() throws {
        let harness = try SocketPairHarness()
        // Proxmox style: sync-delimited and the command in one write.
        harness.send([0xFF] + Array(#"{"execute":"guest-sync-delimited","arguments":{"id":9}}{"execute":"guest-ping","id":1}"#.utf8))
        let first = harness.replies(3)
        #expect(first.count == 3)
        #expect(first.first?.contains("stray") == true)
        #expect(first.dropFirst().first == "\u{FFFD}{\"return\": 9}")
        #expect(first.last == #"{"return": {}, "id": 1}"#)
        // One request, one byte per write.
        for byte in #"{"execute":"guest-sync","arguments":{"id":42}}"#.utf8 { harness.send([byte]) }
        #expect(harness.replies(1) == [#"{"return": 42}"#])
        #expect(harness.hangUp())
        #expect(harness.lostChannel == "error reading channel 'socketpair': end of file")
        #expect(harness.runError == nil)
    }

    @Test func manyRequestsInOneWriteAllAnswered() throws {
        let harness = try SocketPairHarness()
        let count = 2000
        var batch: [UInt8] = []
        for i in 0..<count { batch += Array(#"{"execute":"guest-sync","arguments":{"id":\#(i)}}"#.utf8) }
        harness.send(batch)
        let replies = harness.replies(count)
        #expect(replies.count == count)
        #expect(replies.last == #"{"return": \#(count - 1)}"#)
        #expect(harness.hangUp())
    }
}

/// Large replies to a large pipelined batch: all arrive, in order, and the server never holds
/// much more than ``ChannelServer/replyFlushBytes`` of them at once.
@Suite("Channel loop reply buffering")
struct ChannelServerBufferingTests {
    /// Answers each `{"n": N}` with an 8 KB line; records how full the output buffer was.
    final class BigReplies: ChannelHandler, @unchecked Sendable {
        private let lock = NSLock()
        private var _largestPending = 0
        private var _calls = 0
        private var pendingDigits: [UInt8] = []
        var largestPending: Int { lock.lock(); defer { lock.unlock() }; return _largestPending }
        var calls: Int { lock.lock(); defer { lock.unlock() }; return _calls }

        func received(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
            defer {
                lock.lock()
                _largestPending = max(_largestPending, output.count)
                _calls += 1
                lock.unlock()
            }
            for byte in bytes {
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    pendingDigits.append(byte)
                } else if byte == UInt8(ascii: "}") {
                    output += pendingDigits + [UInt8(ascii: " ")] + Array(repeating: UInt8(ascii: "x"), count: 8192) + [0x0A]
                    pendingDigits.removeAll()
                }
            }
        }
        func connectionStarted() {}
    }

    @Test func repliesAreFlushedAsTheyGrow() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        let (agentEnd, host) = (pair[0], pair[1])
        let flags = fcntl(agentEnd, F_GETFL)
        _ = fcntl(agentEnd, F_SETFL, flags | O_NONBLOCK)
        let handler = BigReplies()
        let signals = try SignalSource([SIGUSR2])
        let server = ChannelServer(
            endpoint: .device(DevicePort(fd: agentEnd, path: "socketpair", isVirtio: false)), handler: handler, signals: signals)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let unsafeServer = server
        Thread.detachNewThread {
            try? unsafeServer.run()
            finished.signal()
        }
        // 2,000 requests in one write: 16 MB of replies if they were all held at once.
        let count = 2000
        var batch: [UInt8] = []
        for i in 0..<count { batch += Array("{\"n\": \(i)}".utf8) }
        var sent = 0
        while sent < batch.count {
            let n = batch[sent...].withUnsafeBytes { write(host, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var lines = 0
        while lines < count {
            let n = buffer.withUnsafeMutableBytes { read(host, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            lines += buffer[0..<n].filter { $0 == 0x0A }.count
            received += buffer[0..<n]
        }
        #expect(lines == count)
        let text = String(decoding: received, as: UTF8.self).split(separator: "\n")
        #expect(text.first?.hasPrefix("0 xxx") == true)
        #expect(text.last?.hasPrefix("\(count - 1) xxx") == true)
        // Pending replies never reach much beyond the flush size plus one slice's replies.
        let sliceRequests = ChannelServer.inputSliceBytes / "{\"n\": 0}".utf8.count + 1
        #expect(handler.largestPending < ChannelServer.replyFlushBytes + sliceRequests * 8200)
        close(host)
        #expect(finished.wait(timeout: .now() + 10) == .success)
    }
}
