import QGAProtocol

/// `guest-network-get-interfaces`: every network interface with its hardware address, its
/// IPv4/IPv6 addresses and prefix lengths, and traffic counters (`virsh domifaddr --source
/// agent`, `virsh guestinfo --interface`).
///
/// Interfaces come in `getifaddrs(3)` order. The hardware address is what
/// `ioctl(SIOCGIFHWADDR)` reports (zeros for loopback); an interface without one leaves it
/// out. Counters come from `<procfs>/net/dev` and, as in qemu-ga, only for interfaces that
/// have an address.
public enum GuestNetworkGetInterfaces: GuestCommand {
    public static let name = "guest-network-get-interfaces"

    public struct Interface: Equatable {
        public var name: String
        public var hardwareAddress: String?
        public var ipAddresses: [IPAddress]?
        public var statistics: Statistics?
    }

    public struct IPAddress: Equatable {
        public var ipAddress: String
        /// `ipv4` or `ipv6`.
        public var ipAddressType: String
        public var prefix: Int
    }

    public struct Statistics: Equatable {
        public var rxBytes: UInt64
        public var rxPackets: UInt64
        public var rxErrs: UInt64
        public var rxDropped: UInt64
        public var txBytes: UInt64
        public var txPackets: UInt64
        public var txErrs: UInt64
        public var txDropped: UInt64
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [Interface] {
        let entries = try worded(context.system.interfaceAddresses())
        var interfaces: [Interface] = []
        var index: [String: Int] = [:]
        var hardwareTried: Set<String> = []
        var counters: [String: Statistics]?
        for entry in entries {
            let position: Int
            if let known = index[entry.name] {
                position = known
            } else {
                position = interfaces.count
                index[entry.name] = position
                interfaces.append(Interface(name: entry.name))
            }
            if !hardwareTried.contains(entry.name) {
                hardwareTried.insert(entry.name)
                // None (or the interface just went away) is not an error; no socket is.
                let hardware = try worded(context.system.hardwareAddress(ofInterface: entry.name))
                interfaces[position].hardwareAddress = hardware.map(IPAddressText.hardware)
            }
            let type: String
            let bytes: [UInt8]
            switch entry.address {
            case .ipv4(let b): (type, bytes) = ("ipv4", b)
            case .ipv6(let b): (type, bytes) = ("ipv6", b)
            case .none, .other: continue
            }
            guard let text = IPAddressText.format(bytes) else { continue }
            let address = IPAddress(
                ipAddress: text, ipAddressType: type, prefix: entry.netmask.map(IPAddressText.prefixLength) ?? 0)
            interfaces[position].ipAddresses = (interfaces[position].ipAddresses ?? []) + [address]
            if interfaces[position].statistics == nil {
                if counters == nil { counters = loadCounters(context) }
                interfaces[position].statistics = counters?[entry.name]
            }
        }
        return interfaces
    }

    /// `<procfs>/net/dev` by interface name; empty when it cannot be read.
    static func loadCounters(_ context: CommandContext) -> [String: Statistics] {
        let path = context.paths.proc("net/dev")
        guard let bytes = try? context.system.readFile(path) else {
            context.logger.debug("failed to open network stats \(path)")
            return [:]
        }
        var result: [String: Statistics] = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = ProcText.text(line[..<colon]).trimmingWhitespace()
            let n = ProcText.leadingNumbers(ProcText.fields(line[(colon + 1)...])[...])
            guard !name.isEmpty, n.count >= 16 else { continue }
            result[name] = Statistics(
                rxBytes: n[0], rxPackets: n[1], rxErrs: n[2], rxDropped: n[3],
                txBytes: n[8], txPackets: n[9], txErrs: n[10], txDropped: n[11])
        }
        return result
    }
}

extension GuestNetworkGetInterfaces.Interface: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("name", name)
        json.member("hardware-address", hardwareAddress)
        json.member("ip-addresses", ipAddresses)
        json.member("statistics", statistics)
        json.endObject()
    }
}

extension GuestNetworkGetInterfaces.IPAddress: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("ip-address", ipAddress)
        json.member("ip-address-type", ipAddressType)
        json.member("prefix", prefix)
        json.endObject()
    }
}

extension GuestNetworkGetInterfaces.Statistics: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("rx-bytes", rxBytes)
        json.member("rx-packets", rxPackets)
        json.member("rx-errs", rxErrs)
        json.member("rx-dropped", rxDropped)
        json.member("tx-bytes", txBytes)
        json.member("tx-packets", txPackets)
        json.member("tx-errs", txErrs)
        json.member("tx-dropped", txDropped)
        json.endObject()
    }
}
