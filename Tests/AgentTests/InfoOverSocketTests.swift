import Foundation
import Testing

/// Our binary with `QGA_PROCFS_ROOT`, `QGA_SYSFS_ROOT` and `QGA_UDEV_DATA` at fake trees: the
/// information commands read only there (never this machine's /proc and /sys); guest-get-load
/// is getloadavg(3), compared with this machine's.
@Suite("Information commands over unix-listen with fake procfs/sysfs roots", .serialized)
struct InfoOverSocketTests {
    static func write(_ path: String, _ content: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func fakeRoots() throws {
        let dir = TempDir()
        let proc = dir.file("proc")
        let sys = dir.file("sys")
        let udev = dir.file("udev")
        try Self.write(proc + "/stat", "cpu  1 2 3 4\ncpu7 100 200 300 400 500 600 700 800 900 1000\n")
        try Self.write(proc + "/diskstats", " 252 0 vdz 1 2 3 4 5 6 7 8 9 10 11\n")
        try Self.write(proc + "/net/route", "Iface\tDestination\n" + "eth9\t00000000\t0100000A\t0003\t0\t0\t5\t00000000\t0\t0\t0\n")
        try Self.write(proc + "/net/ipv6_route", "")
        try Self.write(proc + "/self/mountinfo", "27 1 252:0 / /fake-root rw - ext4 /dev/vdz rw\n")
        let vdz = "devices/pci0000:00/0000:00:07.0/virtio3/block/vdz"
        try Self.write(sys + "/" + vdz + "/uevent", "MAJOR=252\nMINOR=0\nDEVNAME=vdz\nDEVTYPE=disk\n")
        try Self.write(sys + "/" + vdz + "/size", "8\n")
        try FileManager.default.createDirectory(atPath: sys + "/dev/block", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: sys + "/block", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: sys + "/dev/block/252:0", withDestinationPath: "../../" + vdz)
        try FileManager.default.createSymbolicLink(atPath: sys + "/block/vdz", withDestinationPath: "../" + vdz)
        try FileManager.default.createSymbolicLink(
            atPath: sys + "/devices/pci0000:00/0000:00:07.0/driver", withDestinationPath: "../../../bus/pci/drivers/virtio-pci")
        try Self.write(udev + "/b252:0", "E:ID_SERIAL=fake-serial-9\n")

        let agent = try AgentProcess(environment: [
            "QGA_PROCFS_ROOT": proc, "QGA_SYSFS_ROOT": sys, "QGA_UDEV_DATA": udev,
        ])
        let client = try agent.connect()
        // guest-get-load is getloadavg(3), as in qemu-ga: the same answer as ours here, asked
        // until the kernel's averages did not change around the call (they move every 5 s).
        var matched = false
        for _ in 0..<20 where !matched {
            var before = [Double](repeating: 0, count: 3)
            var after = before
            getloadavg(&before, 3)
            let load = try client.call(#"{"execute":"guest-get-load"}"#)["return"] as? [String: Double]
            getloadavg(&after, 3)
            if before == after {
                #expect(load == ["load1m": before[0], "load5m": before[1], "load15m": before[2]])
                matched = true
            }
        }
        #expect(matched)

        let cpus = try client.call(#"{"execute":"guest-get-cpustats"}"#)["return"] as? [[String: Any]]
        #expect(cpus?.count == 1)
        #expect(cpus?.first?["cpu"] as? Int == 7)

        let disks = try client.call(#"{"execute":"guest-get-diskstats"}"#)["return"] as? [[String: Any]]
        #expect(disks?.map { $0["name"] as? String } == ["vdz"])

        let routes = try client.call(#"{"execute":"guest-network-get-route"}"#)["return"] as? [[String: Any]]
        #expect(routes?.first?["gateway"] as? String == "10.0.0.1")
        #expect(routes?.first?["iface"] as? String == "eth9")

        let fsinfo = try client.call(#"{"execute":"guest-get-fsinfo"}"#)["return"] as? [[String: Any]]
        #expect(fsinfo?.first?["mountpoint"] as? String == "/fake-root")
        #expect(fsinfo?.first?["name"] as? String == "vdz")
        let address = (fsinfo?.first?["disk"] as? [[String: Any]])?.first
        #expect(address?["serial"] as? String == "fake-serial-9")
        #expect((address?["pci-controller"] as? [String: Int])?["slot"] == 7)
        // The fake mountpoint does not exist: statvfs fails and the sizes are left out.
        #expect(fsinfo?.first?["total-bytes"] == nil)

        let blockDevices = try client.call(#"{"execute":"guest-get-disks"}"#)["return"] as? [[String: Any]]
        #expect(blockDevices?.map { $0["name"] as? String } == ["/dev/vdz"])
        #expect(agent.terminate() == 0)
    }
}
