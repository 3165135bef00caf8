import Commands
import Foundation
import Testing

/// guest-get-vcpus / guest-set-vcpus against a fake `sys/devices/system/cpu` tree.
@Suite struct VCPUTests {
    let harness: SysfsHarness

    /// cpu0 without `online` (as on x86), cpu1 online, cpu2 offline, a gap, cpu5 and cpu10 online
    /// (cpu10 lists before cpu2 by name), and the non-CPU entries sysfs has next to them.
    init() throws {
        harness = try SysfsHarness()
        try harness.directory("devices/system/cpu/cpu0")
        try harness.file("devices/system/cpu/cpu1/online", "1\n")
        try harness.file("devices/system/cpu/cpu2/online", "0\n")
        try harness.file("devices/system/cpu/cpu5/online", "1\n")
        try harness.file("devices/system/cpu/cpu10/online", "1\n")
        try harness.directory("devices/system/cpu/cpufreq")
        try harness.directory("devices/system/cpu/cpuidle")
        try harness.file("devices/system/cpu/online", "0-1,5,10\n")
        try harness.file("devices/system/cpu/possible", "0-10\n")
        try harness.file("devices/system/cpu/kernel_max", "8191\n")
    }

    func setVCPUs(_ vcpus: String) -> String {
        harness.send(#"{"execute":"guest-set-vcpus","arguments":{"vcpus":\#(vcpus)}}"#)
    }

    @Test func getListsEveryCPUSortedByLogicalID() {
        #expect(
            harness.send(#"{"execute":"guest-get-vcpus"}"#)
                == #"{"return": [{"logical-id": 0, "online": true, "can-offline": false}, "#
                + #"{"logical-id": 1, "online": true, "can-offline": true}, "#
                + #"{"logical-id": 2, "online": false, "can-offline": true}, "#
                + #"{"logical-id": 5, "online": true, "can-offline": true}, "#
                + #"{"logical-id": 10, "online": true, "can-offline": true}]}"# + "\n")
    }

    /// Only `cpu` followed by decimal digits that fit an int64 is a CPU.
    @Test(arguments: ["cpu", "cpu1x", "cpux1", "CPU3", "cpu-1", "cpu99999999999999999999"])
    func entriesThatOnlyLookLikeCPUsAreSkipped(name: String) throws {
        try harness.directory("devices/system/cpu/\(name)")
        let reply = harness.send(#"{"execute":"guest-get-vcpus"}"#)
        let ids = reply.split(separator: "\"logical-id\": ").dropFirst().map { $0.prefix { $0.isNumber } }
        #expect(ids == ["0", "1", "2", "5", "10"], "\(reply)")
    }

    @Test func getReportsAMissingCPUDirectory() throws {
        try FileManager.default.removeItem(atPath: harness.sysfs + "/devices/system/cpu")
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-vcpus"}"#)
                == "failed to list entries: \(harness.sysfs)/devices/system/cpu: No such file or directory")
    }

    @Test func getReportsAnEmptyOnlineFile() throws {
        try harness.file("devices/system/cpu/cpu3/online", "")
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-vcpus"}"#)
                == "pread(\"\(harness.sysfs)/devices/system/cpu/cpu3//online\"): unexpected EOF")
    }

    @Test func setOfflineWritesZero() {
        #expect(setVCPUs(#"[{"logical-id":1,"online":false}]"#) == "{\"return\": 1}\n")
        #expect(harness.read("devices/system/cpu/cpu1/online") == "0")
        // And the next get sees it.
        let list = harness.result(#"{"execute":"guest-get-vcpus"}"#) as? [[String: Any]]
        #expect(list?.first { $0["logical-id"] as? Int == 1 }?["online"] as? Bool == false)
    }

    @Test func setOnlineWritesOne() {
        #expect(setVCPUs(#"[{"logical-id":2,"online":true}]"#) == "{\"return\": 1}\n")
        #expect(harness.read("devices/system/cpu/cpu2/online") == "1")
    }

    @Test func unchangedStateIsNotWritten() {
        #expect(
            setVCPUs(#"[{"logical-id":1,"online":true},{"logical-id":2,"online":false},{"logical-id":0,"online":true}]"#)
                == "{\"return\": 3}\n")
        #expect(harness.system.writtenPaths.isEmpty)
        #expect(harness.read("devices/system/cpu/cpu1/online") == "1\n")
        #expect(harness.read("devices/system/cpu/cpu2/online") == "0\n")
    }

    @Test func returnsTheLeadingSuccessCountWhenALaterEntryFails() {
        // The second entry fails; the third is never applied.
        #expect(
            setVCPUs(#"[{"logical-id":1,"online":false},{"logical-id":99,"online":false},{"logical-id":2,"online":true}]"#)
                == "{\"return\": 1}\n")
        #expect(harness.read("devices/system/cpu/cpu1/online") == "0")
        #expect(harness.read("devices/system/cpu/cpu2/online") == "0\n")
    }

    @Test func cpu0RefusalAfterASuccessIsACount() {
        #expect(
            setVCPUs(#"[{"logical-id":5,"online":false},{"logical-id":0,"online":false}]"#) == "{\"return\": 1}\n")
        #expect(harness.read("devices/system/cpu/cpu5/online") == "0")
    }

    @Test func cpu0CannotBeOfflined() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":0,"online":false}]}}"#)
                == "logical processor #0 can't be offlined")
    }

    @Test func unknownIDNamesThePathUsed() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":99,"online":true}]}}"#)
                == "Could not open '\(harness.sysfs)/devices/system/cpu/cpu99/': No such file or directory")
    }

    @Test func anOnlineFileThatCannotBeOpenedIsNamedAs11Does() {
        harness.system.openErrors[harness.sysfs + "/devices/system/cpu/cpu1//online"] = EACCES
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-vcpus"}"#)
                == "could not open \(harness.sysfs)/devices/system/cpu/cpu1//online: Permission denied")
    }

    @Test func aRefusedWriteIsAnError() {
        harness.system.writeErrors[harness.sysfs + "/devices/system/cpu/cpu1//online"] = EBUSY
        #expect(
            harness.errorDesc(#"{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":1,"online":false}]}}"#)
                == "pwrite(\"\(harness.sysfs)/devices/system/cpu/cpu1//online\"): Device or resource busy")
    }

    @Test func emptyListIsZero() {
        #expect(setVCPUs("[]") == "{\"return\": 0}\n")
    }

    @Test func canOfflineIsAcceptedOnInput() {
        #expect(setVCPUs(#"[{"logical-id":2,"online":true,"can-offline":true}]"#) == "{\"return\": 1}\n")
    }

    @Test(arguments: [
        (#"{"vcpus":[{"logical-id":"1","online":true}]}"#, "Invalid parameter type for 'vcpus[0].logical-id', expected: integer"),
        (#"{"vcpus":[{"logical-id":1}]}"#, "Parameter 'vcpus[0].online' is missing"),
        (#"{"vcpus":[{"logical-id":1,"online":true},{"logical-id":2,"online":1}]}"#, "Invalid parameter type for 'vcpus[1].online', expected: boolean"),
        (#"{"vcpus":[{"logical-id":1,"online":true,"bogus":1}]}"#, "Parameter 'vcpus[0].bogus' is unexpected"),
        (#"{"vcpus":{"logical-id":1,"online":true}}"#, "Invalid parameter type for 'vcpus', expected: array"),
        (#"{}"#, "Parameter 'vcpus' is missing"),
    ])
    func argumentErrors(arguments: String, desc: String) {
        #expect(harness.errorDesc(#"{"execute":"guest-set-vcpus","arguments":\#(arguments)}"#) == desc)
        #expect(harness.system.writtenPaths.isEmpty)
    }
}
