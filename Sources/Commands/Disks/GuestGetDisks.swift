import QGAProtocol

/// `guest-get-disks`: the guest's disks and their partitions (`virsh guestinfo --disk`),
/// from `<sysfs>/block`.
///
/// Empty devices (size 0: unused loop devices, empty CD drives) are left out. A disk has
/// its controller address (not for virtual devices), its `dependencies` (the devices in its
/// `slaves/`, for device-mapper and md) and, for device-mapper, its `alias` (the dm name);
/// each partition depends on its disk. Disks come sorted by kernel name, each followed by
/// its partitions (qemu-ga lists them in reverse directory order). An NVMe disk also has
/// `smart`, its controller's health log (``NVMeSmart``), when the admin command succeeds (it
/// needs CAP_SYS_ADMIN); otherwise the member is left out, as qemu-ga does.
public enum GuestGetDisks: GuestCommand {
    public static let name = "guest-get-disks"

    public struct Disk: Equatable {
        public var name: String
        public var partition: Bool
        public var dependencies: [String]?
        public var address: GuestDiskAddress?
        public var alias: String?
        public var smart: NVMeSmart?
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [Disk] {
        let root = context.paths.sys("block")
        let system = context.system
        let entries: [String]
        do {
            entries = try system.listDirectory(root)
        } catch {
            throw QGAError.system("Can't open directory \"\(root)\"", from: error)
        }
        let topology = BlockTopology(context: context)
        var result: [Disk] = []
        for entry in naturalSorted(entries) {
            let directory = root + "/" + entry
            guard let size = try? system.readText(directory + "/size"), size != "0" else { continue }
            guard let resolved = try? system.resolvePath(directory), let node = topology.deviceNode(resolved) else {
                context.logger.debug("Failed to get device name for syspath: \(directory)")
                continue
            }
            var disk = Disk(name: node, partition: false)
            if let alias = try? system.readText(directory + "/dm/name"), !alias.isEmpty { disk.alias = alias }
            if !topology.relative(resolved).contains(text: "/devices/virtual/block/") {
                disk.address = topology.realDisk(resolved)
            }
            if disk.address?.busType == "nvme" { disk.smart = nvmeSmart(node, context: context) }
            if let slaves = try? system.listDirectory(directory + "/slaves") {
                disk.dependencies = naturalSorted(slaves).compactMap { slave in
                    (try? system.resolvePath(directory + "/slaves/" + slave)).flatMap(topology.deviceNode)
                }
            }
            result.append(disk)
            for name in naturalSorted(partitionNames(of: entry, in: resolved, system)) {
                guard let partition = topology.deviceNode(resolved + "/" + name) else { continue }
                result.append(Disk(name: partition, partition: true, dependencies: [node]))
            }
        }
        return result
    }

    /// The health log of the NVMe disk `node`, nil (logged) when it cannot be read.
    static func nvmeSmart(_ node: String, context: CommandContext) -> NVMeSmart? {
        do {
            let page = try context.system.nvmeHealthLog(node)
            if let smart = NVMeSmart(healthLog: page) { return smart }
            context.logger.debug("Failed to get smart: \(node): a log page of \(page.count) bytes")
        } catch {
            context.logger.debug("Failed to get smart: \(node): \(QGAError(error).desc)")
        }
        return nil
    }

    /// Subdirectories named `<disk><digit>...` or `<disk>p<digit>...` (qemu-ga's test).
    static func partitionNames(of disk: String, in directory: String, _ system: any GuestFiles) -> [String] {
        let names = (try? system.listDirectory(directory)) ?? []
        return names.filter { name in
            guard name.hasPrefix(disk) else { return false }
            var rest = name.dropFirst(disk.count)
            if rest.first == "p" { rest = rest.dropFirst() }
            guard let first = rest.first, first.isASCII, first.isNumber else { return false }
            return system.isDirectory(directory + "/" + name)
        }
    }

    /// Names compared run by run: digits numerically, the rest as text (`vda2` < `vda10`,
    /// `dm-2` < `dm-10`).
    public static func naturalOrder(_ a: String, _ b: String) -> Bool {
        NaturalKey(a) < NaturalKey(b)
    }

    /// `names` in ``naturalOrder(_:_:)``, each key computed once.
    static func naturalSorted(_ names: [String]) -> [String] {
        names.map { (NaturalKey($0), $0) }.sorted { $0.0 < $1.0 }.map { $0.1 }
    }

    /// A name cut into runs of digits (compared as numbers) and of other bytes.
    struct NaturalKey: Comparable {
        enum Run: Comparable {
            case text([UInt8])
            case number(UInt64)
            static func < (a: Run, b: Run) -> Bool {
                switch (a, b) {
                case (.number(let x), .number(let y)): return x < y
                case (.text(let x), .text(let y)): return x.lexicographicallyPrecedes(y)
                case (.number, .text): return true  // digits sort before letters, as in ASCII
                case (.text, .number): return false
                }
            }
        }

        let runs: [Run]
        let name: String

        init(_ name: String) {
            self.name = name
            var runs: [Run] = []
            var current: [UInt8] = []
            var digits = false
            func flush() {
                guard !current.isEmpty else { return }
                if digits, let value = ProcText.number(current[...]) {
                    runs.append(.number(value))
                } else {
                    runs.append(.text(current))
                }
                current = []
            }
            for byte in name.utf8 {
                let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                if isDigit != digits { flush() }
                digits = isDigit
                current.append(byte)
            }
            flush()
            self.runs = runs
        }

        static func < (a: NaturalKey, b: NaturalKey) -> Bool {
            if a.runs != b.runs { return a.runs.lexicographicallyPrecedes(b.runs) }
            return a.name < b.name
        }
    }
}

extension GuestGetDisks.Disk: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("name", name)
        json.member("partition", partition)
        json.member("dependencies", dependencies)
        json.member("address", address)
        json.member("alias", alias)
        json.member("smart", smart)
        json.endObject()
    }
}
