import Commands
import Foundation
import Testing

/// guest-network-get-interfaces over fake getifaddrs/SIOCGIFHWADDR answers and a fake
/// `proc/net/dev`; guest-network-get-route over fake `proc/net/route` and `ipv6_route`.
@Suite struct NetworkTests {
    let harness: InfoHarness
    init() throws { harness = try InfoHarness() }

    static let netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs colls carrier compressed
            lo:   37790    1222    0    0    0     0          0         0    37790    1222    0    0    0     0       0          0
          eth0: 324922935 7399    1    2    0     0          0         0   315701    4245    3    4    0     0       0          0
          ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0

        """

    static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> InterfaceAddress.Address { .ipv4([a, b, c, d]) }

    func configure() throws {
        try harness.file("proc/net/dev", Self.netDev)
        harness.system.interfaces = [
            InterfaceAddress(name: "lo", address: .other(family: 17)),
            InterfaceAddress(name: "eth0", address: .other(family: 17)),
            InterfaceAddress(name: "ifb0", address: .other(family: 17)),
            InterfaceAddress(name: "lo", address: Self.v4(127, 0, 0, 1), netmask: [255, 0, 0, 0]),
            InterfaceAddress(name: "eth0", address: Self.v4(192, 0, 2, 2), netmask: [255, 255, 255, 0]),
            InterfaceAddress(name: "eth0:1", address: Self.v4(192, 0, 2, 9), netmask: [255, 255, 255, 128]),
            InterfaceAddress(name: "lo", address: .ipv6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
                netmask: [UInt8](repeating: 255, count: 16)),
            InterfaceAddress(name: "eth0", address: .ipv6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0, 0xff, 0xfe, 0, 0, 1]),
                netmask: [UInt8](repeating: 255, count: 8) + [UInt8](repeating: 0, count: 8)),
            InterfaceAddress(name: "tun0", address: Self.v4(10, 8, 0, 1), netmask: nil),
        ]
        harness.system.hardwareAddresses = [
            "lo": [0, 0, 0, 0, 0, 0], "eth0": [0x02, 0xfc, 0, 0, 0, 0x01], "ifb0": [0x22, 0xf6, 0xea, 0xf3, 0x88, 0xad],
        ]
    }

    @Test func interfacesInKernelOrderWithAddressesAndCounters() throws {
        try configure()
        #expect(
            harness.execute("guest-network-get-interfaces")
                == #"{"return": [{"name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": ["#
                + #"{"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8}, "#
                + #"{"ip-address": "::1", "ip-address-type": "ipv6", "prefix": 128}], "statistics": {"rx-bytes": 37790, "#
                + #""rx-packets": 1222, "rx-errs": 0, "rx-dropped": 0, "tx-bytes": 37790, "tx-packets": 1222, "tx-errs": 0, "#
                + #""tx-dropped": 0}}, {"name": "eth0", "hardware-address": "02:fc:00:00:00:01", "ip-addresses": ["#
                + #"{"ip-address": "192.0.2.2", "ip-address-type": "ipv4", "prefix": 24}, "#
                + #"{"ip-address": "fe80::fc:ff:fe00:1", "ip-address-type": "ipv6", "prefix": 64}], "statistics": {"#
                + #""rx-bytes": 324922935, "rx-packets": 7399, "rx-errs": 1, "rx-dropped": 2, "tx-bytes": 315701, "#
                + #""tx-packets": 4245, "tx-errs": 3, "tx-dropped": 4}}, {"name": "ifb0", "hardware-address": "22:f6:ea:f3:88:ad"}, "#
                + #"{"name": "eth0:1", "ip-addresses": [{"ip-address": "192.0.2.9", "ip-address-type": "ipv4", "prefix": 25}]}, "#
                + #"{"name": "tun0", "ip-addresses": [{"ip-address": "10.8.0.1", "ip-address-type": "ipv4", "prefix": 0}]}]}"#
                + "\n")
        // One SIOCGIFHWADDR per interface, not per address.
        #expect(harness.system.hardwareAddressQueries == ["lo", "eth0", "ifb0", "eth0:1", "tun0"])
    }

    @Test func withoutProcNetDevThereAreNoCounters() throws {
        try configure()
        try FileManager.default.removeItem(atPath: harness.procfs + "/net/dev")
        let list = harness.result("guest-network-get-interfaces") as? [[String: Any]]
        #expect(list?.count == 5)
        #expect(list?.allSatisfy { $0["statistics"] == nil } == true)
        #expect((list?[0]["ip-addresses"] as? [Any])?.count == 2)
    }

    @Test func getifaddrsFailure() {
        harness.system.interfaces = nil
        #expect(
            harness.errorDesc(#"{"execute":"guest-network-get-interfaces"}"#) == "getifaddrs failed: Cannot allocate memory")
    }

    @Test func socketFailureIsAnError() throws {
        try configure()
        harness.system.socketErrno = EMFILE
        #expect(
            harness.errorDesc(#"{"execute":"guest-network-get-interfaces"}"#)
                == "failed to create socket: Too many open files")
    }

    @Test func noInterfacesIsAnEmptyList() {
        #expect(harness.execute("guest-network-get-interfaces") == "{\"return\": []}\n")
    }

    @Test func realGetifaddrsHasLoopback() throws {
        // LinuxSystem against this machine: loopback has 127.0.0.1/8 and a zero MAC.
        let system = LinuxSystem()
        let entries = try system.interfaceAddresses()
        #expect(entries.contains(InterfaceAddress(name: "lo", address: Self.v4(127, 0, 0, 1), netmask: [255, 0, 0, 0])))
        #expect(try system.hardwareAddress(ofInterface: "lo") == [0, 0, 0, 0, 0, 0])
        #expect(try system.hardwareAddress(ofInterface: "no-such-if0") == nil)
    }

    // MARK: routes

    static let route = """
        Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
        eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
        eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t1500\t0\t0
        bogus line

        """

    static let ipv6Route = """
        fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
        00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
        00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000002 0000001a 80200001       lo
        short line

        """

    @Test func routes() throws {
        try harness.file("proc/net/route", Self.route)
        try harness.file("proc/net/ipv6_route", Self.ipv6Route)
        #expect(
            harness.execute("guest-network-get-route")
                == #"{"return": [{"iface": "eth0", "destination": "0.0.0.0", "metric": 100, "gateway": "192.0.2.1", "#
                + #""mask": "0.0.0.0", "irtt": 0, "flags": 3, "refcnt": 0, "use": 0, "window": 0, "mtu": 0, "version": 4}, "#
                + #"{"iface": "eth0", "destination": "192.0.2.0", "metric": 0, "gateway": "0.0.0.0", "mask": "255.255.255.0", "#
                + #""irtt": 0, "flags": 1, "refcnt": 0, "use": 0, "window": 0, "mtu": 1500, "version": 4}, "#
                + #"{"iface": "eth0", "destination": "fd00::", "metric": 256, "flags": 1, "refcnt": 1, "use": 0, "#
                + #""desprefixlen": "64", "source": "::", "srcprefixlen": "0", "nexthop": "::", "version": 6}, "#
                + #"{"iface": "eth0", "destination": "::", "metric": 1024, "flags": 3, "refcnt": 2, "use": 0, "#
                + #""desprefixlen": "0", "source": "::", "srcprefixlen": "0", "nexthop": "fd00::1", "version": 6}, "#
                + #"{"iface": "lo", "destination": "::1", "metric": -1, "flags": 2149580801, "refcnt": 2, "use": 26, "#
                + #""desprefixlen": "128", "source": "::", "srcprefixlen": "0", "nexthop": "::", "version": 6}]}"# + "\n")
    }

    @Test func withoutIPv6OnlyIPv4Routes() throws {
        try harness.file("proc/net/route", Self.route)
        let list = harness.result("guest-network-get-route") as? [[String: Any]]
        #expect(list?.map { $0["version"] as? Int } == [4, 4])
    }

    @Test func withoutIPv4RoutesItIsAnError() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-network-get-route"}"#)
                == "open(\"\(harness.procfs)/net/route\"): No such file or directory")
    }

    @Test func unreadableIPv6RoutesAreAnError() throws {
        try harness.file("proc/net/route", Self.route)
        try harness.directory("proc/net/ipv6_route")
        #expect(
            harness.errorDesc(#"{"execute":"guest-network-get-route"}"#)
                == "open(\"\(harness.procfs)/net/ipv6_route\"): Is a directory")
    }
}
