import ProcessRunner
import QGAProtocol

/// `guest-exec`: starts a program in the guest and returns its pid at once (`virsh
/// qemu-agent-command`, Proxmox `qm guest exec`, KubeVirt `virtctl guestfs`-style tooling).
///
/// `path` is run with `arg` as argv[1...] (a bare name is searched in `PATH`); `env`, when
/// given, is the child's whole environment; `input-data` (base64) is piped to its standard
/// input, which is otherwise `/dev/null`. `capture-output` is a bool (true = `separated`) or,
/// since QEMU 8.0, `none`, `stdout`, `stderr`, `separated` or `merged` (stderr into the
/// stdout capture). Uncaptured streams go to `/dev/null`. The host polls
/// `guest-exec-status`.
public enum GuestExec: GuestCommand {
    public static let name = "guest-exec"

    public struct Arguments {
        public var path: String
        public var arg: [String]?
        public var env: [String]?
        public var inputData: String?
        public var captureOutput: GuestExecCaptureOutput?
    }

    public struct Result {
        public var pid: Int64
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Result {
        var input: [UInt8]?
        if let inputData = arguments.inputData { input = try Base64.decode(inputData) }
        let mode = arguments.captureOutput?.mode ?? .none
        let request = ChildRequest(
            path: arguments.path, arguments: arguments.arg ?? [], environment: arguments.env,
            standardInput: input == nil ? .null : .pipe,
            standardOutput: [.stdout, .separated, .merged].contains(mode) ? .pipe : .null,
            standardError: mode == .merged ? .standardOutput : [.stderr, .separated].contains(mode) ? .pipe : .null)
        context.logger.audit("guest-exec called: \"\(request.description)\"")
        let system = context.system
        let child: SpawnedChild
        do {
            child = try system.spawnChild(request)
        } catch {
            throw QGAError(error)
        }
        context.processes.add(child, input: input ?? [], hasOutput: mode != .none, system: system)
        context.processes.service(system: system)
        return Result(pid: Int64(child.pid))
    }
}

/// `GuestExecCaptureOutputMode` (QEMU 8.0).
public enum GuestExecCaptureOutputMode: String, JSONDecodable, Sendable {
    case none, stdout, stderr, separated, merged
}

/// The QAPI alternate `GuestExecCaptureOutput`: a bool or a ``GuestExecCaptureOutputMode``.
public enum GuestExecCaptureOutput: JSONDecodable, Sendable, Equatable {
    case flag(Bool)
    case mode(GuestExecCaptureOutputMode)

    /// What to capture: `true` is `separated`, `false` is `none`.
    public var mode: GuestExecCaptureOutputMode {
        switch self {
        case .flag(let capture): return capture ? .separated : .none
        case .mode(let mode): return mode
        }
    }

    public init(json: JSONValue, path: ParameterPath) throws(QGAError) {
        switch json {
        case .bool(let capture): self = .flag(capture)
        case .string: self = .mode(try GuestExecCaptureOutputMode(json: json, path: path))
        default: throw path.typeMismatch(expected: "GuestExecCaptureOutput")
        }
    }
}

extension GuestExec.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        path = try object.required("path")
        arg = try object.optional("arg")
        env = try object.optional("env")
        inputData = try object.optional("input-data")
        captureOutput = try object.optional("capture-output")
    }
}

extension GuestExec.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("pid", pid)
        json.endObject()
    }
}
