import QGAProtocol

/// `guest-set-memory-blocks`: brings memory blocks online or offline and answers one response
/// per requested block, in order (`success`, `not-found`, `operation-not-supported`,
/// `operation-failed`, the last three with the errno as `error-code`).
public enum GuestSetMemoryBlocks: GuestCommand {
    public static let name = "guest-set-memory-blocks"

    public struct Arguments {
        public var memoryBlocks: [GuestMemoryBlock]
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> [GuestMemoryBlockResponse] {
        arguments.memoryBlocks.map { MemorySysfs.set($0, context) }
    }
}

extension GuestSetMemoryBlocks.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        memoryBlocks = try object.required("mem-blks")
    }
}
