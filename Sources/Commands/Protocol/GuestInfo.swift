import QGAProtocol

/// `guest-info`: the version and every command with whether it is enabled now, generated
/// from the registry.
public enum GuestInfo: GuestCommand {
    public static let name = "guest-info"

    public struct Result: Encodable {
        public var version: String
        public var supportedCommands: [CommandInfo]

        enum CodingKeys: String, CodingKey {
            case version
            case supportedCommands = "supported_commands"
        }
    }

    public struct CommandInfo: Encodable {
        public var name: String
        public var enabled: Bool
        public var successResponse: Bool

        enum CodingKeys: String, CodingKey {
            case name, enabled
            case successResponse = "success-response"
        }
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws -> Result {
        let registry = context.registry
        return Result(
            version: context.version,
            supportedCommands: registry.entries.map {
                CommandInfo(name: $0.name, enabled: registry.isEnabled($0.name), successResponse: $0.successResponse)
            })
    }
}
