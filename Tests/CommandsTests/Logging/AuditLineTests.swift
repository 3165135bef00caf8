import Commands
import Foundation
import FreezeHooks
import ProcessRunner
import Testing

/// The audit lines (qemu-ga's `slog`, sent to syslog) each command writes, with qemu-ga's
/// texts as `qga/commands*.c` word them. The commands that change this machine run only
/// against the recording system here; the binary test compares the safe ones with qemu-ga's.
@Suite struct AuditLineTests {
    let harness: SysfsHarness

    init() throws {
        harness = try SysfsHarness()
        harness.system.realExecutables = false
    }

    var audits: [String] { harness.log.audits }

    @Test func ping() {
        _ = harness.send(#"{"execute":"guest-ping"}"#)
        _ = harness.send(#"{"execute":"guest-sync","arguments":{"id":1}}"#)
        #expect(audits == ["guest-ping called"])
    }

    @Test(arguments: [("reboot", "reboot"), ("halt", "halt"), (nil, "(null)"), ("bogus", "bogus")] as [(String?, String)])
    func shutdownIsAuditedBeforeTheModeIsChecked(mode: String?, shown: String) {
        harness.system.executables = ["/sbin/poweroff", "/sbin/halt", "/sbin/reboot"]
        let arguments = mode.map { #","arguments":{"mode":"\#($0)"}"# } ?? ""
        _ = harness.send(#"{"execute":"guest-shutdown"\#(arguments)}"#)
        #expect(audits == ["guest-shutdown called, mode: \(shown)"])
        #expect(harness.system.invocations.count == (mode == "bogus" ? 0 : 1))
    }

    @Test func fileOpenReadWriteClose() throws {
        let path = harness.root + "/audited"
        let handle = try #require(harness.call("guest-file-open", ["path": path, "mode": "w+"]).value as? Int)
        _ = harness.call("guest-file-write", ["handle": handle, "buf-b64": b64(Array("x".utf8))])
        _ = harness.call("guest-file-read", ["handle": handle])
        _ = harness.call("guest-file-close", ["handle": handle])
        let reader = try #require(harness.call("guest-file-open", ["path": path]).value as? Int)
        #expect(
            audits == [
                "guest-file-open called, filepath: \(path), mode: w+", "guest-file-open, handle: \(handle)",
                "guest-file-close called, handle: \(handle)",
                "guest-file-open called, filepath: \(path), mode: r", "guest-file-open, handle: \(reader)",
            ])
    }

    @Test func failedOpenIsAuditedWithoutAHandle() {
        let path = harness.root + "/missing/file"
        #expect(harness.call("guest-file-open", ["path": path]).errorDesc != nil)
        #expect(audits == ["guest-file-open called, filepath: \(path), mode: r"])
    }

    @Test func failedReadAndWriteUseQemuGasText() throws {
        // A directory opens read-only but cannot be read; a read-only descriptor cannot be written.
        let handle = try #require(harness.call("guest-file-open", ["path": harness.root]).value as? Int)
        #expect(harness.call("guest-file-read", ["handle": handle]).errorDesc != nil)
        #expect(harness.call("guest-file-write", ["handle": handle, "buf-b64": "eA=="]).errorDesc != nil)
        // qemu-ga's guest-file-read says "write" too.
        #expect(Array(audits.dropFirst(2)) == ["guest-file-write failed, handle: \(handle)", "guest-file-write failed, handle: \(handle)"])
    }

    @Test func execAndStatus() throws {
        let pid = try #require(harness.call("guest-exec", ["path": "/bin/true", "arg": ["a b", "c"]]).result["pid"] as? Int)
        _ = harness.call("guest-exec-status", ["pid": pid])
        _ = harness.call("guest-exec-status", ["pid": -1])
        #expect(
            audits == [
                #"guest-exec called: "/bin/true a b c""#, "guest-exec-status called, pid: \(pid)",
                "guest-exec-status called, pid: 4294967295",
            ])
    }

    @Test("commands qemu-ga does not audit write no audit line", arguments: [
        #"{"execute":"guest-set-time","arguments":{"time":1700000000000000000}}"#,
        #"{"execute":"guest-set-user-password","arguments":{"username":"u","password":"cGFzcw==","crypted":false}}"#,
        #"{"execute":"guest-suspend-ram"}"#,
        #"{"execute":"guest-get-time"}"#,
        #"{"execute":"guest-info"}"#,
    ])
    func notAudited(request: String) {
        harness.system.respond = { _ in ProcessOutcome(termination: .exited(0)) }
        _ = harness.send(request)
        #expect(audits == [])
    }

    @Test func fstrim() {
        _ = harness.send(#"{"execute":"guest-fstrim"}"#)
        #expect(audits == ["guest-fstrim called"])
    }
}

/// fsfreeze's audit lines, over the fake filesystems.
@Suite struct FreezeAuditLineTests {
    @Test func freezeThenThaw() {
        let f = FreezeFixture()
        _ = f.execute("guest-fsfreeze-freeze")
        #expect(f.log.audits == ["guest-fsfreeze called"])
        _ = f.execute("guest-fsfreeze-thaw")
        #expect(f.log.audits == ["guest-fsfreeze called", "guest-fsthaw called"])
    }

    @Test func theHookRunsAreAudited() {
        let f = FreezeFixture(hook: FreezeHook(path: "/etc/qemu/fsfreeze-hook"))
        f.system.executables = ["/etc/qemu/fsfreeze-hook"]
        f.system.respond = { _ in ProcessOutcome(termination: .exited(0)) }
        _ = f.execute("guest-fsfreeze-freeze")
        _ = f.execute("guest-fsfreeze-thaw")
        #expect(
            f.log.audits == [
                "guest-fsfreeze called", "executing fsfreeze hook with arg 'freeze'", "guest-fsthaw called",
                "executing fsfreeze hook with arg 'thaw'",
            ])
    }
}
