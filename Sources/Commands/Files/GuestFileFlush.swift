import QGAProtocol

/// `guest-file-flush`: qemu-ga's `fflush`. Writes here are unbuffered and already in the
/// kernel, so only the handle is checked (like `fflush`, it does not `fsync`).
public enum GuestFileFlush: GuestCommand {
    public static let name = "guest-file-flush"

    public struct Arguments {
        public var handle: Int64
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        _ = try context.files.descriptor(arguments.handle)
        return EmptyResult()
    }
}

extension GuestFileFlush.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        handle = try object.required("handle")
    }
}
