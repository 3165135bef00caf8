import Glibc
import SystemCalls

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func makeTempDir() throws(BenchError) -> String {
    var template = Array("/tmp/qga-bench-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
        return String(cString: result)
    }
    guard let made else { throw BenchError("mkdtemp: errno \(errno)") }
    return made
}

/// Starts `argv` with stdin, stdout and stderr on /dev/null.
func spawn(_ argv: [String], environment: [String]) throws(BenchError) -> pid_t {
    do {
        return try ChildProcess.spawn(SpawnRequest(path: argv[0], arguments: argv, environment: environment))
    } catch {
        throw BenchError("cannot start \(argv[0]): \(error)")
    }
}

/// Runs `argv` to completion; true when it exited 0.
func runToCompletion(_ argv: [String]) -> Bool {
    guard let pid = try? spawn(argv, environment: ["PATH=/usr/bin:/bin"]) else { return false }
    return (try? ChildProcess.wait(pid)) == .exited(0)
}

func readFile(_ path: String) -> String? {
    guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return nil }
    defer { try? fd.close() }
    return (try? fd.readToEnd(chunkSize: 65536)).map { String(decoding: $0, as: UTF8.self) }
}

func writeFile(_ path: String, _ text: String) throws(BenchError) {
    do {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o644)
        defer { try? fd.close() }
        try fd.writeAll(Array(text.utf8))
    } catch {
        throw BenchError("cannot write \(path): \(error)")
    }
}

func fileSize(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_size)
}

/// The size of a stripped copy of `path` (the file itself is left alone).
func strippedSize(_ path: String) -> Int? {
    guard let dir = try? makeTempDir() else { return nil }
    let copy = dir + "/stripped"
    defer {
        unlink(copy)
        rmdir(dir)
    }
    guard runToCompletion(["/usr/bin/strip", "-o", copy, path]) else { return nil }
    return fileSize(copy)
}

func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return Double(sorted[max(index, 0)])
}

/// `1234567.8` → "1,234,568"; smaller numbers keep `decimals` digits.
func format(_ value: Double?, decimals: Int = 0) -> String {
    guard let value else { return "n/a" }
    if decimals == 0 {
        let whole = Int64(value.rounded())
        var digits = Array(String(whole.magnitude))
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: index)
            index -= 3
        }
        return (whole < 0 ? "-" : "") + String(digits)
    }
    var factor = 1.0
    for _ in 0..<decimals { factor *= 10 }
    let scaled = Int64((value * factor).rounded())
    let whole = scaled / Int64(factor)
    var fraction = String(scaled.magnitude % UInt64(factor))
    while fraction.count < decimals { fraction = "0" + fraction }
    return "\(whole).\(fraction)"
}

/// What the machine is: for the report, since numbers mean little without it.
func machineDescription() -> [String] {
    var cpu = "unknown CPU"
    if let info = readFile("/proc/cpuinfo"),
        let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
        let colon = line.firstIndex(of: ":")
    {
        cpu = String(line[line.index(after: colon)...].drop { $0 == " " })
    }
    var name = utsname()
    uname(&name)
    let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    var text = [CChar](repeating: 0, count: 64)
    strftime(&text, text.count, "%Y-%m-%d %H:%M UTC", &parts)
    let date = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var memory = "?"
    if let meminfo = readFile("/proc/meminfo"), let line = meminfo.split(separator: "\n").first,
        let kb = Double(String(line.filter { $0 >= "0" && $0 <= "9" }))
    {
        memory = format(kb / 1024 / 1024, decimals: 1) + " GiB"
    }
    return [
        "date: \(date)",
        "CPU: \(cpu), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) online (nproc)",
        "memory: \(memory)",
        "kernel: \(release)",
    ]
}

/// The 1-minute load average from /proc/loadavg.
func loadAverage() -> String {
    guard let text = readFile("/proc/loadavg"), let first = text.split(separator: " ").first else { return "?" }
    return String(first)
}

/// The names in a directory, without "." and "..".
func listDirectory(_ path: String) -> [String] {
    (try? Directory.names(path)) ?? []
}
