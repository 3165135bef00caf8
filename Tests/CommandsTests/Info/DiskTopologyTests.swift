import Commands
import Foundation
import Testing

/// guest-get-fsinfo and guest-get-disks against a fake sysfs tree with the controllers qemu
/// guests have (virtio-blk, virtio-scsi behind a bridge, AHCI, IDE, NVMe, virtio-mmio, CCW,
/// Xen), a device-mapper volume over two disks, a fake mountinfo, fake statvfs answers and a
/// fake udev database.
@Suite struct DiskTopologyTests {
    let harness: InfoHarness

    init() throws {
        harness = try InfoHarness()
        try buildTree()
    }

    /// A block device directory at `sys/<path>` with `dev`, `size` and `uevent`, its
    /// `sys/dev/block/<number>` link and, for whole disks, its `sys/block/<name>` link.
    func device(_ path: String, _ number: String, size: String = "2048", disk: Bool = true, extra: [String: String] = [:]) throws {
        let name = String(path.split(separator: "/").last ?? "")
        try harness.file("sys/\(path)/dev", number + "\n")
        try harness.file("sys/\(path)/size", size + "\n")
        try harness.file(
            "sys/\(path)/uevent",
            "MAJOR=\(number.split(separator: ":")[0])\nMINOR=\(number.split(separator: ":")[1])\nDEVNAME=\(name)\nDEVTYPE=\(disk ? "disk" : "partition")\n")
        for (file, content) in extra { try harness.file("sys/\(path)/\(file)", content) }
        try harness.symlink("sys/dev/block/\(number)", to: "../../\(path)")
        if disk { try harness.symlink("sys/block/\(name)", to: "../\(path)") }
    }

    func driver(_ pciPath: String, _ name: String) throws {
        try harness.symlink("sys/\(pciPath)/driver", to: "../../../bus/pci/drivers/\(name)")
    }

    static let vda = "devices/pci0000:00/0000:00:02.0/virtio1/block/vda"
    static let sda = "devices/pci0000:00/0000:00:1c.0/0000:01:00.0/virtio2/host0/target0:0:3/0:0:3:2/block/sda"
    static let sdb = "devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sdb"
    static let sdc = "devices/pci0000:00/0000:00:01.1/ata2/host1/target1:0:1/1:0:1:0/block/sdc"
    static let nvme = "devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1"
    static let vdb = "devices/platform/a003e00.virtio_mmio/virtio0/block/vdb"
    static let vdc = "devices/css0/0.0.0000/0.0.0002/virtio0/block/vdc"
    static let xvda = "devices/vbd-51712/block/xvda"
    static let dm = "devices/virtual/block/dm-0"

    func buildTree() throws {
        // virtio-blk with two partitions; the serial attribute is what QEMU's serial= sets.
        try driver("devices/pci0000:00/0000:00:02.0", "virtio-pci")
        try device(Self.vda, "254:0", extra: ["serial": "disk-serial-1"])
        try harness.directory("sys/\(Self.vda)/slaves")
        try device(Self.vda + "/vda1", "254:1", disk: false)
        try device(Self.vda + "/vda2", "254:2", disk: false)
        try harness.directory("sys/\(Self.vda)/holders")
        // virtio-scsi behind a PCIe root port, with udev's serial.
        try driver("devices/pci0000:00/0000:00:1c.0", "pcieport")
        try driver("devices/pci0000:00/0000:00:1c.0/0000:01:00.0", "virtio-pci")
        try device(Self.sda, "8:0")
        try harness.file("udev/b8:0", "S:disk/by-id/scsi-0QEMU\nE:ID_BUS=scsi\nE:ID_SERIAL=0QEMU_QEMU_HARDDISK_drive-scsi0-0-3-2\n")
        // AHCI: the disk is on the third port.
        try driver("devices/pci0000:00/0000:00:1f.2", "ahci")
        for port in ["ata1", "ata2", "ata10"] { try harness.directory("sys/devices/pci0000:00/0000:00:1f.2/\(port)") }
        try device(Self.sdb, "8:16")
        // PIIX IDE: second channel, unit 1.
        try driver("devices/pci0000:00/0000:00:01.1", "ata_piix")
        try harness.directory("sys/devices/pci0000:00/0000:00:01.1/ata1")
        try device(Self.sdc, "8:32")
        // NVMe with a p-style partition.
        try driver("devices/pci0000:00/0000:00:04.0", "nvme")
        try device(Self.nvme, "259:0")
        try device(Self.nvme + "/nvme0n1p1", "259:1", disk: false)
        // virtio-mmio, CCW, Xen.
        try device(Self.vdb, "254:16")
        try device(Self.vdc, "254:32")
        try device(Self.xvda, "202:0")
        // LVM over vda2 and sda.
        try device(Self.dm, "253:0", extra: ["dm/name": "vg-root\n"])
        try harness.symlink("sys/\(Self.dm)/slaves/vda2", to: "../../../../pci0000:00/0000:00:02.0/virtio1/block/vda/vda2")
        try harness.symlink(
            "sys/\(Self.dm)/slaves/sda", to: "../../../../pci0000:00/0000:00:1c.0/0000:01:00.0/virtio2/host0/target0:0:3/0:0:3:2/block/sda")
        // An unused loop device and a zram device without slaves.
        try device("devices/virtual/block/loop0", "7:0", size: "0")
        try device("devices/virtual/block/zram0", "252:0")
    }

    var harnessContextUdev: String { harness.root + "/udev" }

    func mountinfo(_ lines: [String]) throws {
        try harness.file("proc/self/mountinfo", lines.joined(separator: "\n") + "\n")
    }

    // MARK: guest-get-fsinfo

    @Test func virtioBlkPartitionWithUsage() throws {
        try mountinfo(["27 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw"])
        harness.system.usage["/"] = FilesystemUsage(fragmentSize: 4096, blocks: 1000, freeBlocks: 400, availableBlocks: 300)
        #expect(
            harness.execute("guest-get-fsinfo")
                == #"{"return": [{"name": "vda1", "mountpoint": "/", "type": "ext4", "used-bytes": 2457600, "#
                + #""total-bytes": 3686400, "total-bytes-privileged": 4096000, "disk": [{"pci-controller": {"domain": 0, "#
                + #""bus": 0, "slot": 2, "function": 0}, "bus-type": "virtio", "bus": 0, "target": 0, "unit": 0, "#
                + #""serial": "disk-serial-1", "dev": "/dev/vda1"}]}]}"# + "\n")
    }

    @Test func mountsComeNewestFirstAndSkipVirtualFilesystems() throws {
        try mountinfo([
            "27 1 254:1 / / rw - ext4 /dev/vda1 rw",
            "29 27 0:5 / /proc rw - proc proc rw",
            "30 27 8:16 / /data rw - xfs /dev/sdb rw",
            "31 27 259:1 / /fast rw - ext4 /dev/nvme0n1p1 rw",
        ])
        let list = harness.result("guest-get-fsinfo") as? [[String: Any]]
        #expect(list?.map { $0["mountpoint"] as? String } == ["/fast", "/data", "/"])
        #expect(list?.map { $0["type"] as? String } == ["ext4", "xfs", "ext4"])
        #expect(list?.map { $0["name"] as? String } == ["nvme0n1p1", "sdb", "vda1"])
        // No statvfs answer: no sizes.
        #expect(list?[0]["used-bytes"] == nil)
        #expect(list?[0]["total-bytes"] == nil)
    }

    func disks(_ mount: String) throws -> [[String: Any]] {
        try mountinfo(["27 1 \(mount) / /m rw - ext4 /dev/x rw"])
        let list = harness.result("guest-get-fsinfo") as? [[String: Any]]
        return list?.first?["disk"] as? [[String: Any]] ?? []
    }

    @Test func virtioSCSIBehindABridge() throws {
        let context = CommandContext(
            system: harness.system,
            paths: SystemPaths(sysfs: harness.sysfs, procfs: harness.procfs, udevData: harnessContextUdev),
            registry: .standard())
        let session = AgentSession(context: context)
        try mountinfo(["27 1 8:0 / /m rw - ext4 /dev/sda rw"])
        let reply = String(decoding: session.receive(Array(#"{"execute":"guest-get-fsinfo"}"#.utf8)), as: UTF8.self)
        #expect(
            reply
                == #"{"return": [{"name": "sda", "mountpoint": "/m", "type": "ext4", "disk": [{"pci-controller": "#
                + #"{"domain": 0, "bus": 1, "slot": 0, "function": 0}, "bus-type": "scsi", "bus": 0, "target": 0, "unit": 2, "#
                + #""serial": "0QEMU_QEMU_HARDDISK_drive-scsi0-0-3-2", "dev": "/dev/sda"}]}]}"# + "\n")
    }

    @Test func ahciUnitIsThePortIndex() throws {
        let disk = try disks("8:16").first
        #expect(disk?["bus-type"] as? String == "sata")
        // Ports ata1, ata2, ata3 (the disk's), ata10: numerically, ata3 is the third.
        #expect(disk?["unit"] as? Int == 2)
        #expect((disk?["pci-controller"] as? [String: Int]) == ["domain": 0, "bus": 0, "slot": 31, "function": 2])
    }

    @Test func ideBusIsTheChannelAndUnitTheTarget() throws {
        let disk = try disks("8:32").first
        #expect(disk?["bus-type"] as? String == "ide")
        #expect(disk?["bus"] as? Int == 1)
        #expect(disk?["unit"] as? Int == 1)
        #expect(disk?["dev"] as? String == "/dev/sdc")
    }

    @Test func nvme() throws {
        let disk = try disks("259:1").first
        #expect(disk?["bus-type"] as? String == "nvme")
        #expect((disk?["pci-controller"] as? [String: Int]) == ["domain": 0, "bus": 0, "slot": 4, "function": 0])
        #expect(disk?["dev"] as? String == "/dev/nvme0n1p1")
    }

    @Test func virtioMMIOAndCCWAndXen() throws {
        let mmio = try disks("254:16").first
        #expect(mmio?["bus-type"] as? String == "virtio")
        #expect((mmio?["pci-controller"] as? [String: Int]) == ["domain": -1, "bus": -1, "slot": -1, "function": -1])
        let ccw = try disks("254:32").first
        #expect(ccw?["bus-type"] as? String == "virtio")
        #expect((ccw?["ccw-address"] as? [String: Int]) == ["cssid": 0, "ssid": 0, "subchno": 0, "devno": 2])
        let xen = try disks("202:0").first
        #expect(xen?["bus-type"] as? String == "unknown")
        #expect(xen?["dev"] as? String == "/dev/xvda")
    }

    @Test func deviceMapperListsTheDisksBelow() throws {
        try mountinfo(["28 1 253:0 / /home rw - xfs /dev/mapper/vg-root rw"])
        let list = harness.result("guest-get-fsinfo") as? [[String: Any]]
        #expect(list?.first?["name"] as? String == "dm-0")
        let disks = list?.first?["disk"] as? [[String: Any]]
        #expect(disks?.map { $0["dev"] as? String } == ["/dev/sda", "/dev/vda2"])
        #expect(disks?.map { $0["bus-type"] as? String } == ["scsi", "virtio"])
    }

    @Test func virtualDeviceWithoutSlavesHasNoDisks() throws {
        #expect(try disks("252:0").isEmpty)
    }

    @Test func unknownDeviceNumberKeepsTheMount() throws {
        try mountinfo(["27 1 254:1 / / rw - ext4 /dev/vda1 rw", "32 27 9:9 / /gone rw - ext4 /dev/gone rw"])
        let list = harness.result("guest-get-fsinfo") as? [[String: Any]]
        #expect(list?.map { $0["name"] as? String } == ["9:9", "vda1"])
        #expect((list?.first?["disk"] as? [Any])?.isEmpty == true)
    }

    @Test func unsupportedControllerStillGivesTheNode() throws {
        try FileManager.default.removeItem(atPath: harness.sysfs + "/devices/pci0000:00/0000:00:02.0/driver")
        let disk = try disks("254:0").first
        #expect(disk?["bus-type"] as? String == "unknown")
        #expect((disk?["pci-controller"] as? [String: Int])?["slot"] == -1)
        #expect(disk?["dev"] as? String == "/dev/vda")
        #expect(disk?["serial"] as? String == "disk-serial-1")
    }

    @Test func noMountTable() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-fsinfo"}"#)
                == "failed to open mtab file: '\(harness.procfs)/self/mounts': No such file or directory")
    }

    // MARK: guest-get-disks

    @Test func disksWithPartitionsDependenciesAndAlias() throws {
        let list = harness.result("guest-get-disks") as? [[String: Any]] ?? []
        #expect(
            list.map { $0["name"] as? String ?? "?" } == [
                "/dev/dm-0", "/dev/nvme0n1", "/dev/nvme0n1p1", "/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/vda",
                "/dev/vda1", "/dev/vda2", "/dev/vdb", "/dev/vdc", "/dev/xvda", "/dev/zram0",
            ])
        let byName = Dictionary(list.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let dm = byName["/dev/dm-0"]
        #expect(dm?["alias"] as? String == "vg-root")
        #expect(dm?["partition"] as? Bool == false)
        #expect(dm?["dependencies"] as? [String] == ["/dev/sda", "/dev/vda2"])
        #expect(dm?["address"] == nil)
        #expect(byName["/dev/vda1"]?["partition"] as? Bool == true)
        #expect(byName["/dev/vda1"]?["dependencies"] as? [String] == ["/dev/vda"])
        #expect(byName["/dev/nvme0n1p1"]?["dependencies"] as? [String] == ["/dev/nvme0n1"])
        #expect(byName["/dev/vda"]?["dependencies"] as? [String] == [])
        #expect(byName["/dev/sdb"]?["dependencies"] == nil)
        #expect((byName["/dev/sdb"]?["address"] as? [String: Any])?["bus-type"] as? String == "sata")
        #expect(byName["/dev/zram0"]?["address"] == nil)
    }

    @Test func virtioDiskExactly() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: harness.sysfs + "/block") where name != "vda" {
            try FileManager.default.removeItem(atPath: harness.sysfs + "/block/" + name)
        }
        #expect(
            harness.execute("guest-get-disks")
                == #"{"return": [{"name": "/dev/vda", "partition": false, "dependencies": [], "address": {"pci-controller": "#
                + #"{"domain": 0, "bus": 0, "slot": 2, "function": 0}, "bus-type": "virtio", "bus": 0, "target": 0, "#
                + #""unit": 0, "serial": "disk-serial-1", "dev": "/dev/vda"}}, {"name": "/dev/vda1", "partition": true, "#
                + #""dependencies": ["/dev/vda"]}, {"name": "/dev/vda2", "partition": true, "dependencies": ["/dev/vda"]}]}"#
                + "\n")
    }

    /// A health log page with a distinct value in every field upstream reads (and in both
    /// halves of each 128-bit counter), so a field read from the wrong offset shows.
    static var healthLog: [UInt8] {
        var page = [UInt8](repeating: 0, count: NVMeSmart.healthLogSize)
        page[0] = 0x04  // critical warning: reliability degraded
        page[1] = 0x43  // 0x0143 = 323 K
        page[2] = 0x01
        page[3] = 95
        page[4] = 10
        page[5] = 7
        page[6] = 0xEE  // endurance group summary: not reported by qemu-ga
        for counter in 0..<10 {
            for (half, value) in [(0, UInt64(1000 + counter)), (1, UInt64(counter))] {
                for byte in 0..<8 { page[32 + 16 * counter + 8 * half + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
            }
        }
        page[200] = 0xFF  // past the last counter
        return page
    }

    @Test func nvmeSmartFromTheHealthLog() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: harness.sysfs + "/block") where name != "nvme0n1" {
            try FileManager.default.removeItem(atPath: harness.sysfs + "/block/" + name)
        }
        harness.system.nvmeHealthLogs["/dev/nvme0n1"] = Self.healthLog
        let counters = ["data-units-read", "data-units-written", "host-read-commands", "host-write-commands",
            "controller-busy-time", "power-cycles", "power-on-hours", "unsafe-shutdowns", "media-errors",
            "number-of-error-log-entries"].enumerated().map { #""\#($1)-lo": \#(1000 + $0), "\#($1)-hi": \#($0)"# }
        #expect(
            harness.execute("guest-get-disks")
                == #"{"return": [{"name": "/dev/nvme0n1", "partition": false, "address": {"pci-controller": "#
                + #"{"domain": 0, "bus": 0, "slot": 4, "function": 0}, "bus-type": "nvme", "bus": 0, "target": 0, "#
                + #""unit": 0, "dev": "/dev/nvme0n1"}, "smart": {"type": "nvme", "critical-warning": 4, "temperature": 323, "#
                + #""available-spare": 95, "available-spare-threshold": 10, "percentage-used": 7, "#
                + counters.joined(separator: ", ") + #"}}, {"name": "/dev/nvme0n1p1", "partition": true, "#
                + #""dependencies": ["/dev/nvme0n1"]}]}"# + "\n")
        #expect(harness.system.nvmeHealthLogRequests == ["/dev/nvme0n1"])
    }

    @Test func smartOnlyForNVMeAndLeftOutWhenTheLogCannotBeRead() throws {
        // No page for /dev/nvme0n1: the fake answers ENOTTY, as a kernel without the driver would.
        let list = harness.result("guest-get-disks") as? [[String: Any]] ?? []
        #expect(list.count == 13)
        #expect(list.allSatisfy { $0["smart"] == nil })
        #expect(harness.system.nvmeHealthLogRequests == ["/dev/nvme0n1"])
        // A short page is no page.
        harness.system.nvmeHealthLogs["/dev/nvme0n1"] = Array(Self.healthLog.prefix(256))
        #expect((harness.result("guest-get-disks") as? [[String: Any]] ?? []).allSatisfy { $0["smart"] == nil })
    }

    @Test func noSysBlock() throws {
        try FileManager.default.removeItem(atPath: harness.sysfs + "/block")
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-disks"}"#)
                == "Can't open directory \"\(harness.sysfs)/block\": No such file or directory")
    }

    @Test(arguments: [("vda2", "vda10", true), ("vda10", "vda2", false), ("dm-2", "dm-10", true), ("sda", "sdb", true),
                      ("sda", "sda1", true), ("nvme0n1", "nvme0n1p1", true), ("nvme1n1", "nvme0n1", false)])
    func naturalOrder(a: String, b: String, ordered: Bool) {
        #expect(GuestGetDisks.naturalOrder(a, b) == ordered)
    }
}
