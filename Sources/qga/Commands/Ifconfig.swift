import ArgumentParser
import QGAProtocol

/// `qga ifconfig`: the guest's interfaces and addresses (guest-network-get-interfaces), printed
/// as qemu-ga-client's `ifconfig` prints them.
struct Ifconfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the guest's network interfaces and addresses (guest-network-get-interfaces).",
        discussion: "Per interface: NAME:, then a tab-indented line per address (inet A  netmask M, inet6 A  prefixlen P) and the hardware address (ether MAC, unless it is all zeros).")

    @ParentCommand var qga: QGA

    func run() throws {
        try qga.callAndPrint("guest-network-get-interfaces") { result in
            for interface in result.arrayValue ?? [] {
                print(cellText(interface["name"]) + ":")
                for address in interface["ip-addresses"]?.arrayValue ?? [] {
                    let text = cellText(address["ip-address"])
                    let prefix = address["prefix"]?.int64Value ?? 0
                    switch address["ip-address-type"]?.stringValue {
                    case "ipv4": print("\tinet \(text)  netmask \(Self.netmask(prefix))")
                    case "ipv6": print("\tinet6 \(text)  prefixlen \(prefix)")
                    default: continue
                    }
                }
                if let hardware = interface["hardware-address"]?.stringValue, hardware != "00:00:00:00:00:00" {
                    print("\tether \(hardware)")
                }
            }
        }
    }

    /// An IPv4 prefix length as a dotted netmask: 24 → 255.255.255.0.
    static func netmask(_ prefix: Int64) -> String {
        let bits = UInt32(truncatingIfNeeded: max(0, min(32, prefix)))
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
        return [24, 16, 8, 0].map { String((mask >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }
}
