import Commands
import Foundation
import Testing

/// guest-get-load against the fake getloadavg; guest-get-users against fake utmp records.
@Suite struct LoadAndUsersTests {
    let harness: InfoHarness
    init() throws { harness = try InfoHarness() }

    @Test func loadAveragesAsGetloadavgGivesThem() throws {
        // /proc/loadavg would say 0.52: the exact value must not be rounded on the way.
        try harness.file("proc/loadavg", "9.99 9.99 9.99 3/712 98765\n")
        #expect(harness.execute("guest-get-load") == #"{"return": {"load1m": 0.52001953125, "load5m": 1, "load15m": 12.25}}"# + "\n")
    }

    @Test func getloadavgFailing() {
        harness.system.loads = nil
        #expect(harness.errorDesc(#"{"execute":"guest-get-load"}"#) == "cannot query load average: Function not implemented")
    }

    @Test func usersKeepTheEarliestLoginAndFirstSeenOrder() {
        harness.system.utmp = [
            UserAccountingRecord(type: 2, user: "reboot", seconds: 100, microseconds: 0),  // BOOT_TIME
            UserAccountingRecord(type: 7, user: "bob", seconds: 1_700_000_500, microseconds: 250_000),
            UserAccountingRecord(type: 6, user: "LOGIN", seconds: 1_700_000_000, microseconds: 0),  // LOGIN_PROCESS
            UserAccountingRecord(type: 7, user: "alice", seconds: 1_700_000_200, microseconds: 0),
            UserAccountingRecord(type: 7, user: "bob", seconds: 1_700_000_100, microseconds: 500_000),
            UserAccountingRecord(type: 8, user: "carol", seconds: 1_600_000_000, microseconds: 0),  // DEAD_PROCESS
            UserAccountingRecord(type: 7, user: "alice", seconds: 1_700_000_300, microseconds: 0),
        ]
        #expect(
            harness.execute("guest-get-users")
                == #"{"return": [{"user": "bob", "login-time": 1700000100.5}, {"user": "alice", "login-time": 1700000200}]}"#
                + "\n")
    }

    @Test func noUsersIsAnEmptyList() {
        #expect(harness.execute("guest-get-users") == "{\"return\": []}\n")
    }

    @Test func realUtmpDoesNotCrash() {
        // This machine's utmp (often empty in a container); each record has a type.
        let records = LinuxSystem().userAccountingRecords()
        #expect(records.allSatisfy { $0.type >= 0 && $0.type <= 9 })
    }
}
