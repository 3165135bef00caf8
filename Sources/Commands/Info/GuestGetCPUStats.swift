import QGAProtocol

/// `guest-get-cpustats`: per-CPU time counters from `<procfs>/stat` (qemu-ga 7.1), in
/// milliseconds (`virsh guestinfo` does not show them; monitoring tools poll them).
///
/// The summary `cpu` line is dropped; each `cpuN` line gives user, nice, system and idle,
/// and iowait, irq, softirq, steal, guest and guestnice when the kernel prints them.
public enum GuestGetCPUStats: GuestCommand {
    public static let name = "guest-get-cpustats"

    /// `GuestCpuStats`, a union whose only Linux variant is `{"type": "linux", ...}`.
    public struct Stats: Equatable {
        public var type = "linux"
        public var cpu: Int
        public var user: UInt64
        public var nice: UInt64
        public var system: UInt64
        public var idle: UInt64
        public var iowait: UInt64?
        public var irq: UInt64?
        public var softirq: UInt64?
        public var steal: UInt64?
        public var guest: UInt64?
        public var guestnice: UInt64?
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [Stats] {
        let path = context.paths.proc("stat")
        let bytes = try ProcText.read(path, context.system)
        let ticks = UInt64(max(context.system.clockTicksPerSecond(), 1))
        // ticks * 1000 / hz without overflowing for large counters; saturates where even the
        // result does not fit (qemu-ga's unsigned long wraps around instead).
        func ms(_ value: UInt64) -> UInt64 {
            let (whole, overflow) = (value / ticks).multipliedReportingOverflow(by: 1000)
            let (sum, carry) = whole.addingReportingOverflow(value % ticks * 1000 / ticks)
            return overflow || carry ? .max : sum
        }
        var result: [Stats] = []
        for fields in ProcText.lines(bytes) {
            guard let name = fields.first, ProcText.hasPrefix(name, "cpu"), name.count > 3,
                let cpu = ProcText.number(name.dropFirst(3)), cpu <= UInt64(Int32.max)
            else { continue }
            let n = ProcText.leadingNumbers(fields.dropFirst())
            guard n.count >= 4 else {
                // qemu-ga stops here too ("Parsing cpu stat ... failed").
                context.logger.audit("Parsing cpu stat from \(path) failed, see \"man proc\"")
                break
            }
            func at(_ i: Int) -> UInt64? { i < n.count ? ms(n[i]) : nil }
            result.append(
                Stats(
                    cpu: Int(cpu), user: ms(n[0]), nice: ms(n[1]), system: ms(n[2]), idle: ms(n[3]), iowait: at(4),
                    irq: at(5), softirq: at(6), steal: at(7), guest: at(8), guestnice: at(9)))
        }
        return result
    }
}

extension GuestGetCPUStats.Stats: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("type", type)
        json.member("cpu", cpu)
        json.member("user", user)
        json.member("nice", nice)
        json.member("system", system)
        json.member("idle", idle)
        json.member("iowait", iowait)
        json.member("irq", irq)
        json.member("softirq", softirq)
        json.member("steal", steal)
        json.member("guest", guest)
        json.member("guestnice", guestnice)
        json.endObject()
    }
}
