import Glibc
import QGAProtocol

/// `guest-file-seek`: moves the file position; `whence` is `set`/`cur`/`end` or, as qemu-ga
/// first exposed it, the integer 0/1/2.
public enum GuestFileSeek: GuestCommand {
    public static let name = "guest-file-seek"

    public struct Arguments {
        public var handle: Int64
        public var offset: Int64
        public var whence: GuestFileWhence
    }

    public struct Result {
        public var position: Int64
        public var eof: Bool
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Result {
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
public enum GuestFileSeekName: String, JSONDecodable, Sendable {
    case set, cur, end
}

/// The QAPI alternate `GuestFileWhence`: an integer or a ``GuestFileSeekName``.
public enum GuestFileWhence: JSONDecodable, Sendable, Equatable {
    case value(Int64)
    case name(GuestFileSeekName)

    public init(json: JSONValue, path: ParameterPath) throws(QGAError) {
        switch json {
        // A fraction gets the integer branch's error, as qemu's alternate visitor gives.
        case .int, .uint, .double, .number: self = .value(try Int64(json: json, path: path))
        case .string: self = .name(try GuestFileSeekName(json: json, path: path))
        default: throw path.typeMismatch(expected: "GuestFileWhence")
        }
    }
}

extension GuestFileSeek.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        handle = try object.required("handle")
        offset = try object.required("offset")
        whence = try object.required("whence")
    }
}

extension GuestFileSeek.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("position", position)
        json.member("eof", eof)
        json.endObject()
    }
}
