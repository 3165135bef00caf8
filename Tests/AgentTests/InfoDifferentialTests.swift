import Foundation
import Testing

/// The read-mostly information commands, asked of each oracle (qemu-ga 7.2, 10.0.2, 11.1.3) and of our
/// binary on this same machine; replies are compared after removing what changes between two
/// calls (counters, clocks, free space) and what we add on purpose (`serial` from sysfs when
/// udev has none, upstream's `total-bytes-privileged`).
@Suite("Differential: information commands vs qemu-ga 7.2, 10.0.2 and 11.1.3", .serialized)
struct InfoDifferentialTests {
    /// test-qga's os-release, so both read the same file.
    static let osRelease = #"""
        ID=qemu-ga-test
        NAME=QEMU-GA
        PRETTY_NAME="QEMU Guest Agent test"
        VERSION="Test 1"
        VERSION_ID=1
        VARIANT="Unit test \"'\$\`\\ and \\\\ etc."
        VARIANT_ID=unit-test

        """#

    /// Both agents, started with the same environment, and one reply from each per request.
    final class Pair {
        let dir = TempDir()
        let theirs: AgentProcess
        let ours: AgentProcess
        let theirClient: AgentClient
        let ourClient: AgentClient

        init(_ oracle: String, environment: [String: String] = [:]) throws {
            try Oracle.require(oracle)
            let release = dir.file("os-release")
            try InfoDifferentialTests.osRelease.write(toFile: release, atomically: true, encoding: .utf8)
            var env = environment
            env["QGA_OS_RELEASE"] = release
            theirs = try AgentProcess(binary: oracle, environment: env)
            ours = try AgentProcess(environment: env)
            theirClient = try theirs.connect()
            ourClient = try ours.connect()
        }

        /// `return` of each (failing the test on an error reply).
        func results(_ command: String) throws -> (theirs: Any, ours: Any) {
            let request = #"{"execute":"\#(command)"}"#
            let theirReply = try theirClient.call(request)
            let ourReply = try ourClient.call(request)
            #expect(theirReply["error"] == nil, "qemu-ga: \(theirReply)")
            #expect(ourReply["error"] == nil, "ours: \(ourReply)")
            return (theirReply["return"] ?? NSNull(), ourReply["return"] ?? NSNull())
        }

        func replies(_ request: String) throws -> (theirs: [String: Any], ours: [String: Any]) {
            (try theirClient.call(request), try ourClient.call(request))
        }
    }

    /// Equal JSON values (compared as canonical text with sorted keys).
    func same(_ a: Any, _ b: Any) -> Bool { canonical(a) == canonical(b) }

    @Test(arguments: Oracle.all)
    func hostName(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-get-host-name")
        #expect(same(theirs, ours), "\(theirs) vs \(ours)")
        #expect((ours as? [String: Any])?["host-name"] as? String != nil)
    }

    @Test(arguments: Oracle.all)
    func osInfoFromTheSameFile(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-get-osinfo")
        #expect(same(theirs, ours), "\(theirs) vs \(ours)")
        #expect((ours as? [String: Any])?["variant"] as? String == #"Unit test "'$`\ and \\ etc."#)
    }

    /// POSIX TZ strings need no tzdata; zone names are added where this machine has them.
    static var timeZones: [String?] {
        var zones: [String?] = [nil, "UTC0", "EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", "<-03>3"]
        for name in ["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Berlin"]
        where FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/" + name) {
            zones.append(name)
        }
        return zones
    }

    @Test(arguments: Oracle.all, timeZones)
    func timezone(oracle: String, tz: String?) throws {
        // nil: whatever the test runner has (normally no TZ, so /etc/localtime).
        let pair = try Pair(oracle, environment: tz.map { ["TZ": $0] } ?? [:])
        let (theirs, ours) = try pair.results("guest-get-timezone")
        #expect(same(theirs, ours), "TZ=\(tz ?? "unset"): \(theirs) vs \(ours)")
        #expect((ours as? [String: Any])?["offset"] is Int)
    }

    @Test(arguments: Oracle.all)
    func users(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-get-users")
        #expect(same(theirs, ours), "\(theirs) vs \(ours)")
        #expect(ours is [Any])
    }

    @Test(arguments: Oracle.all)
    func timeIsNanosecondsSinceTheEpoch(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-get-time")
        let theirTime = (theirs as? NSNumber)?.int64Value ?? 0
        let ourTime = (ours as? NSNumber)?.int64Value ?? 0
        // Both are the same clock in the same unit: ours was read after theirs.
        #expect(theirTime > 1_600_000_000_000_000_000)
        #expect(ourTime >= theirTime)
    }

    /// 7.2 has no guest-get-load (10.0): 10.0.2 and 11.1.3 only. Both read getloadavg(3);
    /// compared when the kernel's averages (updated every 5 s) did not change around the two calls.
    @Test(arguments: Oracle.since10)
    func loadAs10(oracle: String) throws {
        let pair = try Pair(oracle)
        var compared = false
        for _ in 0..<20 where !compared {
            var before = [Double](repeating: 0, count: 3)
            var after = before
            getloadavg(&before, 3)
            let (theirs, ours) = try pair.results("guest-get-load")
            getloadavg(&after, 3)
            guard before == after else { continue }
            #expect(same(theirs, ours), "\(theirs) vs \(ours)")
            #expect(canonical(ours) == canonical(["load1m": before[0], "load5m": before[1], "load15m": before[2]]))
            compared = true
        }
        #expect(compared)
    }

    /// 7.2 has no guest-network-get-route (9.1): 10.0.2 and 11.1.3 only. Counters aside, the
    /// same routes with the same members, except the one deliberate difference: 10.x and 11.x
    /// sign-extend IPv6 `flags` with the top bit set (`RTF_LOCAL` routes: 0x80200001 becomes
    /// 18446744071564165121).
    @Test(arguments: Oracle.since10)
    func routesAs10(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-network-get-route")
        func stable(_ value: Any, signExtended: Bool) -> [String] {
            (value as? [[String: Any]] ?? []).map { route in
                var r = route
                for counter in ["refcnt", "use"] { r[counter] = r[counter] == nil ? nil : 0 }
                if signExtended, let flags = (r["flags"] as? NSNumber)?.uint64Value, flags >= 0xFFFF_FFFF_8000_0000 {
                    r["flags"] = flags & 0xFFFF_FFFF
                }
                return canonical(r)
            }
        }
        #expect(stable(ours, signExtended: false) == stable(theirs, signExtended: true))
        let ipv6 = (ours as? [[String: Any]] ?? []).filter { $0["version"] as? Int == 6 }
        #expect(ipv6.allSatisfy { $0["desprefixlen"] is String && $0["srcprefixlen"] is String })
    }

    @Test(arguments: Oracle.all)
    func networkInterfaces(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-network-get-interfaces")
        /// Names, MACs, addresses and which interfaces have counters: not the counters.
        func stable(_ value: Any) -> [[String: String]] {
            (value as? [[String: Any]] ?? []).map { interface in
                let addresses = (interface["ip-addresses"] as? [[String: Any]] ?? []).map {
                    "\($0["ip-address"] ?? "")/\($0["prefix"] ?? "") \($0["ip-address-type"] ?? "")"
                }
                let stats = interface["statistics"] as? [String: Any]
                return [
                    "name": interface["name"] as? String ?? "", "mac": interface["hardware-address"] as? String ?? "-",
                    "addresses": addresses.joined(separator: ","),
                    "statistics": stats.map { $0.keys.sorted().joined(separator: ",") } ?? "-",
                ]
            }
        }
        #expect(stable(ours) == stable(theirs))
        #expect(stable(ours).contains { $0["name"] == "lo" })
    }

    @Test(arguments: Oracle.all)
    func fsinfo(oracle: String) throws {
        let pair = try Pair(oracle)
        var (theirs, ours) = try pair.results("guest-get-fsinfo")
        if Oracle.isV7(oracle) {
            // 7.2 lists every mount of a device; 10.x (and we) only its first in mount order
            // (the list is newest first), so bind mounts and btrfs subvolumes appear once.
            var seen: Set<String> = []
            let list = (theirs as? [[String: Any]] ?? []).reversed().filter { seen.insert($0["name"] as? String ?? "").inserted }
            theirs = Array(list.reversed())
        }
        func stable(_ value: Any) -> [String] {
            (value as? [[String: Any]] ?? []).map { fs in
                let disks = (fs["disk"] as? [[String: Any]] ?? []).map { disk -> String in
                    var d = disk
                    d["serial"] = nil  // we also read the sysfs serial attribute when udev has none
                    return "\(d.keys.sorted()) \(d["bus-type"] ?? "") \(d["dev"] ?? "") \(canonical(d["pci-controller"] ?? "")) "
                        + "\(d["bus"] ?? "")/\(d["target"] ?? "")/\(d["unit"] ?? "")"
                }
                let sizes = ["used-bytes", "total-bytes"].map { fs[$0] == nil ? "-" : "size" }
                return "\(fs["name"] ?? "") \(fs["mountpoint"] ?? "") \(fs["type"] ?? "") \(sizes) \(disks)"
            }
        }
        #expect(stable(ours) == stable(theirs))
        let first = (ours as? [[String: Any]])?.first
        #expect(first == nil || first?["total-bytes-privileged"] != nil)
    }

    @Test(arguments: Oracle.all)
    func disks(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-get-disks")
        func stable(_ value: Any) -> Set<String> {
            Set((value as? [[String: Any]] ?? []).map { disk in
                var address = disk["address"] as? [String: Any]
                address?["serial"] = nil
                return "\(disk["name"] ?? "") \(disk["partition"] ?? "") \(disk["dependencies"] ?? "-") "
                    + "\(disk["alias"] ?? "-") \(address.map { canonical($0) } ?? "-")"
            })
        }
        #expect(stable(ours) == stable(theirs))
    }

    @Test(arguments: Oracle.all)
    func cpuStatsShape(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-get-cpustats")
        func shape(_ value: Any) -> [String] {
            (value as? [[String: Any]] ?? []).map { "\($0["cpu"] ?? "") \($0["type"] ?? "") \($0.keys.sorted())" }
        }
        #expect(shape(ours) == shape(theirs))
        #expect(!shape(ours).isEmpty)
    }

    @Test(arguments: Oracle.all)
    func diskStatsShape(oracle: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.results("guest-get-diskstats")
        func shape(_ value: Any) -> [String] {
            (value as? [[String: Any]] ?? []).map {
                "\($0["name"] ?? "") \($0["major"] ?? ""):\($0["minor"] ?? "") "
                    + "\(($0["stats"] as? [String: Any])?.keys.sorted() ?? [])"
            }
        }
        #expect(shape(ours) == shape(theirs))
    }

    @Test(arguments: Oracle.all, [
        "guest-get-osinfo", "guest-get-host-name", "guest-get-timezone", "guest-get-users", "guest-get-time",
        "guest-get-cpustats", "guest-get-diskstats", "guest-network-get-interfaces", "guest-get-fsinfo",
        "guest-get-disks",
    ])
    func sameArgumentErrors(oracle: String, command: String) throws {
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.replies(#"{"execute":"\#(command)","arguments":{"bogus":1},"id":3}"#)
        #expect(same(theirs, ours), "\(theirs) vs \(ours)")
        #expect(ours.errorDesc == "Parameter 'bogus' is unexpected")
    }

    @Test(arguments: Oracle.all)
    func setTimeArgumentTypeError(oracle: String) throws {
        // Only a malformed argument: neither agent gets as far as the clock.
        let pair = try Pair(oracle)
        let (theirs, ours) = try pair.replies(#"{"execute":"guest-set-time","arguments":{"time":"soon"}}"#)
        #expect(same(theirs, ours), "\(theirs) vs \(ours)")
        #expect(ours.errorDesc == "Invalid parameter type for 'time', expected: integer")
    }
}

/// A JSON value as text with sorted keys, for comparing replies whatever their key order.
func canonical(_ value: Any) -> String {
    (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]))
        .map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
}
