#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import QGAProtocol

/// `guest-file-seek`: moves the file position; `whence` is `set`/`cur`/`end` or, as qemu-ga
/// first exposed it, the integer 0/1/2.
public enum GuestFileSeek: GuestCommand {
    public static let name = "guest-file-seek"

    public struct Arguments: Decodable {
        public var handle: Int64
        public var offset: Int64
        public var whence: GuestFileWhence
    }

    public struct Result: Encodable {
        public var position: Int64
        public var eof: Bool
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws -> Result {
        let fd = try context.files.descriptor(arguments.handle)
        let whence: Int32
        switch arguments.whence {
        case .name(.set), .value(0): whence = SEEK_SET
        case .name(.cur), .value(1): whence = SEEK_CUR
        case .name(.end), .value(2): whence = SEEK_END
        case .value(let code): throw QGAError("invalid whence code \(code)")
        }
        do {
            let position = try context.system.seekDescriptor(fd, offset: arguments.offset, whence: whence)
            // fseek clears the end-of-file indicator: qemu-ga's eof is always false here.
            return Result(position: position, eof: false)
        } catch {
            throw QGAError.system("failed to seek file", from: error)
        }
    }
}

/// `QGASeek`: the symbolic `whence` values.
public enum GuestFileSeekName: String, Sendable {
    case set, cur, end
}

/// The QAPI alternate `GuestFileWhence`: an integer or a ``GuestFileSeekName``.
public enum GuestFileWhence: Decodable, Sendable, Equatable {
    case value(Int64)
    case name(GuestFileSeekName)

    public init(from decoder: any Decoder) throws {
        let parameter = ArgumentDecoder.parameterName(decoder.codingPath)
        let container = try decoder.singleValueContainer()
        switch try container.decode(JSONValue.self) {
        case .int, .uint, .double, .number:
            // A fraction gets the integer branch's error, as qemu's alternate visitor gives.
            self = .value(try container.decode(Int64.self))
        case .string(let text):
            guard let name = GuestFileSeekName(rawValue: text) else {
                throw QGAError.invalidParameterValue(parameter, value: text)
            }
            self = .name(name)
        default:
            throw QGAError.invalidParameterType(parameter, expected: "GuestFileWhence")
        }
    }
}
