import QGAProtocol

/// `guest-get-fsinfo`: every mounted block-device filesystem with its size, usage and the
/// disks under it (`virsh domfsinfo`, `virsh guestinfo --filesystem`).
///
/// The mounts are fsfreeze's (`<procfs>/self/mountinfo`, block devices only), newest first
/// as in qemu-ga. `name` is the kernel name of the device (`vda1`, `dm-0`); `disk` lists the
/// real disks below it (through device-mapper/md stacks), each with its controller address.
/// Sizes come from `statvfs`: `total-bytes` is what unprivileged users can reach (used plus
/// available), `total-bytes-privileged` the whole filesystem (qemu-ga 9.1).
public enum GuestGetFSInfo: GuestCommand {
    public static let name = "guest-get-fsinfo"

    public struct Filesystem: Equatable {
        public var name: String
        public var mountpoint: String
        public var type: String
        public var usedBytes: UInt64?
        public var totalBytes: UInt64?
        public var totalBytesPrivileged: UInt64?
        public var disk: [GuestDiskAddress]
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> [Filesystem] {
        let mounts = try MountTable.load(context)
        let topology = BlockTopology(context: context)
        var result: [Filesystem] = []
        result.reserveCapacity(mounts.count)
        for mount in mounts.reversed() {
            let number = "\(mount.device.major):\(mount.device.minor)"
            var filesystem = Filesystem(name: number, mountpoint: mount.directory, type: mount.type, disk: [])
            do {
                let device = try topology.describe(context.paths.sys("dev/block/" + number))
                filesystem.name = device.name
                filesystem.disk = device.disks
            } catch {
                // qemu-ga fails the whole command here; one odd device should not hide the rest.
                context.logger.warning("guest-get-fsinfo: \(mount.directory): \(error.desc)")
            }
            if let usage = try? context.system.filesystemUsage(mount.directory) {
                let used = usage.blocks &- usage.freeBlocks
                filesystem.usedBytes = used &* usage.fragmentSize
                filesystem.totalBytes = (used &+ usage.availableBlocks) &* usage.fragmentSize
                filesystem.totalBytesPrivileged = usage.blocks &* usage.fragmentSize
            }
            result.append(filesystem)
        }
        return result
    }
}

extension GuestGetFSInfo.Filesystem: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("name", name)
        json.member("mountpoint", mountpoint)
        json.member("type", type)
        json.member("used-bytes", usedBytes)
        json.member("total-bytes", totalBytes)
        json.member("total-bytes-privileged", totalBytesPrivileged)
        json.member("disk", disk)
        json.endObject()
    }
}
