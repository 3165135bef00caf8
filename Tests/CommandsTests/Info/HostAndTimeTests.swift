import Commands
import Foundation
import ProcessRunner
import Testing

/// guest-get-host-name, guest-get-time, guest-get-timezone and guest-set-time over the
/// recording seam. guest-set-time is tested ONLY here, against RecordingSystem: the real clock
/// of this machine is never set.
@Suite struct HostAndTimeTests {
    let harness: InfoHarness
    init() throws { harness = try InfoHarness() }

    @Test func hostName() {
        harness.system.host = "guest-01.example"
        #expect(harness.execute("guest-get-host-name") == #"{"return": {"host-name": "guest-01.example"}}"# + "\n")
    }

    @Test func hostNameFailure() {
        harness.system.host = nil
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-host-name"}"#) == "cannot get hostname: File name too long")
    }

    @Test func timeIsNanoseconds() {
        harness.system.clock = 1_712_345_678_987_654_321
        #expect(harness.execute("guest-get-time") == "{\"return\": 1712345678987654321}\n")
    }

    @Test func timezoneUsesTheCurrentSecond() {
        harness.system.clock = 1_700_000_000_999_999_999
        harness.system.timeZone = LocalTimeZone(abbreviation: "EST", offset: -18000)
        #expect(harness.execute("guest-get-timezone") == #"{"return": {"zone": "EST", "offset": -18000}}"# + "\n")
        #expect(harness.system.timeZoneQueries == [1_700_000_000])
    }

    @Test func timezoneWithoutAbbreviationLeavesZoneOut() {
        harness.system.timeZone = LocalTimeZone(abbreviation: "", offset: 19800)
        #expect(harness.execute("guest-get-timezone") == #"{"return": {"offset": 19800}}"# + "\n")
    }

    @Test func realTimeZoneOfThisProcess() {
        // LinuxSystem against glibc: the offset is seconds east, whatever TZ this runs under.
        let zone = LinuxSystem().localTimeZone(at: 1_700_000_000)
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(zone.offset == TimeZone.current.secondsFromGMT(for: date))
    }

    // MARK: guest-set-time (fake clock only)

    @Test func setWithTimeSetsTheClockThenTheRTC() {
        #expect(harness.send(#"{"execute":"guest-set-time","arguments":{"time":1700000000123456789}}"#) == "{\"return\": {}}\n")
        #expect(harness.system.systemTimeSets == [1_700_000_000_123_456_789])
        #expect(harness.system.invocations.map(\.description) == ["/sbin/hwclock -w"])
    }

    @Test func setWithoutTimeReadsTheRTC() {
        #expect(harness.send(#"{"execute":"guest-set-time"}"#) == "{\"return\": {}}\n")
        #expect(harness.system.systemTimeSets.isEmpty)
        #expect(harness.system.invocations.map(\.description) == ["/sbin/hwclock -s"])
    }

    @Test(arguments: [Int64(-1_000_000_000), 3_155_760_000_000_000_000, Int64.max, Int64.min])
    func outOfRangeTimesChangeNothing(time: Int64) {
        #expect(
            harness.errorDesc(#"{"execute":"guest-set-time","arguments":{"time":\#(time)}}"#) == "Invalid time")
        #expect(harness.system.systemTimeSets.isEmpty)
        #expect(harness.system.invocations.isEmpty)
    }

    @Test func rangeEdgesAreAccepted() {
        for time in [Int64(0), 3_155_759_999_999_999_999] {
            #expect(harness.send(#"{"execute":"guest-set-time","arguments":{"time":\#(time)}}"#) == "{\"return\": {}}\n")
        }
        #expect(harness.system.systemTimeSets == [0, 3_155_759_999_999_999_999])
    }

    @Test func clockRefusalSkipsHwclock() {
        harness.system.setSystemTimeError = EPERM
        #expect(
            harness.errorDesc(#"{"execute":"guest-set-time","arguments":{"time":1700000000000000000}}"#)
                == "Failed to set time to guest: Operation not permitted")
        #expect(harness.system.invocations.isEmpty)
    }

    @Test(arguments: [
        (ProcessOutcome(termination: .exited(1), output: Array("hwclock: Cannot access the Hardware Clock\n".utf8)),
         "child process has failed to set hardware clock to system time: hwclock: Cannot access the Hardware Clock"),
        (ProcessOutcome(termination: .exited(2)), "child process has failed to set hardware clock to system time: exit status 2"),
        (ProcessOutcome(termination: .signaled(9)), "child process has terminated abnormally"),
        (ProcessOutcome(termination: .failedToStart(ENOENT)),
         "child process has failed to set hardware clock to system time: failed to exec '/sbin/hwclock': No such file or directory"),
        (ProcessOutcome(termination: .timedOut),
         "child process has failed to set hardware clock to system time: no exit within 60 seconds"),
    ])
    func hwclockFailures(outcome: ProcessOutcome, desc: String) {
        harness.system.respond = { _ in outcome }
        #expect(harness.errorDesc(#"{"execute":"guest-set-time"}"#) == desc)
    }

    @Test(arguments: [
        (#"{"time":"1"}"#, "Invalid parameter type for 'time', expected: integer"),
        (#"{"time":1.5}"#, "Invalid parameter type for 'time', expected: integer"),
        (#"{"when":1}"#, "Parameter 'when' is unexpected"),
    ])
    func setArgumentErrors(arguments: String, desc: String) {
        #expect(harness.errorDesc(#"{"execute":"guest-set-time","arguments":\#(arguments)}"#) == desc)
        #expect(harness.system.systemTimeSets.isEmpty)
        #expect(harness.system.invocations.isEmpty)
    }
}
