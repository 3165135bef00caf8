import Glibc
import QGAProtocol
import SystemCalls

/// `guest-network-get-route`: the kernel's IPv4 and IPv6 routing tables (qemu-ga 9.1), from
/// `<procfs>/net/route` and `<procfs>/net/ipv6_route`.
///
/// Numbers are reported as qemu-ga reads them, so an IPv6 metric of `ffffffff` is -1, and the
/// IPv6 prefix lengths are decimal strings, as qemu-ga's schema has them. Two differences from
/// qemu-ga 10.x: IPv6 `flags` with the top bit set (`RTF_LOCAL`, 0x80200001) are that number,
/// where qemu-ga sign-extends them to 18446744071564165121; and a missing `ipv6_route` (IPv6
/// disabled) is not an error here.
public enum GuestNetworkGetRoute: GuestCommand {
    public static let name = "guest-network-get-route"

    public struct Route: Equatable {
        public var iface: String
        public var destination: String
        public var metric: Int32
        public var gateway: String?
        public var mask: String?
        public var irtt: Int32?
        public var flags: UInt64?
        public var refcnt: Int32?
        public var use: Int32?
        public var window: Int32?
        public var mtu: Int32?
        /// A string in qemu-ga's schema (`"64"`), as are `srcprefixlen`.
        public var desprefixlen: String?
        public var source: String?
        public var srcprefixlen: String?
        public var nexthop: String?
        public var version: Int
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [Route] {
        var routes: [Route] = []
        let ipv4 = context.paths.proc("net/route")
        do {
            routes += parseIPv4(try context.system.readFile(ipv4))
        } catch {
            throw openFailure(ipv4, error)
        }
        let ipv6 = context.paths.proc("net/ipv6_route")
        do {
            routes += parseIPv6(try context.system.readFile(ipv6))
        } catch where error.isNoSuchFile {
            context.logger.debug("no \(ipv6): IPv6 is disabled")
        } catch {
            throw openFailure(ipv6, error)
        }
        return routes
    }

    /// qemu-ga's text for a route file it could not read: `open("<path>"): <strerror>`. 11.x
    /// kept this form here while its other procfs and sysfs readers changed to
    /// `Could not open '<path>'`.
    static func openFailure(_ path: String, _ error: SystemCallError) -> QGAError {
        .system("open(\"\(path)\")", from: error)
    }

    /// `Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT`, after a header
    /// line; addresses are hex in network byte order as the host reads it (little-endian).
    static func parseIPv4(_ bytes: [UInt8]) -> [Route] {
        var routes: [Route] = []
        for fields in ProcText.lines(bytes).dropFirst() {
            guard fields.count >= 11, let destination = hex32(fields[1]), let gateway = hex32(fields[2]),
                let flags = hex32(fields[3]), let refcnt = ProcText.int32(fields[4]), let use = ProcText.int32(fields[5]),
                let metric = ProcText.int32(fields[6]), let mask = hex32(fields[7]), let mtu = ProcText.int32(fields[8]),
                let window = ProcText.int32(fields[9]), let irtt = ProcText.int32(fields[10])
            else { continue }
            routes.append(
                Route(
                    iface: ProcText.text(fields[0]), destination: dotted(UInt32(bitPattern: destination)), metric: metric,
                    gateway: dotted(UInt32(bitPattern: gateway)), mask: dotted(UInt32(bitPattern: mask)), irtt: irtt,
                    flags: UInt64(UInt32(bitPattern: flags)), refcnt: refcnt,
                    use: use, window: window, mtu: mtu, version: 4))
        }
        return routes
    }

    /// `dest dest_prefix source source_prefix next_hop metric refcnt use flags iface`, all hex.
    static func parseIPv6(_ bytes: [UInt8]) -> [Route] {
        var routes: [Route] = []
        for fields in ProcText.lines(bytes) {
            guard fields.count >= 10, let destination = ipv6(fields[0]), let destinationPrefix = hex32(fields[1]),
                let source = ipv6(fields[2]), let sourcePrefix = hex32(fields[3]), let nextHop = ipv6(fields[4]),
                let metric = hex32(fields[5]), let refcnt = hex32(fields[6]), let use = hex32(fields[7]),
                let flags = hex32(fields[8])
            else { continue }
            routes.append(
                Route(
                    iface: ProcText.text(fields[9]), destination: destination, metric: metric,
                    flags: UInt64(UInt32(bitPattern: flags)), refcnt: refcnt, use: use,
                    desprefixlen: String(destinationPrefix), source: source, srcprefixlen: String(sourcePrefix), nexthop: nextHop,
                    version: 6))
        }
        return routes
    }

    /// The little-endian hex word of `/proc/net/route` as a dotted quad.
    static func dotted(_ value: UInt32) -> String {
        "\(value & 0xFF).\(value >> 8 & 0xFF).\(value >> 16 & 0xFF).\(value >> 24)"
    }

    /// 32 hex digits as an IPv6 address.
    static func ipv6(_ field: ProcText.Field) -> String? {
        guard field.count == 32 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = field.startIndex
        while index < field.endIndex {
            guard let byte = ProcText.number(field[index..<index + 2], radix: 16) else { return nil }
            bytes.append(UInt8(byte))
            index += 2
        }
        return IPAddressText.format(bytes)
    }

    /// A hex field read into a C `int`, as qemu-ga's `%x` does (so `ffffffff` is -1).
    static func hex32(_ field: ProcText.Field) -> Int32? {
        guard let value = ProcText.number(field, radix: 16), value <= UInt64(UInt32.max) else { return nil }
        return Int32(bitPattern: UInt32(value))
    }
}

extension GuestNetworkGetRoute.Route: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("iface", iface)
        json.member("destination", destination)
        json.member("metric", metric)
        json.member("gateway", gateway)
        json.member("mask", mask)
        json.member("irtt", irtt)
        json.member("flags", flags)
        json.member("refcnt", refcnt)
        json.member("use", use)
        json.member("window", window)
        json.member("mtu", mtu)
        json.member("desprefixlen", desprefixlen)
        json.member("source", source)
        json.member("srcprefixlen", srcprefixlen)
        json.member("nexthop", nexthop)
        json.member("version", version)
        json.endObject()
    }
}
