import Commands
import Foundation
import ProcessRunner
import Testing

/// guest-set-user-password through the recording runner only: chpasswd never runs, no
/// password on this machine changes. The tests check the invocation (argv, stdin bytes).
@Suite struct SetUserPasswordTests {
    let harness: SysfsHarness

    init() throws { harness = try SysfsHarness() }

    func set(_ username: String, _ password: [UInt8], crypted: Bool) -> SysfsHarness.Reply {
        harness.call("guest-set-user-password", ["username": username, "password": b64(password), "crypted": crypted])
    }

    @Test func plainPasswordGoesToChpasswdOnStandardInput() throws {
        #expect(set("alice", Array("s3cret pass".utf8), crypted: false).errorDesc == nil)
        let invocation = try #require(harness.system.invocations.first)
        #expect(harness.system.invocations.count == 1)
        #expect(invocation.executable == "chpasswd")
        #expect(invocation.arguments == [])
        #expect(invocation.input == .bytes(Array("alice:s3cret pass\n".utf8)))
        #expect(invocation.newSession)
        #expect(invocation.timeout != nil)
    }

    @Test func cryptedPasswordUsesDashE() throws {
        let hash = "$6$salt$abcdefghijklmnopqrstuvwxyz0123456789./ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        #expect(set("root", Array(hash.utf8), crypted: true).errorDesc == nil)
        let invocation = try #require(harness.system.invocations.first)
        #expect([invocation.executable] + invocation.arguments == ["chpasswd", "-e"])
        #expect(invocation.input == .bytes(Array("root:\(hash)\n".utf8)))
    }

    @Test func passwordBytesArePassedAsTheyAreUpToANul() throws {
        #expect(set("u", [0xC3, 0xA9, 0xFF, 0x3A, 0x00, 0x41], crypted: false).errorDesc == nil)
        #expect(harness.system.invocations.first?.input == .bytes(Array("u:".utf8) + [0xC3, 0xA9, 0xFF, 0x3A, 0x0A]))
    }

    /// (Named cases: a raw NUL or newline in a test argument would garble the test log.)
    static let forbidden: [String: String] = ["colon": "a:b", "newline": "a\nb", "nul": "a\u{0}b"]

    @Test(arguments: ["colon", "newline", "nul"])
    func forbiddenUsernames(name: String) throws {
        let username = try #require(Self.forbidden[name])
        #expect(set(username, Array("pw".utf8), crypted: false).errorDesc == "forbidden characters in username")
        #expect(harness.system.invocations.isEmpty)
    }

    @Test func aNewlineInThePasswordIsRefusedFirst() {
        #expect(set("a:b", Array("x\ny".utf8), crypted: false).errorDesc == "forbidden characters in raw password")
        #expect(harness.system.invocations.isEmpty)
    }

    @Test func invalidBase64() {
        let reply = harness.call("guest-set-user-password", ["username": "u", "password": "!!", "crypted": false])
        #expect(reply.errorDesc == "Base64 data contains invalid characters")
        #expect(harness.call("guest-set-user-password", ["username": "u", "password": "eA=="]).errorDesc
            == "Parameter 'crypted' is missing")
        #expect(harness.system.invocations.isEmpty)
    }

    static let failures: [(ProcessOutcome, String)] = [
        (ProcessOutcome(termination: .exited(1), output: Array("chpasswd: (user nobody42) pam_chauthtok() failed\n".utf8)),
         "child process has failed to set user password: chpasswd: (user nobody42) pam_chauthtok() failed"),
        (ProcessOutcome(termination: .exited(3)), "child process has failed to set user password: exit status 3"),
        (ProcessOutcome(termination: .signaled(9)), "child process has terminated abnormally"),
        (ProcessOutcome(termination: .failedToStart(ENOENT)),
         "child process has failed to set user password: failed to exec 'chpasswd': No such file or directory"),
        (ProcessOutcome(termination: .timedOut), "child process has failed to set user password: no exit within 60 seconds"),
    ]

    @Test(arguments: failures)
    func chpasswdFailures(outcome: ProcessOutcome, desc: String) {
        harness.system.respond = { _ in outcome }
        #expect(set("nobody42", Array("pw".utf8), crypted: false).errorDesc == desc)
    }
}
