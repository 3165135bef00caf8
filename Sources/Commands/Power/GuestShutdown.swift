import Glibc
import ProcessRunner
import QGAProtocol

/// `guest-shutdown`: powers the guest off, halts it or reboots it (`virsh shutdown
/// --mode=agent`, `virsh reboot --mode=agent`).
///
/// Filesystems are synced first; then `/sbin/poweroff|halt|reboot` runs when it is
/// executable, else `/sbin/shutdown -h -P|-H|-r +0 "hypervisor initiated shutdown"`.
/// No reply on success; an error reply with the child's status or output on failure.
public enum GuestShutdown: GuestCommand {
    public static let name = "guest-shutdown"
    public static let successResponse = false

    /// The init system's tools return as soon as the shutdown is scheduled; a hung one must
    /// not wedge the agent.
    static let timeout: Double = 60

    public struct Arguments {
        /// `powerdown` (the default), `halt` or `reboot`; a plain string in qemu-ga's schema,
        /// so a bad value gets the command's own error, not a parameter error.
        public var mode: String?
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        // Before the mode is checked, and "(null)" when absent: qemu-ga's slog prints its NULL so.
        context.logger.audit("guest-shutdown called, mode: \(arguments.mode ?? "(null)")")
        let invocation = try invocation(mode: arguments.mode, system: context.system)
        context.system.syncFilesystems()
        try context.system.runHelper(invocation, toDo: "shutdown")
        return EmptyResult()
    }

    /// The program to run for `mode`, or qemu-ga's error for an unknown mode.
    static func invocation(mode: String?, system: any GuestSystem) throws(QGAError) -> ProcessInvocation {
        let program: String
        let flag: String
        switch mode ?? "powerdown" {
        case "powerdown": (program, flag) = ("/sbin/poweroff", "-P")
        case "halt": (program, flag) = ("/sbin/halt", "-H")
        case "reboot": (program, flag) = ("/sbin/reboot", "-r")
        default:
            // qemu-ga's text, without its closing parenthesis.
            throw QGAError("mode is invalid (valid values are: halt|powerdown|reboot")
        }
        if system.isExecutable(program) {
            return ProcessInvocation(program, [], timeout: timeout)
        }
        return ProcessInvocation(
            "/sbin/shutdown", ["-h", flag, "+0", "hypervisor initiated shutdown"], timeout: timeout)
    }
}

extension GuestShutdown.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        mode = try object.optional("mode")
    }
}
