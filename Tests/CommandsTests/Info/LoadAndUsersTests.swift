import Commands
import Foundation
import Testing

/// guest-get-load against a fake `proc/loadavg`; guest-get-users against fake utmp records.
@Suite struct LoadAndUsersTests {
    let harness: InfoHarness
    init() throws { harness = try InfoHarness() }

    @Test func loadAverages() throws {
        try harness.file("proc/loadavg", "0.52 1.00 12.25 3/712 98765\n")
        #expect(harness.execute("guest-get-load") == #"{"return": {"load1m": 0.52, "load5m": 1, "load15m": 12.25}}"# + "\n")
    }

    @Test func missingLoadavg() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-load"}"#) == "cannot query load average: No such file or directory")
    }

    @Test(arguments: ["", "0.5 x 1\n", "0.1 0.2\n", "nan 1 2\n"])
    func malformedLoadavg(content: String) throws {
        try harness.file("proc/loadavg", content)
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-load"}"#)
                == "cannot query load average: unexpected content in \"\(harness.procfs)/loadavg\"")
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
