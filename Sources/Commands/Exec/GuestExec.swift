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

    public struct Arguments: Decodable {
        public var path: String
        public var arg: [String]?
        public var env: [String]?
        public var inputData: String?
        public var captureOutput: GuestExecCaptureOutput?

        enum CodingKeys: String, CodingKey {
            case path, arg, env
            case inputData = "input-data"
            case captureOutput = "capture-output"
        }
    }

    public struct Result: Encodable {
        public var pid: Int64
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws -> Result {
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
            // glib's g_spawn text, which current qemu-ga passes through as it is.
            let reason = error.errno.map(QGAError.errorText) ?? error.desc
            throw QGAError("Failed to execute child process “\(arguments.path)” (\(reason))", errno: error.errno)
        }
        context.processes.add(child, input: input ?? [], hasOutput: mode != .none, system: system)
        context.processes.service(system: system)
        return Result(pid: Int64(child.pid))
    }
}

/// `GuestExecCaptureOutputMode` (QEMU 8.0).
public enum GuestExecCaptureOutputMode: String, Sendable {
    case none, stdout, stderr, separated, merged
}

/// The QAPI alternate `GuestExecCaptureOutput`: a bool or a ``GuestExecCaptureOutputMode``.
public enum GuestExecCaptureOutput: Decodable, Sendable, Equatable {
    case flag(Bool)
    case mode(GuestExecCaptureOutputMode)

    /// What to capture: `true` is `separated`, `false` is `none`.
    public var mode: GuestExecCaptureOutputMode {
        switch self {
        case .flag(let capture): return capture ? .separated : .none
        case .mode(let mode): return mode
        }
    }

    public init(from decoder: any Decoder) throws {
        let parameter = ArgumentDecoder.parameterName(decoder.codingPath)
        switch try decoder.singleValueContainer().decode(JSONValue.self) {
        case .bool(let capture):
            self = .flag(capture)
        case .string(let text):
            guard let mode = GuestExecCaptureOutputMode(rawValue: text) else {
                throw QGAError.invalidParameterValue(parameter, value: text)
            }
            self = .mode(mode)
        default:
            throw QGAError.invalidParameterType(parameter, expected: "GuestExecCaptureOutput")
        }
    }
}
