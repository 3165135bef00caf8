import QGAProtocol

/// The `smart` member of an NVMe disk in `guest-get-disks`: qemu-ga's `GuestDiskSmart` of type
/// `nvme`, read from the controller's SMART / Health Information log page (NVMe log id 2).
///
/// Values are the log page's, unconverted: `temperature` in kelvins, `available-spare`,
/// `available-spare-threshold` and `percentage-used` in percent, data units in thousands of
/// 512-byte units, `controller-busy-time` in minutes. The 128-bit counters are split into
/// their low and high 64 bits (`-lo`, `-hi`), as qemu-ga does.
public struct NVMeSmart: Encodable, Equatable {
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

    private enum Key: String, CodingKey {
        case type, criticalWarning = "critical-warning", temperature, availableSpare = "available-spare"
        case availableSpareThreshold = "available-spare-threshold", percentageUsed = "percentage-used"
        case dataUnitsReadLo = "data-units-read-lo", dataUnitsReadHi = "data-units-read-hi"
        case dataUnitsWrittenLo = "data-units-written-lo", dataUnitsWrittenHi = "data-units-written-hi"
        case hostReadCommandsLo = "host-read-commands-lo", hostReadCommandsHi = "host-read-commands-hi"
        case hostWriteCommandsLo = "host-write-commands-lo", hostWriteCommandsHi = "host-write-commands-hi"
        case controllerBusyTimeLo = "controller-busy-time-lo", controllerBusyTimeHi = "controller-busy-time-hi"
        case powerCyclesLo = "power-cycles-lo", powerCyclesHi = "power-cycles-hi"
        case powerOnHoursLo = "power-on-hours-lo", powerOnHoursHi = "power-on-hours-hi"
        case unsafeShutdownsLo = "unsafe-shutdowns-lo", unsafeShutdownsHi = "unsafe-shutdowns-hi"
        case mediaErrorsLo = "media-errors-lo", mediaErrorsHi = "media-errors-hi"
        case numberOfErrorLogEntriesLo = "number-of-error-log-entries-lo"
        case numberOfErrorLogEntriesHi = "number-of-error-log-entries-hi"
    }

    /// qemu-ga's order: the union's `type` first, then the members in schema order.
    public func encode(to encoder: any Encoder) throws {
        var json = encoder.container(keyedBy: Key.self)
        try json.encode("nvme", forKey: .type)
        try json.encode(criticalWarning, forKey: .criticalWarning)
        try json.encode(temperature, forKey: .temperature)
        try json.encode(availableSpare, forKey: .availableSpare)
        try json.encode(availableSpareThreshold, forKey: .availableSpareThreshold)
        try json.encode(percentageUsed, forKey: .percentageUsed)
        let counters: [(Counter, Key, Key)] = [
            (dataUnitsRead, .dataUnitsReadLo, .dataUnitsReadHi),
            (dataUnitsWritten, .dataUnitsWrittenLo, .dataUnitsWrittenHi),
            (hostReadCommands, .hostReadCommandsLo, .hostReadCommandsHi),
            (hostWriteCommands, .hostWriteCommandsLo, .hostWriteCommandsHi),
            (controllerBusyTime, .controllerBusyTimeLo, .controllerBusyTimeHi),
            (powerCycles, .powerCyclesLo, .powerCyclesHi),
            (powerOnHours, .powerOnHoursLo, .powerOnHoursHi),
            (unsafeShutdowns, .unsafeShutdownsLo, .unsafeShutdownsHi),
            (mediaErrors, .mediaErrorsLo, .mediaErrorsHi),
            (numberOfErrorLogEntries, .numberOfErrorLogEntriesLo, .numberOfErrorLogEntriesHi),
        ]
        for (counter, lo, hi) in counters {
            try json.encode(counter.lo, forKey: lo)
            try json.encode(counter.hi, forKey: hi)
        }
    }
}
