import QGAProtocol

/// Walks sysfs from a block device to its controller, as qemu-ga's
/// `build_guest_fsinfo_for_device` does: device-mapper and md devices are followed through
/// `slaves/` to the disks below them; a real disk's path names its PCI function (through
/// bridges), SCSI/ATA host and target, or CCW subchannel.
///
/// `dev` is `/dev/` plus the `DEVNAME` of the device's `uevent` (what libudev's devnode is);
/// `serial` is udev's `ID_SERIAL` from its database, else the device's own `serial`
/// attribute (virtio-blk), which covers guests without a running udev.
struct BlockTopology {
    let context: CommandContext
    /// The canonical sysfs root, stripped from resolved paths before they are matched.
    let sysfsRoot: String

    init(context: CommandContext) {
        self.context = context
        sysfsRoot = (try? context.system.resolvePath(context.paths.sysfs)) ?? context.paths.sysfs
    }

    var system: any GuestSystem { context.system }

    /// Drivers of the PCI function qemu-ga recognises as a disk controller.
    static let controllerDrivers: Set<String> = [
        "ata_piix", "sym53c8xx", "virtio-pci", "ahci", "nvme", "xhci_hcd", "ehci-pci",
    ]

    /// The device at `devicePath` (a sysfs symlink or directory): its kernel name (the last
    /// component of the resolved path) and the addresses of the disks it lives on.
    func describe(_ devicePath: String) throws(QGAError) -> (name: String, disks: [GuestDiskAddress]) {
        var disks: [GuestDiskAddress] = []
        let resolved = try system.resolvePath(devicePath)
        try collect(resolved: resolved, into: &disks, depth: 0)
        return (Self.basename(resolved), disks)
    }

    private func collect(resolved: String, into disks: inout [GuestDiskAddress], depth: Int) throws(QGAError) {
        // Stacks are a few levels deep; a cycle in a fake tree must not recurse for ever.
        guard depth < 16 else { return }
        if relative(resolved).contains(text: "/devices/virtual/block/") {
            let slaves = resolved + "/slaves"
            let names: [String]
            do {
                names = try system.listDirectory(slaves)
            } catch {
                if error.errno == 2 { return }  // ENOENT: no slaves directory
                throw QGAError.system("opendir(\"\(slaves)\")", errno: error.errno ?? 0)
            }
            for name in names.sorted() {
                try collect(resolved: try system.resolvePath(slaves + "/" + name), into: &disks, depth: depth + 1)
            }
            return
        }
        if let disk = realDisk(resolved) { disks.append(disk) }
    }

    /// The address of a real (not virtual) block device; nil when nothing at all is known.
    func realDisk(_ resolved: String) -> GuestDiskAddress? {
        var disk = GuestDiskAddress()
        let event = uevent(resolved)
        disk.dev = event.deviceNode
        disk.serial = serial(resolved, event)
        let path = relative(resolved)
        let known: Bool
        if path.contains(text: "/devices/pci") {
            known = pciDisk(resolved, &disk)
        } else if path.contains(text: "/devices/css") {
            known = ccwDisk(path, &disk)
        } else if path.contains(text: "/virtio") {
            known = nonPCIVirtioDisk(path, &disk)
        } else {
            context.logger.debug("Unsupported device type for '\(resolved)'")
            known = false
        }
        return known || disk.dev != nil || disk.serial != nil ? disk : nil
    }

    /// What the device's `uevent` says: its node name and number.
    struct UEvent {
        var devName: String?
        var major: String?
        var minor: String?
        /// `/dev/<DEVNAME>`, what libudev reports as the devnode.
        var deviceNode: String? { devName.map { "/dev/" + $0 } }
    }

    func uevent(_ resolved: String) -> UEvent {
        var event = UEvent()
        guard let bytes = try? system.readFile(resolved + "/uevent", maxBytes: 4096) else { return event }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")), equals + 1 < line.endIndex else { continue }
            let value = String(decoding: line[(equals + 1)...], as: UTF8.self)
            switch String(decoding: line[..<equals], as: UTF8.self) {
            case "DEVNAME": event.devName = value
            case "MAJOR": event.major = value
            case "MINOR": event.minor = value
            default: break
            }
        }
        return event
    }

    /// `/dev/<DEVNAME>` from the device's uevent.
    func deviceNode(_ resolved: String) -> String? { uevent(resolved).deviceNode }

    /// udev's `ID_SERIAL`, else the `serial` attribute of the device or (for a partition) of
    /// its disk.
    func serial(_ resolved: String, _ event: UEvent) -> String? {
        if let major = event.major, let minor = event.minor,
            let data = try? system.readFile(context.paths.udevData + "/b" + major + ":" + minor)
        {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
            where line.hasPrefix("E:ID_SERIAL=") {
                let value = String(line.dropFirst("E:ID_SERIAL=".count))
                if !value.isEmpty { return value }
            }
        }
        for directory in [resolved, Self.parent(resolved)] {
            if let value = try? system.readText(directory + "/serial"), !value.isEmpty,
                system.fileExists(directory + "/dev")
            {
                return value
            }
        }
        return nil
    }

    // MARK: PCI

    private func pciDisk(_ resolved: String, _ disk: inout GuestDiskAddress) -> Bool {
        let path = relative(resolved)
        let base = resolved.utf8.count - path.utf8.count  // where `path` starts inside `resolved`
        guard let start = path.firstRange(ofText: "/devices/pci") else { return false }
        var scanner = PathScanner(path, from: start.upperBound)
        // "%*x:%*x/%x:%x:%x.%x": the root bus, then the first function.
        guard scanner.hex() != nil, scanner.literal(":"), scanner.hex() != nil, scanner.literal("/"),
            var pci = scanner.pciFunction()
        else {
            context.logger.debug("only pci device is supported: sysfs path '\(resolved)'")
            return false
        }
        var driver: String?
        while true {
            let prefix = String(decoding: resolved.utf8.prefix(base + scanner.offset), as: UTF8.self)
            driver = system.symbolicLinkTarget(prefix + "/driver").map(Self.basename)
            if let driver, Self.controllerDrivers.contains(driver) { break }
            // Behind a bridge: the next path component is another PCI function.
            var next = scanner
            guard next.literal("/"), let function = next.pciFunction() else {
                context.logger.debug("unsupported driver or sysfs path '\(resolved)'")
                return false
            }
            pci = function
            scanner = next
        }
        guard let driver else { return false }

        // ".../target<h>:<c>:<t>/<h>:<c>:<t>:<l>/...": channel, target, lun.
        var target: [Int]?
        if let range = path.firstRange(ofText: "/target") {
            var s = PathScanner(path, from: range.upperBound)
            if s.decimal() != nil, s.literal(":"), s.decimal() != nil, s.literal(":"), s.decimal() != nil,
                s.literal("/"), s.decimal() != nil, s.literal(":"), let c = s.decimal(), s.literal(":"),
                let t = s.decimal(), s.literal(":"), let l = s.decimal()
            {
                target = [c, t, l]
            }
        }
        // The ATA port (ataN) or SCSI host (hostN) and its index among its siblings.
        var hostIndex: Int?
        let ata = path.firstRange(ofText: "/ata")
        if let marker = ata ?? path.firstRange(ofText: "/host") {
            var s = PathScanner(path, from: marker.upperBound)
            if let host = s.decimal() {
                let parent = String(
                    decoding: resolved.utf8.prefix(base + path.utf8.distance(from: path.startIndex, to: marker.lowerBound)),
                    as: UTF8.self)
                let hosts = hostNumbers(parent, prefix: ata != nil ? "ata" : "host")
                hostIndex = hosts.firstIndex(of: host)
            }
        }

        disk.pciController = GuestDiskAddress.PCIAddress(domain: pci.0, bus: pci.1, slot: pci.2, function: pci.3)
        switch driver {
        case "ata_piix":
            // One host per IDE bus; target*:0:<unit>:0.
            guard let target, let hostIndex else { return false }
            disk.busType = "ide"
            disk.bus = hostIndex
            disk.unit = target[1]
        case "sym53c8xx":
            guard let target else { return false }
            disk.busType = "scsi"
            disk.unit = target[1]
        case "virtio-pci":
            if let target {
                disk.busType = "scsi"  // virtio-scsi: target*:0:0:<unit>
                disk.unit = target[2]
            } else {
                disk.busType = "virtio"  // virtio-blk: one disk per device
            }
        case "ahci":
            // One host per port.
            guard target != nil, let hostIndex else { return false }
            disk.busType = "sata"
            disk.unit = hostIndex
        case "nvme":
            disk.busType = "nvme"
        default:  // xhci_hcd, ehci-pci
            disk.busType = "usb"
        }
        return true
    }

    /// The sorted numbers of `<prefix>N` entries in `directory` (at most 8, as in qemu-ga).
    private func hostNumbers(_ directory: String, prefix: String) -> [Int] {
        let names = (try? system.listDirectory(directory)) ?? []
        let numbers = names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix) else { return nil }
            var s = PathScanner(name, from: name.index(name.startIndex, offsetBy: prefix.count))
            return s.decimal()
        }
        return Array(numbers.sorted().prefix(8))
    }

    // MARK: s390x and virtio-mmio

    /// `/devices/css0/0.0.0000/0.0.0000/virtio0/...`: cssid.ssid.subchno, then the devno.
    private func ccwDisk(_ path: String, _ disk: inout GuestDiskAddress) -> Bool {
        guard let start = path.firstRange(ofText: "/devices/css") else { return false }
        var s = PathScanner(path, from: start.upperBound)
        guard s.hex() != nil, s.literal("/"), let cssid = s.hex(), s.literal("."), let ssid = s.hex(), s.literal("."),
            let subchno = s.hex(), s.literal("/"), s.hex() != nil, s.literal("."), s.hex() != nil, s.literal("."),
            let devno = s.hex(), s.literal("/")
        else {
            context.logger.debug("could not parse ccw device sysfs path: \(path)")
            return false
        }
        disk.ccwAddress = GuestDiskAddress.CCWAddress(cssid: cssid, ssid: ssid, subchno: subchno, devno: devno)
        if path[start.lowerBound...].contains(text: "/virtio") { disk.busType = "virtio" }
        return true
    }

    /// virtio-mmio and other non-PCI virtio transports.
    private func nonPCIVirtioDisk(_ path: String, _ disk: inout GuestDiskAddress) -> Bool {
        guard path.contains(text: "/virtio"), path.contains(text: "/block") else { return false }
        if let range = path.firstRange(ofText: "/target") {
            var s = PathScanner(path, from: range.upperBound)
            if s.decimal() != nil, s.literal(":"), s.decimal() != nil, s.literal(":"), s.decimal() != nil,
                s.literal("/"), s.decimal() != nil, s.literal(":"), let c = s.decimal(), s.literal(":"),
                let t = s.decimal(), s.literal(":"), let l = s.decimal()
            {
                disk.busType = "scsi"
                disk.bus = c
                disk.target = t
                disk.unit = l
                return true
            }
        }
        disk.busType = "virtio"
        return true
    }

    // MARK: Paths

    /// `resolved` without the sysfs root: `/devices/pci0000:00/...`.
    func relative(_ resolved: String) -> String {
        if sysfsRoot != "/" && resolved.hasPrefix(sysfsRoot) { return String(resolved.dropFirst(sysfsRoot.count)) }
        return resolved
    }

    static func basename(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[..<slash])
    }
}
