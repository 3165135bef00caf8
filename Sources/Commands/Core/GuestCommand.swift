import QGAProtocol

/// One guest-agent command: its wire name, its typed arguments and result, and the handler.
///
/// A command is a type; ``CommandRegistry`` maps names to types, and `guest-info` is generated
/// from the same registry.
public protocol GuestCommand {
    associatedtype Arguments: Decodable = NoArguments
    associatedtype Result: Encodable = EmptyResult

    /// The name hosts send in `execute`.
    static var name: String { get }
    /// False for commands whose success is silence (`guest-shutdown`, `guest-suspend-*`).
    static var successResponse: Bool { get }
    /// True only for `guest-sync-delimited`: its success reply is preceded by 0xFF.
    static var delimitedReply: Bool { get }

    static func run(_ arguments: Arguments, context: CommandContext) throws -> Result
}

extension GuestCommand {
    public static var successResponse: Bool { true }
    public static var delimitedReply: Bool { false }
}

/// The arguments of a command that takes none: any member is unexpected.
public struct NoArguments: Decodable, Sendable {
    private struct NoKeys: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: NoKeys.self)
    }
}

/// The result of a command that returns nothing: `{}`.
public struct EmptyResult: Encodable, Sendable {
    public init() {}
    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: QGAProtocolEmptyKeys.self)
    }
}

enum QGAProtocolEmptyKeys: CodingKey {}
