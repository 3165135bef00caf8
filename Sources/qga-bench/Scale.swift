import Glibc
import QGAProtocol
import SystemCalls

/// The scale section of `make bench`: the commands hosts poll every few seconds, timed on each
/// agent in the namespaces `scripts/bench-scale.sh` built (N extra mounts, N veth interfaces),
/// with the replies compared, plus the kernel's own read of `/proc/self/mountinfo` and
/// freeze+thaw of the bench's loop-mounted filesystems.
///
/// One call measures one size and appends its figures to a tab-separated file
/// (`size agent figure milliseconds samples`) that ``ScaleReport`` turns into the table and
/// the chart's data.
struct ScaleRun {
    let size: Int
    let agents: [AgentUnderTest]
    /// Loop-mounted filesystems to freeze with `guest-fsfreeze-freeze-list` (never all mounts).
    let freezeMountpoints: [String]
    /// Where mismatching replies are written for a reader to diff.
    let replyDirectory: String

    /// The commands hosts poll (KubeVirt every 5 s), in the order they are timed.
    static let polledCommands = [
        "guest-get-fsinfo", "guest-network-get-interfaces", "guest-get-vcpus", "guest-fsfreeze-status",
    ]
    static let freezeFigure = "guest-fsfreeze-freeze-list"
    static let thawFigure = "guest-fsfreeze-thaw"
    static let kernelLabel = "kernel"
    static let idleBeforeFreezeMicroseconds: UInt32 = 200_000
    static let passes = 3
    static let mountinfoFigure = "read /proc/self/mountinfo"
    /// Figures named with this prefix are CPU time (ms per reply), the others wall time.
    static let cpuPrefix = "cpu "

    /// This thread's CPU time (user and kernel), in nanoseconds.
    static func threadCPUNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// One timed figure: its median and how many samples it took.
    struct Figure {
        var agent: String
        var name: String
        var milliseconds: Double
        var samples: Int
    }

    /// Samples a call until it has `minimum` samples and `budget` seconds are spent (or
    /// `maximum` samples); one sample when a single call takes longer than the budget
    /// (qemu-ga's interfaces at 4,000 take seconds each).
    static func sample(minimum: Int = 5, maximum: Int = 200, budget: Double = 0.4,
                       _ body: () throws(BenchError) -> Void) throws(BenchError) -> [Double] {
        var samples: [Double] = []
        let start = MonotonicClock.nanoseconds()
        while samples.count < maximum {
            let t0 = MonotonicClock.nanoseconds()
            try body()
            samples.append(Double(MonotonicClock.nanoseconds() - t0) / 1e6)
            let spent = Double(MonotonicClock.nanoseconds() - start) / 1e9
            if spent >= budget && (samples.count >= minimum || spent >= 2 * budget) { break }
        }
        return samples
    }

    func run() throws(BenchError) -> [Figure] {
        try checkFreezeTargets()
        var figures: [Figure] = []
        let cpuBefore = Self.threadCPUNanoseconds()
        let kernel = try Self.sample { () throws(BenchError) in
            guard readWhole("/proc/self/mountinfo") != nil else { throw BenchError("cannot read /proc/self/mountinfo") }
        }
        let kernelCPU = Double(Self.threadCPUNanoseconds() - cpuBefore) / 1e6 / Double(kernel.count)
        figures.append(Figure(agent: Self.kernelLabel, name: Self.mountinfoFigure, milliseconds: median(kernel) ?? 0, samples: kernel.count))
        figures.append(Figure(agent: Self.kernelLabel, name: Self.cpuPrefix + Self.mountinfoFigure, milliseconds: kernelCPU, samples: kernel.count))
        let lines = (readWhole("/proc/self/mountinfo") ?? []).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        log("scale \(size): mountinfo \(lines) lines, kernel read \(format(median(kernel), decimals: 3)) ms")

        // Every agent in turn, three times (A B C A B C A B C), so a burst of load elsewhere
        // hits all of them alike.
        var samples: [String: [String: [Double]]] = [:]
        var replies: [String: [String: JSONValue]] = [:]
        for _ in 0..<Self.passes {
            for agent in agents {
                let running = try RunningAgent(binary: agent.path)
                let client = try running.connect()
                for command in Self.polledCommands {
                    // A call that takes seconds (qemu-ga's interfaces at thousands) is timed
                    // once, its first call, so the section stays within minutes.
                    if (samples[agent.label]?[command].flatMap { median($0) } ?? 0) > 1000 { continue }
                    let request = Workload.request(command)
                    var cpu = running.cpuNanoseconds()
                    let t0 = MonotonicClock.nanoseconds()
                    let first = try client.roundTrip(request)
                    let firstMs = Double(MonotonicClock.nanoseconds() - t0) / 1e6
                    replies[agent.label, default: [:]][command] = try parse(first, agent: agent.label, command: command)
                    if firstMs > 1000 {
                        samples[agent.label, default: [:]][command, default: []].append(firstMs)
                        samples[agent.label, default: [:]][Self.cpuPrefix + command, default: []].append(Double(running.cpuNanoseconds() - cpu) / 1e6)
                        continue
                    }
                    cpu = running.cpuNanoseconds()
                    let taken = try Self.sample { () throws(BenchError) in _ = try client.roundTrip(request) }
                    samples[agent.label, default: [:]][command, default: []] += taken
                    // The agent's own CPU time per reply (all its threads, user and kernel):
                    // what the guest pays, and far steadier than wall time on a busy machine.
                    samples[agent.label, default: [:]][Self.cpuPrefix + command, default: []].append(
                        Double(running.cpuNanoseconds() - cpu) / 1e6 / Double(taken.count))
                }
                if !freezeMountpoints.isEmpty {
                    let (freeze, thaw) = try freezeAndThaw(client, running, agent: agent.label)
                    samples[agent.label, default: [:]][Self.freezeFigure, default: []] += freeze.wall
                    samples[agent.label, default: [:]][Self.thawFigure, default: []] += thaw.wall
                    samples[agent.label, default: [:]][Self.cpuPrefix + Self.freezeFigure, default: []] += freeze.cpu
                    samples[agent.label, default: [:]][Self.cpuPrefix + Self.thawFigure, default: []] += thaw.cpu
                }
            }
        }
        for agent in agents {
            for (name, values) in samples[agent.label] ?? [:] {
                figures.append(Figure(agent: agent.label, name: name, milliseconds: median(values) ?? 0, samples: values.count))
            }
        }
        try compare(replies)
        return figures
    }

    /// Freeze-list of the bench's loop mounts, then thaw; each reply must count all of them.
    private func freezeAndThaw(_ client: BenchClient, _ running: RunningAgent, agent: String) throws(BenchError) -> (
        freeze: (wall: [Double], cpu: [Double]), thaw: (wall: [Double], cpu: [Double])
    ) {
        var members: [JSONValue] = []
        for mountpoint in freezeMountpoints { members.append(.string(mountpoint)) }
        let arguments: JSONValue = ["mountpoints": .array(members)]
        let freeze = Array(#"{"execute": "guest-fsfreeze-freeze-list", "arguments": \#(arguments.serialized)}"#.utf8)
        let thaw = Workload.request("guest-fsfreeze-thaw")
        let expected = Array(#"{"return": \#(freezeMountpoints.count)}"#.utf8)
        var freezeTimes: [Double] = [], freezeCPU: [Double] = []
        var thawTimes: [Double] = [], thawCPU: [Double] = []
        // Once per pass: each cold freeze of tens of filesystems takes a second or two.
        for _ in 0..<1 {
            // A real freeze comes minutes after the last thaw. Right after one, the kernel's
            // per-superblock freeze locks are still in their fast state and FIFREEZE skips the
            // RCU grace periods it otherwise waits for, so a back-to-back freeze would time how
            // quickly an agent answers the thaw rather than the freeze. Idle first (untimed).
            usleep(Self.idleBeforeFreezeMicroseconds)
            var cpu = running.cpuNanoseconds()
            var t0 = MonotonicClock.nanoseconds()
            let frozen = try client.roundTrip(freeze)
            freezeTimes.append(Double(MonotonicClock.nanoseconds() - t0) / 1e6)
            freezeCPU.append(Double(running.cpuNanoseconds() - cpu) / 1e6)
            cpu = running.cpuNanoseconds()
            t0 = MonotonicClock.nanoseconds()
            let thawed = try client.roundTrip(thaw)
            thawTimes.append(Double(MonotonicClock.nanoseconds() - t0) / 1e6)
            thawCPU.append(Double(running.cpuNanoseconds() - cpu) / 1e6)
            guard frozen == expected, thawed == expected else {
                throw BenchError("\(agent): freeze replied \(String(decoding: frozen, as: UTF8.self)), thaw \(String(decoding: thawed, as: UTF8.self)); expected \(freezeMountpoints.count) each")
            }
        }
        return ((freezeTimes, freezeCPU), (thawTimes, thawCPU))
    }

    /// Refuses to freeze anything but a loop device's filesystem (major 7) mounted at the
    /// given directory: never `/` or a filesystem of the host.
    private func checkFreezeTargets() throws(BenchError) {
        for mountpoint in freezeMountpoints {
            var info = stat()
            var parent = stat()
            guard mountpoint != "/", stat(mountpoint, &info) == 0, stat(mountpoint + "/..", &parent) == 0 else {
                throw BenchError("refusing to freeze \(mountpoint): not a directory the bench mounted")
            }
            // Linux's dev_t: the major number in bits 8-19 and 32-43.
            let major = (info.st_dev >> 8) & 0xFFF | (info.st_dev >> 32) & ~0xFFF
            guard major == 7, info.st_dev != parent.st_dev else {
                throw BenchError("refusing to freeze \(mountpoint): not the root of a loop-device mount (major \(major))")
            }
        }
    }

    private func parse(_ line: [UInt8], agent: String, command: String) throws(BenchError) -> JSONValue {
        let parser = RequestStreamParser()
        var value: JSONValue?
        (line + [0x0A]).withUnsafeBytes { bytes in
            parser.feed(bytes) { event in
                if case .value(let parsed) = event { value = parsed }
            }
        }
        guard let value, let result = value["return"] else {
            throw BenchError("\(agent) \(command): not a return value: \(String(decoding: line.prefix(300), as: UTF8.self))")
        }
        return result
    }

    /// Every agent's reply must equal the first agent's, once what legitimately varies between
    /// two calls (filesystem usage while the machine works) and qemu-ga 7.2's known gaps are
    /// set aside (see ``ReplyComparison``).
    private func compare(_ replies: [String: [String: JSONValue]]) throws(BenchError) {
        guard let first = agents.first, let ours = replies[first.label] else { return }
        var mismatches: [String] = []
        for agent in agents.dropFirst() {
            for command in Self.polledCommands {
                guard let theirs = replies[agent.label]?[command], let mine = ours[command] else { continue }
                let comparison = ReplyComparison(command: command)
                let a = comparison.normalized(mine), b = comparison.normalized(theirs)
                if a == b { continue }
                let stem = "\(replyDirectory)/\(size)-\(command)"
                try writeFile("\(stem)-\(slug(first.label)).json", a.serialized + "\n")
                try writeFile("\(stem)-\(slug(agent.label)).json", b.serialized + "\n")
                mismatches.append("\(command): \(first.label) and \(agent.label) differ (\(stem)-*.json)")
            }
        }
        if !mismatches.isEmpty { throw BenchError("replies differ at size \(size):\n" + mismatches.joined(separator: "\n")) }
        log("scale \(size): replies equal (\(Self.polledCommands.joined(separator: ", ")))")
    }

    private func slug(_ label: String) -> String {
        String(label.map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "-" })
    }

    /// `path` read whole with one large buffer (a few read calls): what it costs the kernel
    /// to produce the text.
    private func readWhole(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        let ok = ScaleRun.readBuffer.withUnsafeMutableBytes { buffer -> Bool in
            while true {
                let n = read(fd, buffer.baseAddress, buffer.count)
                if n < 0 { return false }
                if n == 0 { return true }
                result.append(contentsOf: buffer[0..<n])
            }
        }
        return ok ? result : nil
    }

    nonisolated(unsafe) private static var readBuffer = [UInt8](repeating: 0, count: 4 << 20)
}

/// What two replies may differ in and still count as the same answer.
///
/// Member order is GLib's hash order in qemu-ga, so objects compare by key. The rest are the
/// deliberate differences listed in the WireProtocol article, and filesystem usage:
/// - `guest-get-vcpus`: ours is sorted by `logical-id`, qemu-ga's in directory order.
/// - `guest-get-fsinfo`: usage zeroed (the root filesystem fills while other work runs between
///   two calls); a disk's `serial` dropped (ours reads sysfs, qemu-ga only udev's database,
///   absent here); `total-bytes-privileged` (qemu-ga 9.1) dropped and a device listed once, at
///   its first mount, as 10.x does (7.2 lists every bind mount; the reply is newest first, so
///   the last entry of a device is kept).
struct ReplyComparison {
    let command: String

    func normalized(_ reply: JSONValue) -> JSONValue {
        var value = Self.sortedMembers(reply)
        if command == "guest-get-vcpus", case .array(let cpus) = value {
            value = .array(cpus.sorted { Self.integer($0["logical-id"]) < Self.integer($1["logical-id"]) })
        }
        guard command == "guest-get-fsinfo", case .array(let filesystems) = value else { return value }
        var kept: [JSONValue] = []
        var seen: Set<String> = []
        for filesystem in filesystems.reversed() {
            guard case .object(let members) = filesystem, case .string(let name)? = filesystem["name"] else { continue }
            guard seen.insert(name).inserted else { continue }
            kept.append(.object(members.compactMap { member in
                switch member.key {
                case "total-bytes-privileged": return nil
                case "used-bytes", "total-bytes": return JSONMember(member.key, .int(0))
                case "disk":
                    guard case .array(let disks) = member.value else { return member }
                    return JSONMember("disk", .array(disks.map { disk in
                        guard case .object(let fields) = disk else { return disk }
                        return .object(fields.filter { $0.key != "serial" })
                    }))
                default: return member
                }
            }))
        }
        return .array(kept.reversed())
    }

    static func integer(_ value: JSONValue?) -> Int64 {
        if case .int(let n)? = value { return n }
        return -1
    }

    static func sortedMembers(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.map { JSONMember($0.key, sortedMembers($0.value)) }.sorted { $0.key < $1.key })
        case .array(let elements):
            return .array(elements.map(sortedMembers))
        default:
            return value
        }
    }
}
