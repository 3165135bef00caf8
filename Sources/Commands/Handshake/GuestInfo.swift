import QGAProtocol

/// `guest-info`: the version and every command with whether it is enabled now, generated
/// from the registry.
public enum GuestInfo: GuestCommand {
    public static let name = "guest-info"

    public struct Result {
        public var version: String
        public var supportedCommands: [CommandInfo]
    }

    public struct CommandInfo {
        public var name: String
        public var enabled: Bool
        public var successResponse: Bool
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Result {
        let registry = context.registry
        return Result(
            version: context.version,
            supportedCommands: registry.entries.map {
                CommandInfo(name: $0.name, enabled: registry.isEnabled($0.name), successResponse: $0.successResponse)
            })
    }
}

extension GuestInfo.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("version", version)
        json.member("supported_commands", supportedCommands)
        json.endObject()
    }
}

extension GuestInfo.CommandInfo: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("name", name)
        json.member("enabled", enabled)
        json.member("success-response", successResponse)
        json.endObject()
    }
}
