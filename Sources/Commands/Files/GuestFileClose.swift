import QGAProtocol

/// `guest-file-close`: closes a handle from `guest-file-open`.
public enum GuestFileClose: GuestCommand {
    public static let name = "guest-file-close"

    public struct Arguments {
        public var handle: Int64
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> EmptyResult {
        context.logger.audit("guest-file-close called, handle: \(arguments.handle)")
        let fd = try context.files.descriptor(arguments.handle)
        // The descriptor is gone whatever close reports, so the handle goes too.
        context.files.remove(arguments.handle)
        do {
            try context.system.closeFile(fd)
        } catch {
            throw QGAError.system("failed to close handle", from: error)
        }
        return EmptyResult()
    }
}

extension GuestFileClose.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        handle = try object.required("handle")
    }
}
