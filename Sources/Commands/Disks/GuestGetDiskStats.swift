import QGAProtocol

/// `guest-get-diskstats`: I/O counters of every block device from `<procfs>/diskstats`
/// (qemu-ga 7.1). Which members are present depends on how many fields the kernel prints:
/// 4 (old partition lines), 11, 15 (discard, 4.18) or 17 (flush, 5.5).
public enum GuestGetDiskStats: GuestCommand {
    public static let name = "guest-get-diskstats"

    public struct Info: Equatable {
        public var name: String
        public var major: UInt64
        public var minor: UInt64
        public var stats: Stats
    }

    public struct Stats: Equatable {
        public var readSectors: UInt64?
        public var readIOs: UInt64?
        public var readMerges: UInt64?
        public var writeSectors: UInt64?
        public var writeIOs: UInt64?
        public var writeMerges: UInt64?
        public var discardSectors: UInt64?
        public var discardIOs: UInt64?
        public var discardMerges: UInt64?
        public var flushIOs: UInt64?
        public var readTicks: UInt64?
        public var writeTicks: UInt64?
        public var discardTicks: UInt64?
        public var flushTicks: UInt64?
        public var iosPending: UInt64?
        public var totalTicks: UInt64?
        public var weightTicks: UInt64?
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [Info] {
        let path = context.paths.proc("diskstats")
        let bytes = try ProcText.read(path, context.system)
        var result: [Info] = []
        for fields in ProcText.lines(bytes) {
            guard fields.count >= 3, let major = ProcText.number(fields[0]), let minor = ProcText.number(fields[1])
            else { continue }
            let n = ProcText.leadingNumbers(fields.dropFirst(3))
            guard n.count >= 4 else { continue }
            var stats = Stats()
            if n.count == 4 {
                // Partitions on kernels before 2.6.25: reads, read sectors, writes, write sectors.
                stats.readIOs = n[0]
                stats.readSectors = n[1]
                stats.writeIOs = n[2]
                stats.writeSectors = n[3]
            }
            if n.count >= 11 {
                stats.readIOs = n[0]
                stats.readMerges = n[1]
                stats.readSectors = n[2]
                stats.readTicks = n[3]
                stats.writeIOs = n[4]
                stats.writeMerges = n[5]
                stats.writeSectors = n[6]
                stats.writeTicks = n[7]
                stats.iosPending = n[8]
                stats.totalTicks = n[9]
                stats.weightTicks = n[10]
            }
            if n.count >= 15 {
                stats.discardIOs = n[11]
                stats.discardMerges = n[12]
                stats.discardSectors = n[13]
                stats.discardTicks = n[14]
            }
            if n.count >= 17 {
                stats.flushIOs = n[15]
                stats.flushTicks = n[16]
            }
            result.append(Info(name: ProcText.text(fields[2]), major: major, minor: minor, stats: stats))
        }
        return result
    }
}

extension GuestGetDiskStats.Info: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("name", name)
        json.member("major", major)
        json.member("minor", minor)
        json.member("stats", stats)
        json.endObject()
    }
}

extension GuestGetDiskStats.Stats: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("read-sectors", readSectors)
        json.member("read-ios", readIOs)
        json.member("read-merges", readMerges)
        json.member("write-sectors", writeSectors)
        json.member("write-ios", writeIOs)
        json.member("write-merges", writeMerges)
        json.member("discard-sectors", discardSectors)
        json.member("discard-ios", discardIOs)
        json.member("discard-merges", discardMerges)
        json.member("flush-ios", flushIOs)
        json.member("read-ticks", readTicks)
        json.member("write-ticks", writeTicks)
        json.member("discard-ticks", discardTicks)
        json.member("flush-ticks", flushTicks)
        json.member("ios-pgr", iosPending)
        json.member("total-ticks", totalTicks)
        json.member("weight-ticks", weightTicks)
        json.endObject()
    }
}
