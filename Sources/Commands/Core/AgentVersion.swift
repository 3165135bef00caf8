/// The versions the agent reports.
public enum AgentVersion {
    /// Our own release.
    public static let release = "0.1.0"
    /// The upstream qemu-ga release whose command set and behaviour we implement; `guest-info`
    /// reports it, because hosts compare it against the versions they know. 11.1.3, checked
    /// against Debian sid's build of it (`scripts/fetch-oracle11.sh`): the command set of 10.x,
    /// 10.1's and 10.2's fixes (`out-truncated`/`err-truncated` always present,
    /// /sbin/poweroff|halt|reboot before /sbin/shutdown, `-r` waiting for a channel that is
    /// missing at start) and 11.0's `Could not open '…'` wording of its sysfs and procfs
    /// readers.
    public static let compatible = "11.1.3"
}
