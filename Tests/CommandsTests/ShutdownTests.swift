import Commands
import Foundation
import ProcessRunner
import Testing

/// guest-shutdown through the recording runner. `/sbin` is whatever the test says it is,
/// never this machine's; no real program runs.
@Suite struct ShutdownTests {
    let harness: SysfsHarness

    init() throws {
        harness = try SysfsHarness()
        harness.system.realExecutables = false
    }

    static let cases: [(mode: String?, program: String, flag: String)] = [
        (nil, "/sbin/poweroff", "-P"), ("powerdown", "/sbin/poweroff", "-P"), ("halt", "/sbin/halt", "-H"),
        ("reboot", "/sbin/reboot", "-r"),
    ]

    func request(_ mode: String?) -> String {
        guard let mode else { return #"{"execute":"guest-shutdown"}"# }
        return #"{"execute":"guest-shutdown","arguments":{"mode":"\#(mode)"}}"#
    }

    @Test(arguments: cases)
    func usesTheDedicatedProgramWhenExecutable(mode: String?, program: String, flag: String) {
        harness.system.executables = ["/sbin/poweroff", "/sbin/halt", "/sbin/reboot"]
        #expect(harness.send(request(mode)) == "")
        #expect(harness.system.invocations.map { [$0.executable] + $0.arguments } == [[program]])
    }

    @Test(arguments: cases)
    func fallsBackToShutdown(mode: String?, program: String, flag: String) {
        // Only the other programs exist: the one for this mode is missing.
        harness.system.executables = Set(["/sbin/poweroff", "/sbin/halt", "/sbin/reboot"]).subtracting([program])
        #expect(harness.send(request(mode)) == "")
        #expect(
            harness.system.invocations.map { [$0.executable] + $0.arguments } == [
                ["/sbin/shutdown", "-h", flag, "+0", "hypervisor initiated shutdown"]
            ])
    }

    @Test func syncsBeforeRunning() {
        var syncsAtRun: [Int] = []
        let system = harness.system
        system.respond = { _ in
            syncsAtRun.append(system.syncCount)
            return ProcessOutcome(termination: .exited(0))
        }
        #expect(harness.send(request("reboot")) == "")
        #expect(syncsAtRun == [1])
        #expect(system.invocations.allSatisfy { $0.timeout != nil })
    }

    @Test(arguments: ["poweroff", "", "Reboot"])
    func badModeIsRefusedBeforeAnythingRuns(mode: String) {
        #expect(
            harness.send(#"{"execute":"guest-shutdown","arguments":{"mode":"\#(mode)"},"id":7}"#)
                == #"{"id": 7, "error": {"class": "GenericError", "desc": "mode is invalid (valid values are: halt|powerdown|reboot"}}"#
                + "\n")
        #expect(harness.system.invocations.isEmpty)
        #expect(harness.system.syncCount == 0)
    }

    @Test func modeMustBeAString() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-shutdown","arguments":{"mode":1}}"#)
                == "Invalid parameter type for 'mode', expected: string")
        #expect(harness.system.invocations.isEmpty)
    }

    @Test(arguments: [
        (ProcessOutcome(termination: .exited(1), output: Array("Failed to talk to init daemon.\n".utf8)),
         "child process has failed to shutdown: Failed to talk to init daemon."),
        (ProcessOutcome(termination: .exited(3)), "child process has failed to shutdown: exit status 3"),
        (ProcessOutcome(termination: .signaled(9)), "child process has terminated abnormally"),
        (ProcessOutcome(termination: .signaled(6), output: Array("aborted\n".utf8)),
         "child process has terminated abnormally: aborted"),
        (ProcessOutcome(termination: .failedToStart(ENOENT)),
         "child process has failed to shutdown: failed to exec '/sbin/shutdown': No such file or directory"),
    ])
    func failureSendsAnErrorReply(outcome: ProcessOutcome, desc: String) {
        harness.system.respond = { _ in outcome }
        #expect(
            harness.send(#"{"execute":"guest-shutdown","id":"x"}"#)
                == #"{"id": "x", "error": {"class": "GenericError", "desc": "\#(desc)"}}"# + "\n")
    }
}
