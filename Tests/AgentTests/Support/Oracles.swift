import Foundation
import Testing

/// The reference qemu-ga builds the differential tests compare with.
///
/// Suites that start an oracle run against all three: `@Test(arguments: Oracle.all)`. Where they
/// disagree we follow 11.1 (the release `guest-info` names) unless it is worse for users, and
/// the test says so per oracle with ``Oracle/isV7(_:)`` and ``Oracle/isV11(_:)``; each such
/// case is listed in the WireProtocol article.
enum Oracle {
    /// Debian 12's qemu-ga 7.2 (`apt-get install qemu-guest-agent`; `make test` installs it).
    static let v7 = "/usr/sbin/qemu-ga"
    /// bookworm-backports' qemu-ga 10.0.2, unpacked by `scripts/fetch-oracle10.sh`
    /// (`make oracles`); `QGA_ORACLE10` overrides.
    static var v10: String {
        ProcessInfo.processInfo.environment["QGA_ORACLE10"]
            ?? packageRoot.appendingPathComponent(".build-oracle/10/usr/sbin/qemu-ga").path
    }

    /// sid's qemu-ga 11.1.3, run under sid's own loader and libraries by the wrapper
    /// `scripts/fetch-oracle11.sh` writes (`make oracles`); `QGA_ORACLE11` overrides. The
    /// wrapper passes its own path as argv[0], so messages name this path as for the others.
    static var v11: String {
        ProcessInfo.processInfo.environment["QGA_ORACLE11"]
            ?? packageRoot.appendingPathComponent(".build-oracle/11/qemu-ga").path
    }

    /// The three oracles, oldest first: the arguments of every differential test.
    static var all: [String] { [v7, v10, v11] }

    /// The oracles that know what 7.2 predates (`-a`, `guest-get-load`, routes, capture modes).
    static var since10: [String] { [v10, v11] }

    /// True for the 7.2 oracle (the one whose answers differ on purpose in a few places).
    static func isV7(_ oracle: String) -> Bool { oracle == v7 }

    /// True for the 10.0.2 oracle.
    static func isV10(_ oracle: String) -> Bool { oracle == v10 }

    /// True for the 11.1 oracle, the release whose behaviour the agent follows where the
    /// three disagree (its `Could not open '…'` wording, for one).
    static func isV11(_ oracle: String) -> Bool { oracle == v11 }

    /// The oracle's upstream release, for test names and messages.
    static func version(_ oracle: String) -> String {
        isV7(oracle) ? "7.2" : isV11(oracle) ? "11.1.3" : "10.0.2"
    }

    /// Fails the test (instead of every comparison) when `oracle` is not there, saying how to
    /// get it.
    static func require(_ oracle: String) throws {
        let present = FileManager.default.isExecutableFile(atPath: oracle)
        let howToGetIt: Comment =
            isV7(oracle)
            ? "Debian's qemu-ga 7.2 is an oracle: apt-get install qemu-guest-agent (make test-deps does)"
            : isV11(oracle)
                ? "qemu-ga 11.1.3 is an oracle: scripts/fetch-oracle11.sh (make oracles does)"
                : "qemu-ga 10.0.2 is an oracle: scripts/fetch-oracle10.sh (make oracles does)"
        try #require(present, howToGetIt)
    }
}
