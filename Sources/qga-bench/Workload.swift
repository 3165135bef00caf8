import Glibc
import SystemCalls

/// What one round does to one agent.
struct Workload {
    /// Pipelined requests per command and round.
    let counts: [(name: String, count: Int)]
    let sequentialSamples: Int
    /// Peak RSS is read once the agent has answered this many commands.
    let peakAfter = 100_000


    init(scale: Double, only: [String] = []) {
        func scaled(_ n: Double) -> Int { max(100, Int(n * scale)) }
        let all = [("guest-ping", scaled(50_000)), ("guest-info", scaled(10_000)), ("guest-get-vcpus", scaled(20_000))]
        counts = only.isEmpty ? all : all.filter { only.contains($0.0) }
        sequentialSamples = scaled(5_000)
    }

    static func request(_ name: String) -> [UInt8] { Array(#"{"execute": "\#(name)"}"#.utf8) }

    /// Tokens in ``bigRequest``: an array of zeros is one token per number and per comma.
    static let bigRequestTokens = 1_900_000
    /// `guest-ping` with an unexpected member holding a 1.9 M-token array (about 1.9 MB).
    static let bigRequest: [UInt8] = {
        var bytes = Array(#"{"execute": "guest-ping", "arguments": {"a": ["#.utf8)
        bytes.reserveCapacity(bigRequestTokens + 64)
        for index in 0..<(bigRequestTokens / 2) { bytes += index == 0 ? [0x30] : [0x2C, 0x30] }
        bytes += Array("]}}".utf8)
        return bytes
    }()

    /// Sends the pipelined loads to an agent someone else started; prints what each took.
    func drive(socket: String) throws(BenchError) {
        guard let client = BenchClient(path: socket) else { throw BenchError("cannot connect to \(socket)") }
        for (name, count) in counts {
            let request = Self.request(name)
            let reply = try client.roundTrip(request)
            if reply.contains(Array(#""error": {"#.utf8)) {
                log("\(name): \(String(decoding: reply, as: UTF8.self))")
                continue
            }
            let seconds = try client.pipelined(request, count: count)
            log("\(name): \(count) in \(format(seconds, decimals: 3)) s, \(format(Double(count) / seconds))/s")
        }
    }

    /// Starts the agent, measures it, and kills it.
    func measure(_ binary: String) throws(BenchError) -> RoundResult {
        var result = RoundResult()
        let agent = try RunningAgent(binary: binary)
        let client = try agent.connect()
        let ping = Self.request("guest-ping")
        _ = try client.roundTrip(ping)
        result.startupMs = Double(MonotonicClock.nanoseconds() - agent.spawnedAt) / 1e6
        result.rssStartKB = agent.status("VmRSS")
        result.sharedObjects = agent.sharedObjects()
        var commands = 1

        for (name, count) in counts {
            let request = Self.request(name)
            let reply = try client.roundTrip(request)
            commands += 1
            // An agent without the command answers CommandNotFound: that is "n/a", not a failure.
            if reply.starts(with: Array(#"{"error""#.utf8)) || reply.contains(Array(#""error": {"#.utf8)) { continue }
            let warmup = max(100, count / 20)
            _ = try client.pipelined(request, count: warmup)
            let seconds = try client.pipelined(request, count: count)
            result.throughput[name] = Double(count) / seconds
            commands += warmup + count
        }

        for _ in 0..<200 { _ = try client.timedRoundTrip(ping) }
        var samples: [UInt64] = []
        samples.reserveCapacity(sequentialSamples)
        for _ in 0..<sequentialSamples { samples.append(try client.timedRoundTrip(ping)) }
        commands += 200 + sequentialSamples
        samples.sort()
        result.p50Us = percentile(samples, 0.50) / 1000
        result.p99Us = percentile(samples, 0.99) / 1000

        while commands < peakAfter {
            let count = min(20_000, peakAfter - commands)
            _ = try client.pipelined(ping, count: count)
            commands += count
        }
        result.rssPeakKB = agent.status("VmHWM")

        // One big request (just under qemu-ga's 2 Mi-token limit, so both agents parse it
        // whole and answer one error), then a moment of quiet: how much memory stays behind.
        _ = try client.roundTrip(Self.bigRequest)
        commands += 1
        usleep(300_000)
        result.rssAfterBigRequestKB = agent.status("VmRSS")
        result.commands = commands
        return result
    }
}

extension Array where Element == UInt8 {
    func contains(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        for start in 0...(count - needle.count) where self[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
