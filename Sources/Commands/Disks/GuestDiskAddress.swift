import QGAProtocol

/// `GuestDiskAddress`: where a disk sits in the guest's hardware, so the host can map it back
/// to one of its own disk definitions (`virsh domfsinfo` prints the target it finds).
public struct GuestDiskAddress: Equatable, Sendable {
    public var pciController = PCIAddress.unknown
    public var busType = "unknown"
    public var bus: Int = 0
    public var target: Int = 0
    public var unit: Int = 0
    public var serial: String?
    public var dev: String?
    public var ccwAddress: CCWAddress?

    /// `GuestPCIAddress`; -1 everywhere means "not a PCI device".
    public struct PCIAddress: Equatable, Sendable {
        public var domain: Int
        public var bus: Int
        public var slot: Int
        public var function: Int
        public static let unknown = PCIAddress(domain: -1, bus: -1, slot: -1, function: -1)
    }

    /// `GuestCCWAddress` (s390x channel I/O).
    public struct CCWAddress: Equatable, Sendable {
        public var cssid: Int
        public var ssid: Int
        public var subchno: Int
        public var devno: Int
    }
}

extension GuestDiskAddress: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("pci-controller", pciController)
        json.member("bus-type", busType)
        json.member("bus", bus)
        json.member("target", target)
        json.member("unit", unit)
        json.member("serial", serial)
        json.member("dev", dev)
        json.member("ccw-address", ccwAddress)
        json.endObject()
    }
}

extension GuestDiskAddress.PCIAddress: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("domain", domain)
        json.member("bus", bus)
        json.member("slot", slot)
        json.member("function", function)
        json.endObject()
    }
}

extension GuestDiskAddress.CCWAddress: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("cssid", cssid)
        json.member("ssid", ssid)
        json.member("subchno", subchno)
        json.member("devno", devno)
        json.endObject()
    }
}
