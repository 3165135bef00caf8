import Commands
import Foundation
import Testing

/// guest-get-cpustats and guest-get-diskstats against fake `proc/stat` and `proc/diskstats`.
@Suite struct ProcStatsTests {
    let harness: InfoHarness
    init() throws { harness = try InfoHarness() }

    @Test func cpuStatsInMilliseconds() throws {
        try harness.file("proc/stat", """
            cpu  300 4 50 9000 7 0 3 1 0 0
            cpu0 100 2 25 4500 5 0 1 1 0 0
            cpu1 200 2 25 4500 2 0 2 0 3 4
            intr 12345 0 0
            ctxt 987
            btime 1700000000

            """)
        #expect(
            harness.execute("guest-get-cpustats")
                == #"{"return": [{"type": "linux", "cpu": 0, "user": 1000, "nice": 20, "system": 250, "idle": 45000, "#
                + #""iowait": 50, "irq": 0, "softirq": 10, "steal": 10, "guest": 0, "guestnice": 0}, "#
                + #"{"type": "linux", "cpu": 1, "user": 2000, "nice": 20, "system": 250, "idle": 45000, "#
                + #""iowait": 20, "irq": 0, "softirq": 20, "steal": 0, "guest": 30, "guestnice": 40}]}"# + "\n")
    }

    @Test func oldKernelsPrintFewerColumns() throws {
        harness.system.clockTicks = 250
        try harness.file("proc/stat", "cpu0 250 0 500 1000\ncpu1 1 2 3 4 5\ncpu2 1 2 3 4 5 6 7 8\n")
        let list = harness.result("guest-get-cpustats") as? [[String: Any]]
        #expect(list?.count == 3)
        #expect(Set(list?[0].keys ?? [:].keys) == ["type", "cpu", "user", "nice", "system", "idle"])
        #expect(list?[0]["user"] as? Int == 1000)
        #expect(list?[0]["system"] as? Int == 2000)
        #expect(list?[1]["iowait"] as? Int == 20)
        #expect(list?[1]["irq"] == nil)
        #expect(list?[2]["steal"] as? Int == 32)
        #expect(list?[2]["guest"] == nil)
    }

    @Test func aShortCPULineEndsTheList() throws {
        try harness.file("proc/stat", "cpu0 1 2 3 4\ncpu1 1 2 3\ncpu2 1 2 3 4\n")
        #expect((harness.result("guest-get-cpustats") as? [Any])?.count == 1)
    }

    @Test func hugeCountersDoNotOverflow() throws {
        // 2^64-1 ticks at 100 Hz is more milliseconds than 64 bits hold: saturated, not a crash.
        // 18446744073709551 ticks is the largest whose milliseconds fit: 184467440737095510.
        try harness.file("proc/stat", "cpu0 18446744073709551615 18446744073709551 0 0\n")
        let list = harness.result("guest-get-cpustats") as? [[String: Any]]
        #expect((list?[0]["user"] as? NSNumber)?.uint64Value == UInt64.max)
        #expect((list?[0]["nice"] as? NSNumber)?.uint64Value == 184_467_440_737_095_510)
    }

    @Test func missingProcStat() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-cpustats"}"#)
                == "Could not open '\(harness.procfs)/stat': No such file or directory")
    }

    @Test func diskStatsAllFieldCounts() throws {
        try harness.file("proc/diskstats", """
               8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
               8       1 sda1 100 200 300 400
             254       0 vda 1 2 3 4 5 6 7 8 9 10 11
             254       1 vda1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
               7       0 loop0 1 2 3
               7       1 loop1 1 2 3 4 5 6 7 8
            garbage line

            """)
        let list = harness.result("guest-get-diskstats") as? [[String: Any]]
        #expect(list?.map { $0["name"] as? String } == ["sda", "sda1", "vda", "vda1", "loop1"])
        let sda = list?[0]["stats"] as? [String: Int]
        #expect(
            sda == [
                "read-ios": 1, "read-merges": 2, "read-sectors": 3, "read-ticks": 4, "write-ios": 5, "write-merges": 6,
                "write-sectors": 7, "write-ticks": 8, "ios-pgr": 9, "total-ticks": 10, "weight-ticks": 11,
                "discard-ios": 12, "discard-merges": 13, "discard-sectors": 14, "discard-ticks": 15, "flush-ios": 16,
                "flush-ticks": 17,
            ])
        #expect(list?[0]["major"] as? Int == 8)
        #expect(list?[1]["minor"] as? Int == 1)
        #expect(
            list?[1]["stats"] as? [String: Int]
                == ["read-ios": 100, "read-sectors": 200, "write-ios": 300, "write-sectors": 400])
        #expect((list?[2]["stats"] as? [String: Int])?.count == 11)
        #expect((list?[3]["stats"] as? [String: Int])?.count == 15)
        #expect((list?[3]["stats"] as? [String: Int])?["flush-ios"] == nil)
        // 8 numbers: more than the old 4-field form, fewer than 11: qemu-ga sends empty stats.
        #expect((list?[4]["stats"] as? [String: Int]) == [:])
    }

    @Test func diskStatsKeyOrder() throws {
        try harness.file("proc/diskstats", " 254 0 vda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n")
        #expect(
            harness.execute("guest-get-diskstats")
                == #"{"return": [{"name": "vda", "major": 254, "minor": 0, "stats": {"read-sectors": 3, "read-ios": 1, "#
                + #""read-merges": 2, "write-sectors": 7, "write-ios": 5, "write-merges": 6, "discard-sectors": 14, "#
                + #""discard-ios": 12, "discard-merges": 13, "flush-ios": 16, "read-ticks": 4, "write-ticks": 8, "#
                + #""discard-ticks": 15, "flush-ticks": 17, "ios-pgr": 9, "total-ticks": 10, "weight-ticks": 11}}]}"# + "\n")
    }

    @Test func missingDiskstats() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-diskstats"}"#)
                == "Could not open '\(harness.procfs)/diskstats': No such file or directory")
    }
}
