import QGAProtocol

/// `guest-exec-status`: whether a `guest-exec` child has ended, and then its exit code or
/// signal and captured output (base64).
///
/// `exited` becomes true once the child was reaped and its captured pipes reached end of file
/// (a daemon it left holding them keeps it false). That answer is given once: the entry is
/// then forgotten and the pid becomes `PID N does not exist`, as in qemu-ga 10.x.
public enum GuestExecStatus: GuestCommand {
    public static let name = "guest-exec-status"

    public struct Arguments {
        public var pid: Int64
    }

    public struct Result: Equatable {
        public var exited: Bool
        public var exitcode: Int64?
        public var signal: Int64?
        public var outData: String?
        public var errData: String?
        public var outTruncated: Bool?
        public var errTruncated: Bool?

        init(exited: Bool) { self.exited = exited }
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Result {
        context.logger.audit("guest-exec-status called, pid: \(UInt32(truncatingIfNeeded: arguments.pid))")
        return try context.processes.status(arguments.pid, system: context.system)
    }
}

extension GuestExecStatus.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        pid = try object.required("pid")
    }
}

extension GuestExecStatus.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("exited", exited)
        json.member("exitcode", exitcode)
        json.member("signal", signal)
        json.member("out-data", outData)
        json.member("err-data", errData)
        json.member("out-truncated", outTruncated)
        json.member("err-truncated", errTruncated)
        json.endObject()
    }
}
