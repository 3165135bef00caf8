import Commands
import Foundation
import Testing

/// guest-get-osinfo: uname from the seam, os-release from a file in a temp dir.
@Suite struct OSInfoTests {
    /// test-qga's `tests/data/test-qga-os-release`, byte for byte.
    static let testQGAOSRelease = #"""
        ID=qemu-ga-test
        NAME=QEMU-GA
        PRETTY_NAME="QEMU Guest Agent test"
        VERSION="Test 1"
        VERSION_ID=1
        VARIANT="Unit test \"'\$\`\\ and \\\\ etc."
        VARIANT_ID=unit-test

        """#

    @Test func testQGAFileGivesTheValuesTestQGAExpects() throws {
        let harness = try InfoHarness()
        try harness.file("os-release", Self.testQGAOSRelease)
        #expect(
            harness.execute("guest-get-osinfo")
                == ##"{"return": {"kernel-release": "6.1.0-test-amd64", "kernel-version": "#1 SMP PREEMPT_DYNAMIC Test 6.1.0-1", "##
                + #""machine": "x86_64", "id": "qemu-ga-test", "name": "QEMU-GA", "pretty-name": "QEMU Guest Agent test", "#
                + #""version": "Test 1", "version-id": "1", "variant": "Unit test \"'$`\\ and \\\\ etc.", "#
                + #""variant-id": "unit-test"}}"# + "\n")
    }

    @Test func unameComesFromTheSeam() throws {
        let harness = try InfoHarness()
        harness.system.kernel = KernelIdentity(release: "r", version: "v w", machine: "aarch64")
        let result = harness.result("guest-get-osinfo") as? [String: Any]
        #expect(result?["kernel-release"] as? String == "r")
        #expect(result?["kernel-version"] as? String == "v w")
        #expect(result?["machine"] as? String == "aarch64")
    }

    @Test func noFileGivesOnlyTheKernel() throws {
        let harness = try InfoHarness()
        let result = harness.result("guest-get-osinfo") as? [String: Any]
        #expect(Set(result?.keys ?? [:].keys) == ["kernel-release", "kernel-version", "machine"])
    }

    @Test func failingUnameStillSendsTheDistribution() throws {
        let harness = try InfoHarness()
        harness.system.kernel = nil
        try harness.file("os-release", "ID=debian\n")
        #expect(harness.execute("guest-get-osinfo") == #"{"return": {"id": "debian"}}"# + "\n")
    }

    @Test func aFileThatIsNotUTF8IsSkipped() throws {
        let harness = try InfoHarness()
        try harness.bytes("os-release", Array("ID=x\nNAME=\"".utf8) + [0xC3, 0x28] + Array("\"\n".utf8))
        let result = harness.result("guest-get-osinfo") as? [String: Any]
        #expect(result?["id"] == nil)
        #expect(result?["kernel-release"] as? String == "6.1.0-test-amd64")
    }

    @Test func argumentsAreRejected() throws {
        let harness = try InfoHarness()
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-osinfo","arguments":{"x":1}}"#) == "Parameter 'x' is unexpected")
    }

    @Test(arguments: [
        // What qemu-ga 7.2 also answers.
        (#"plain"#, "plain"),
        (#""double quoted""#, "double quoted"),
        (#""esc \" \\ \$ \` \' end""#, #"esc " \ $ ` ' end"#),
        (#""keeps \n and \x""#, #"keeps \n and \x"#),
        (#"Two words"#, "Two"),
        (#"a;b"#, "a"),
        (#""a" trailing"#, "a"),
        (#""""#, ""),
        ("", ""),
        // Where qemu-ga 7.2 goes wrong and we follow the shell.
        (#"'12 (bookworm)'"#, "12 (bookworm)"),
        (#"'no \escape'"#, #"no \escape"#),
        (#""unterminated x"#, "unterminated x"),
        (#""a"b'c'"#, "abc"),
        (#"x\ y"#, "x y"),
        (#"ends\"#, #"ends\"#),
    ])
    func unquoting(raw: String, expected: String) {
        #expect(OSRelease.unquote(raw) == expected)
    }

    @Test func keyFileLines() {
        let release = OSRelease(parsing: """
            # comment
              ID = debian  \r
            not a pair
            =nokey
            NAME=first
            NAME=second
            [group]
            EMPTY=
            """)
        #expect(release.values == ["ID": "debian", "NAME": "second", "EMPTY": ""])
    }

    @Test func defaultCandidatesAreTriedInOrder() throws {
        // With no override the real /etc/os-release is read (this machine has one); the
        // result must equal parsing that file directly.
        let harness = try InfoHarness(osRelease: nil)
        let result = harness.result("guest-get-osinfo") as? [String: Any]
        let path = FileManager.default.fileExists(atPath: "/etc/os-release") ? "/etc/os-release" : "/usr/lib/os-release"
        let expected = OSRelease(parsing: try String(contentsOfFile: path, encoding: .utf8))
        #expect(result?["id"] as? String == expected["ID"])
        #expect(result?["pretty-name"] as? String == expected["PRETTY_NAME"])
        #expect(expected["ID"] != nil)
    }
}
