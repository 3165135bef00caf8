import QGAProtocol

/// The `smart` member of an NVMe disk in `guest-get-disks`: qemu-ga's `GuestDiskSmart` of type
/// `nvme`, read from the controller's SMART / Health Information log page (NVMe log id 2).
///
/// Values are the log page's, unconverted: `temperature` in kelvins, `available-spare`,
/// `available-spare-threshold` and `percentage-used` in percent, data units in thousands of
/// 512-byte units, `controller-busy-time` in minutes. The 128-bit counters are split into
/// their low and high 64 bits (`-lo`, `-hi`), as qemu-ga does.
public struct NVMeSmart: Equatable {
    /// Get Log Page's log identifier of the SMART / Health Information page.
    public static let healthLogID: UInt8 = 2
    /// The page's size in bytes.
    public static let healthLogSize = 512

    /// A 128-bit little-endian counter of the log page.
    public struct Counter: Equatable {
        public var lo: UInt64
        public var hi: UInt64
    }

    public var criticalWarning: Int64
    public var temperature: Int64
    public var availableSpare: Int64
    public var availableSpareThreshold: Int64
    public var percentageUsed: Int64
    public var dataUnitsRead: Counter
    public var dataUnitsWritten: Counter
    public var hostReadCommands: Counter
    public var hostWriteCommands: Counter
    public var controllerBusyTime: Counter
    public var powerCycles: Counter
    public var powerOnHours: Counter
    public var unsafeShutdowns: Counter
    public var mediaErrors: Counter
    public var numberOfErrorLogEntries: Counter

    /// Decodes a log page; nil when it is shorter than ``healthLogSize``.
    public init?(healthLog page: [UInt8]) {
        guard page.count >= Self.healthLogSize else { return nil }
        func little(_ offset: Int, _ count: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in (offset..<offset + count).reversed() { value = value << 8 | UInt64(page[index]) }
            return value
        }
        // The counters start at byte 32, 16 bytes each.
        func counter(_ index: Int) -> Counter {
            Counter(lo: little(32 + 16 * index, 8), hi: little(40 + 16 * index, 8))
        }
        criticalWarning = Int64(page[0])
        temperature = Int64(little(1, 2))
        availableSpare = Int64(page[3])
        availableSpareThreshold = Int64(page[4])
        percentageUsed = Int64(page[5])
        dataUnitsRead = counter(0)
        dataUnitsWritten = counter(1)
        hostReadCommands = counter(2)
        hostWriteCommands = counter(3)
        controllerBusyTime = counter(4)
        powerCycles = counter(5)
        powerOnHours = counter(6)
        unsafeShutdowns = counter(7)
        mediaErrors = counter(8)
        numberOfErrorLogEntries = counter(9)
    }
}

extension NVMeSmart: JSONEncodable {
    /// qemu-ga's order: the union's `type` first, then the members in schema order.
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("type", "nvme")
        json.member("critical-warning", criticalWarning)
        json.member("temperature", temperature)
        json.member("available-spare", availableSpare)
        json.member("available-spare-threshold", availableSpareThreshold)
        json.member("percentage-used", percentageUsed)
        json.member("data-units-read-lo", dataUnitsRead.lo)
        json.member("data-units-read-hi", dataUnitsRead.hi)
        json.member("data-units-written-lo", dataUnitsWritten.lo)
        json.member("data-units-written-hi", dataUnitsWritten.hi)
        json.member("host-read-commands-lo", hostReadCommands.lo)
        json.member("host-read-commands-hi", hostReadCommands.hi)
        json.member("host-write-commands-lo", hostWriteCommands.lo)
        json.member("host-write-commands-hi", hostWriteCommands.hi)
        json.member("controller-busy-time-lo", controllerBusyTime.lo)
        json.member("controller-busy-time-hi", controllerBusyTime.hi)
        json.member("power-cycles-lo", powerCycles.lo)
        json.member("power-cycles-hi", powerCycles.hi)
        json.member("power-on-hours-lo", powerOnHours.lo)
        json.member("power-on-hours-hi", powerOnHours.hi)
        json.member("unsafe-shutdowns-lo", unsafeShutdowns.lo)
        json.member("unsafe-shutdowns-hi", unsafeShutdowns.hi)
        json.member("media-errors-lo", mediaErrors.lo)
        json.member("media-errors-hi", mediaErrors.hi)
        json.member("number-of-error-log-entries-lo", numberOfErrorLogEntries.lo)
        json.member("number-of-error-log-entries-hi", numberOfErrorLogEntries.hi)
        json.endObject()
    }
}
