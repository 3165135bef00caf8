import QGAProtocol

/// One guest-agent command: its wire name, its typed arguments and result, and the handler.
///
/// A command is a type; ``CommandRegistry`` maps names to types, and `guest-info` is generated
/// from the same registry.
public protocol GuestCommand {
    associatedtype Arguments: JSONDecodable = NoArguments
    associatedtype Result: JSONEncodable = EmptyResult

    /// The name hosts send in `execute`.
    static var name: String { get }
    /// False for commands whose success is silence (`guest-shutdown`, `guest-suspend-*`).
    static var successResponse: Bool { get }
    /// True only for `guest-sync-delimited`: its success reply is preceded by 0xFF.
    static var delimitedReply: Bool { get }

    static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Result
}

extension GuestCommand {
    public static var successResponse: Bool { true }
    public static var delimitedReply: Bool { false }
}

/// The arguments of a command that takes none: any member is unexpected.
public struct NoArguments: JSONObjectDecodable, Sendable {
    public init() {}
    public init(from object: inout JSONObjectReader) {}
}

/// The result of a command that returns nothing: `{}`.
public struct EmptyResult: JSONEncodable, Sendable {
    public init() {}
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.endObject()
    }
}
