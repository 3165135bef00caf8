/// The versions the agent reports.
public enum AgentVersion {
    /// Our own release.
    public static let release = "0.1.0"
    /// The upstream qemu-ga release whose command set and behaviour we implement; `guest-info`
    /// reports it, because hosts compare it against the versions they know. 10.2.0: besides
    /// 10.0's texts and command set (checked against qemu-ga 10.0.2), its fixes that a host
    /// sees: `out-truncated`/`err-truncated` always present, /sbin/poweroff|halt|reboot before
    /// /sbin/shutdown, `-r` waiting for a channel that is missing at start.
    public static let compatible = "10.2.0"
}
