import Foundation
import Testing

/// The reference qemu-ga builds the differential tests compare with.
///
/// Suites that start an oracle run against both: `@Test(arguments: Oracle.all)`. Where the two
/// disagree we follow 10.x (the release `guest-info` names), and the test says so per oracle
/// with ``Oracle/isV7(_:)``; each such case is listed in the WireProtocol article.
enum Oracle {
    /// Debian 12's qemu-ga 7.2 (`apt-get install qemu-guest-agent`; `make test` installs it).
    static let v7 = "/usr/sbin/qemu-ga"
    /// bookworm-backports' qemu-ga 10.0.2, unpacked by `scripts/fetch-oracle10.sh`
    /// (`make oracles`); `QGA_ORACLE10` overrides.
    static var v10: String {
        ProcessInfo.processInfo.environment["QGA_ORACLE10"]
            ?? packageRoot.appendingPathComponent(".build-oracle/10/usr/sbin/qemu-ga").path
    }

    /// Both oracles, oldest first: the arguments of every differential test.
    static var all: [String] { [v7, v10] }

    /// True for the 7.2 oracle (the one whose answers differ on purpose in a few places).
    static func isV7(_ oracle: String) -> Bool { oracle == v7 }

    /// Fails the test (instead of every comparison) when `oracle` is not there, saying how to
    /// get it.
    static func require(_ oracle: String) throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: oracle),
            isV7(oracle)
                ? "Debian's qemu-ga 7.2 is an oracle: apt-get install qemu-guest-agent (make test-deps does)"
                : "qemu-ga 10.0.2 is an oracle: scripts/fetch-oracle10.sh (make oracles does)")
    }
}
