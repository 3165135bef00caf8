/// One validated request: `{"execute": NAME, "arguments": {...}, "id": ANY}`.
public struct Request: Sendable, Equatable {
    public var execute: String
    public var arguments: JSONValue?
    public var id: JSONValue?

    public init(execute: String, arguments: JSONValue? = nil, id: JSONValue? = nil) {
        self.execute = execute
        self.arguments = arguments
        self.id = id
    }

    /// Checks a parsed value the way QEMU's `qmp_dispatch` does, with its texts.
    ///
    /// - Returns: the request, or the error to answer with and the `id` to echo with it
    ///   (dispatch errors carry the id; a non-object has none).
    public static func validate(_ value: JSONValue) -> Result<Request, RequestError> {
        guard case .object(let members) = value else {
            return .failure(RequestError(error: QGAError("QMP input must be a JSON object"), id: nil))
        }
        var execute: String?
        var arguments: JSONValue?
        var id: JSONValue?
        var problem: QGAError?
        for member in members {
            switch member.key {
            case "execute":
                if case .string(let name) = member.value {
                    execute = name
                } else if problem == nil {
                    problem = QGAError("QMP input member 'execute' must be a string")
                }
            case "arguments":
                if case .object = member.value {
                    arguments = member.value
                } else if problem == nil {
                    problem = QGAError("QMP input member 'arguments' must be an object")
                }
            case "id":
                id = member.value
            default:
                if problem == nil { problem = QGAError("QMP input member '\(member.key)' is unexpected") }
            }
        }
        if let problem { return .failure(RequestError(error: problem, id: id)) }
        guard let execute else {
            return .failure(RequestError(error: QGAError("QMP input lacks member 'execute'"), id: id))
        }
        return .success(Request(execute: execute, arguments: arguments, id: id))
    }
}

/// A request that could not be dispatched, with the id to echo.
public struct RequestError: Error, Sendable, Equatable {
    public var error: QGAError
    public var id: JSONValue?

    public init(error: QGAError, id: JSONValue?) {
        self.error = error
        self.id = id
    }
}
