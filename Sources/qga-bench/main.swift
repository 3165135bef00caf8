// qga-bench: qemu-ga-swift against QEMU's qemu-ga, in alternating rounds on this machine.
import Glibc
import SystemCalls
import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qga-bench",
        abstract: "Measure guest agents side by side over unix-listen, in alternating rounds.",
        discussion: """
            Every --agent is compared with each --reference. Each round starts every agent afresh \
            (A B A B ...) and measures startup to the first guest-ping reply, RSS, pipelined \
            throughput of guest-ping, guest-info and guest-get-vcpus, sequential guest-ping latency \
            and peak RSS after 100k commands. The table shows the median of the rounds.
            """)

    @Option(name: .customLong("agent"), help: ArgumentHelp("An agent to measure, as LABEL=PATH (repeatable).", valueName: "label=path"))
    var agents: [String] = []

    @Option(name: .customLong("reference"), help: ArgumentHelp("An agent to compare with, as LABEL=PATH (repeatable; default qemu-ga=/usr/sbin/qemu-ga).", valueName: "label=path"))
    var references: [String] = []

    @Option(help: "Rounds (at least 5 for a report).")
    var rounds = 5

    @Option(help: "Multiplies the request counts (1 = 50k pings, 10k guest-info, 20k guest-get-vcpus per round).")
    var scale = 1.0

    @Option(help: ArgumentHelp("Also write the report to this markdown file.", valueName: "path"))
    var output: String?

    @Option(help: ArgumentHelp("A line about how the agents were built, for the report.", valueName: "text"))
    var note: [String] = []

    @Option(help: ArgumentHelp("Pipeline only this command (repeatable; default guest-ping, guest-info, guest-get-vcpus).", valueName: "command"))
    var only: [String] = []

    @Option(help: ArgumentHelp("Only drive the agent already listening on this socket with the pipelined loads (for profiling it under valgrind or perf), then exit.", valueName: "socket"))
    var drive: String?

    @Option(help: ArgumentHelp("Scale section: time the polled commands at this size (the namespaces must already hold it; see scripts/bench-scale.sh) and append the figures to --scale-data.", valueName: "N"))
    var scaleSize: Int?

    @Option(help: ArgumentHelp("Scale section: the tab-separated figures file (appended by --scale-size, read by --scale-report).", valueName: "path"))
    var scaleData: String?

    @Option(help: ArgumentHelp("Scale section: a loop-mounted filesystem to freeze and thaw (repeatable; anything but the root of a loop-device mount is refused).", valueName: "mountpoint"))
    var freezeMountpoint: [String] = []

    @Option(help: ArgumentHelp("Scale section: mount FROM..<TO under DIR (DIR/N: even N a bind mount of /usr, odd N a tmpfs), with mount(2) directly (the mount command reads the whole mount table each time), then exit. Only inside the section's private mount namespace.", valueName: "from:to:dir"))
    var addMounts: String?

    @Flag(help: "Scale section: write the report (--output) and the chart's data (--chart-data) from --scale-data.")
    var scaleReport = false

    @Option(help: ArgumentHelp("Scale section: where --scale-report writes gnuplot's input.", valueName: "path"))
    var chartData: String?

    func validate() throws {
        if drive != nil || scaleReport || addMounts != nil { return }
        if agents.isEmpty { throw ValidationError("Give at least one --agent LABEL=PATH.") }
        if rounds < 1 { throw ValidationError("--rounds must be at least 1.") }
        for spec in agents + referenceSpecs where Self.split(spec) == nil {
            throw ValidationError("'\(spec)' is not LABEL=PATH.")
        }
    }

    var referenceSpecs: [String] { references.isEmpty ? ["qemu-ga=/usr/sbin/qemu-ga"] : references }

    static func split(_ spec: String) -> (String, String)? {
        guard let equals = spec.lastIndex(of: "=") else { return nil }
        let label = String(spec[..<equals])
        let path = String(spec[spec.index(after: equals)...])
        guard !label.isEmpty, access(path, X_OK) == 0 else { return nil }
        return (label, path)
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        if let drive {
            return try Workload(scale: scale, only: only).drive(socket: drive)
        }
        if scaleReport { return try writeScaleReport() }
        if let addMounts { return try addScaleMounts(addMounts) }
        if let scaleSize { return try runScale(size: scaleSize) }
        let measured = agents.compactMap(Self.split).map { AgentUnderTest(label: $0.0, path: $0.1) }
        let refs = referenceSpecs.compactMap(Self.split).map { AgentUnderTest(label: $0.0, path: $0.1) }
        let all = measured + refs
        let workload = Workload(scale: scale, only: only)
        let loadBefore = loadAverage()
        let started = MonotonicClock.nanoseconds()
        for round in 1...rounds {
            for agent in all {
                let result = try workload.measure(agent.path)
                agent.rounds.append(result)
                log("round \(round)/\(rounds) \(agent.label): startup \(format(result.startupMs, decimals: 2)) ms, "
                    + "ping \(format(result.throughput["guest-ping"]))/s, info \(format(result.throughput["guest-info"]))/s, "
                    + "vcpus \(format(result.throughput["guest-get-vcpus"]))/s, p50 \(format(result.p50Us, decimals: 1)) µs, "
                    + "RSS \(format(result.rssStartKB)) kB, peak \(format(result.rssPeakKB)) kB")
            }
        }
        let seconds = Double(MonotonicClock.nanoseconds() - started) / 1e9
        // Other work on the machine skews the figures; say how busy it was.
        let load = "load average (1 min) \(loadBefore) before the run, \(loadAverage()) after, on \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs"
        let report = Report(
            measured: measured, references: refs, rounds: rounds, workload: workload, seconds: seconds, notes: [load] + note)
        let text = report.markdown()
        print(text, terminator: "")
        if let output {
            try writeFile(output, text)
            log("wrote \(output)")
        }
    }
}

extension Bench {
    func runScale(size: Int) throws {
        guard let scaleData else { throw ValidationError("--scale-size needs --scale-data.") }
        let all = (agents + referenceSpecs).compactMap(Self.split).map { AgentUnderTest(label: $0.0, path: $0.1) }
        let directory = String(scaleData[..<(scaleData.lastIndex(of: "/") ?? scaleData.startIndex)])
        let run = ScaleRun(size: size, agents: all, freezeMountpoints: freezeMountpoint, replyDirectory: directory.isEmpty ? "." : directory)
        let figures = try run.run()
        let existing = readFile(scaleData) ?? ""
        try writeFile(scaleData, existing + figures.map { ScaleReport.line(size: size, $0) }.joined())
        for figure in figures {
            log("scale \(size): \(figure.agent) \(figure.name) \(format(figure.milliseconds, decimals: 3)) ms (\(figure.samples) samples)")
        }
    }

    func addScaleMounts(_ spec: String) throws {
        let parts = spec.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, let from = Int(parts[0]), let to = Int(parts[1]), parts[2].hasPrefix("/") else {
            throw ValidationError("--add-mounts takes FROM:TO:DIR.")
        }
        for n in from..<max(from, to) {
            let path = "\(parts[2])/\(n)"
            mkdir(path, 0o755)
            let status = n % 2 == 0
                ? mount("/usr", path, nil, UInt(MS_BIND), nil)
                : mount("qga-bench", path, "tmpfs", 0, "size=64k")
            guard status == 0 else { throw BenchError("mount \(path): errno \(errno)") }
        }
    }

    func writeScaleReport() throws {
        guard let scaleData, let tsv = readFile(scaleData) else { throw ValidationError("--scale-report needs a readable --scale-data.") }
        let report = ScaleReport(tsv: tsv, notes: machineDescription() + ["load average (1 min) \(loadAverage()) at the end, on \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs"] + note)
        let text = report.markdown()
        print(text, terminator: "")
        if let output { try writeFile(output, text) }
        if let chartData { try writeFile(chartData, report.chartData()) }
    }
}

func log(_ line: String) {
    try? FileDescriptor.standardError.writeAll(Array((line + "\n").utf8))
}

Bench.main()
