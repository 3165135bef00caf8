import Foundation

/// The reference qemu-ga builds the differential tests compare with.
enum Oracle {
    /// Debian 12's qemu-ga 7.2 (`apt-get install qemu-guest-agent`; `make test` installs it).
    static let v7 = "/usr/sbin/qemu-ga"
    /// bookworm-backports' qemu-ga 10.0.2, unpacked by `scripts/fetch-oracle10.sh`
    /// (`make oracles`); `QGA_ORACLE10` overrides.
    static var v10: String {
        ProcessInfo.processInfo.environment["QGA_ORACLE10"]
            ?? packageRoot.appendingPathComponent(".build-oracle/10/usr/sbin/qemu-ga").path
    }
}
