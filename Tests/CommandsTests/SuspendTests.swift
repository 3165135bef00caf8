import Commands
import Foundation
import ProcessRunner
import Testing

/// guest-suspend-ram/-disk/-hybrid: which mechanism is chosen, through the recording runner and
/// a fake `sys/power/state`. No real helper ever runs.
@Suite struct SuspendTests {
    let harness: SysfsHarness

    init() throws {
        harness = try SysfsHarness()
        // Programs not scripted are not installed.
        script([:])
    }

    /// Answers each invocation by its command line; anything else fails to start with ENOENT.
    func script(_ outcomes: [String: ProcessOutcome]) {
        harness.system.respond = { invocation in
            outcomes[invocation.description] ?? ProcessOutcome(termination: .failedToStart(ENOENT))
        }
    }

    var commandLines: [String] { harness.system.invocations.map(\.description) }

    static let exit0 = ProcessOutcome(termination: .exited(0))
    static let inactive = ProcessOutcome(termination: .exited(3))
    static let unknownUnit = ProcessOutcome(termination: .exited(4))

    static let modes: [(command: String, unit: String, verb: String, pmFlag: String, pmProgram: String)] = [
        ("guest-suspend-ram", "systemd-suspend", "suspend", "--suspend", "pm-suspend"),
        ("guest-suspend-disk", "systemd-hibernate", "hibernate", "--hibernate", "pm-hibernate"),
        ("guest-suspend-hybrid", "systemd-hybrid-sleep", "hybrid-sleep", "--suspend-hybrid", "pm-suspend-hybrid"),
    ]

    @Test(arguments: modes)
    func systemdIsUsedWhenTheUnitExists(mode: (command: String, unit: String, verb: String, pmFlag: String, pmProgram: String)) {
        script(["systemctl status \(mode.unit)": Self.inactive, "systemctl \(mode.verb)": Self.exit0])
        #expect(harness.send(#"{"execute":"\#(mode.command)"}"#) == "")
        #expect(commandLines == ["systemctl status \(mode.unit)", "systemctl \(mode.verb)"])
        #expect(harness.system.invocations.allSatisfy { $0.timeout != nil })
    }

    @Test(arguments: [Int32(1), 2, 3])
    func lsbStatusesOneToThreeMeanSupported(status: Int32) {
        script(["systemctl status systemd-suspend": ProcessOutcome(termination: .exited(status)), "systemctl suspend": Self.exit0])
        #expect(harness.send(#"{"execute":"guest-suspend-ram"}"#) == "")
        #expect(commandLines.last == "systemctl suspend")
    }

    @Test(arguments: modes)
    func pmUtilsIsUsedWhenSystemctlIsMissing(mode: (command: String, unit: String, verb: String, pmFlag: String, pmProgram: String)) {
        script(["pm-is-supported \(mode.pmFlag)": Self.exit0, mode.pmProgram: Self.exit0])
        #expect(harness.send(#"{"execute":"\#(mode.command)"}"#) == "")
        #expect(commandLines == ["systemctl status \(mode.unit)", "pm-is-supported \(mode.pmFlag)", mode.pmProgram])
    }

    @Test func pmUtilsIsUsedWhenSystemdReportsTheUnitUnknown() {
        script([
            "systemctl status systemd-suspend": Self.unknownUnit, "pm-is-supported --suspend": Self.exit0,
            "pm-suspend": Self.exit0,
        ])
        #expect(harness.send(#"{"execute":"guest-suspend-ram"}"#) == "")
        #expect(commandLines == ["systemctl status systemd-suspend", "pm-is-supported --suspend", "pm-suspend"])
    }

    @Test(arguments: [("guest-suspend-ram", "mem"), ("guest-suspend-disk", "disk")])
    func sysfsIsWrittenWhenNoHelperApplies(command: String, word: String) throws {
        try harness.file("power/state", "freeze mem disk\n")
        script(["systemctl status systemd-suspend": Self.unknownUnit, "systemctl status systemd-hibernate": Self.unknownUnit])
        #expect(harness.send(#"{"execute":"\#(command)"}"#) == "")
        #expect(harness.read("power/state") == word)
        #expect(commandLines.count == 2)  // the systemd probe and the pm-utils probe, nothing else
    }

    @Test(arguments: ["freeze\n", "", "freeze memory disks\n"])
    func stateWithoutTheWordIsNotSupported(state: String) throws {
        try harness.file("power/state", state)
        #expect(
            harness.errorDesc(#"{"execute":"guest-suspend-ram"}"#)
                == "the requested suspend mode is not supported by the guest")
        #expect(harness.read("power/state") == state)
        #expect(harness.system.writtenPaths.isEmpty)
    }

    @Test func hybridHasNoSysfsPath() throws {
        try harness.file("power/state", "freeze mem disk\n")
        #expect(
            harness.errorDesc(#"{"execute":"guest-suspend-hybrid"}"#)
                == "the requested suspend mode is not supported by the guest")
        #expect(harness.system.writtenPaths.isEmpty)
    }

    @Test func nothingAtAllIsNotSupported() {
        // No systemctl, no pm-utils, no power/state file; a probe exit 0 is not an LSB "exists".
        script(["systemctl status systemd-hibernate": Self.exit0])
        #expect(
            harness.errorDesc(#"{"execute":"guest-suspend-disk"}"#)
                == "the requested suspend mode is not supported by the guest")
        #expect(!commandLines.contains("systemctl hibernate"))
    }

    @Test func aFailingHelperGetsAnErrorReplyWithItsOutput() {
        script([
            "systemctl status systemd-suspend": Self.inactive,
            "systemctl suspend": ProcessOutcome(
                termination: .exited(1), output: Array("Failed to suspend system via logind: Sleep verb not supported\n".utf8)),
        ])
        #expect(
            harness.send(#"{"execute":"guest-suspend-ram","id":"s1"}"#)
                == #"{"id": "s1", "error": {"class": "GenericError", "desc": "the helper program 'systemctl suspend' "#
                + #"returned an unexpected exit status code (1): Failed to suspend system via logind: Sleep verb not supported"}}"#
                + "\n")
    }

    @Test func aFailingSystemctlFallsThroughToPmUtils() {
        script([
            "systemctl status systemd-suspend": Self.inactive, "systemctl suspend": ProcessOutcome(termination: .exited(1)),
            "pm-is-supported --suspend": Self.exit0, "pm-suspend": Self.exit0,
        ])
        #expect(harness.send(#"{"execute":"guest-suspend-ram"}"#) == "")
        #expect(commandLines.last == "pm-suspend")
    }

    @Test func aHungHelperIsReportedAfterItsTimeout() {
        script(["systemctl status systemd-suspend": Self.inactive, "systemctl suspend": ProcessOutcome(termination: .timedOut)])
        let desc = harness.errorDesc(#"{"execute":"guest-suspend-ram"}"#) ?? ""
        #expect(desc.hasPrefix("the helper program 'systemctl suspend' did not finish within"))
    }

    @Test func aRefusedSysfsWriteIsAnError() throws {
        try harness.file("power/state", "freeze mem disk\n")
        harness.system.writeErrors[harness.sysfs + "/power/state"] = EBUSY
        #expect(
            harness.errorDesc(#"{"execute":"guest-suspend-ram"}"#)
                == "suspend: cannot write to '\(harness.sysfs)/power/state': Device or resource busy")
    }

    @Test func theAgentKeepsServingAfterResume() {
        script(["systemctl status systemd-suspend": Self.inactive, "systemctl suspend": Self.exit0])
        // Pipelined: the suspend answers nothing, the ping after it is answered.
        #expect(
            harness.send(#"{"execute":"guest-suspend-ram","id":1}{"execute":"guest-ping","id":2}"#)
                == "{\"return\": {}, \"id\": 2}\n")
    }

    @Test func guestInfoListsThemWithoutSuccessResponse() throws {
        let info = harness.result(#"{"execute":"guest-info"}"#) as? [String: Any]
        let commands = info?["supported_commands"] as? [[String: Any]] ?? []
        var successResponse: [String: Bool] = [:]
        for command in commands {
            if let name = command["name"] as? String { successResponse[name] = command["success-response"] as? Bool }
        }
        for name in ["guest-suspend-ram", "guest-suspend-disk", "guest-suspend-hybrid", "guest-shutdown"] {
            #expect(successResponse[name] == false, "\(name)")
        }
        for name in [
            "guest-get-vcpus", "guest-set-vcpus", "guest-get-memory-blocks", "guest-set-memory-blocks",
            "guest-get-memory-block-info",
        ] {
            #expect(successResponse[name] == true, "\(name)")
        }
    }

    @Test func suspendTakesNoArguments() {
        #expect(
            harness.errorDesc(#"{"execute":"guest-suspend-ram","arguments":{"mode":"mem"}}"#)
                == "Parameter 'mode' is unexpected")
        #expect(harness.system.invocations.isEmpty)
    }
}
