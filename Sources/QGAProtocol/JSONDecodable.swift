/// A type read from a command's `arguments`, with qemu-ga's error texts.
///
/// Mirrors QEMU's QObject input visitor: a member of the wrong JSON type is
/// `Invalid parameter type for 'x', expected: integer`, an enum value that does not exist is
/// `Parameter 'x' does not accept value 'y'`; objects (``JSONObjectDecodable``) add
/// `Parameter 'x' is missing` and `Parameter 'x' is unexpected`. `null` is a value like any
/// other: it does not stand for an absent optional member.
public protocol JSONDecodable {
    /// Reads `json`; `path` names it in error texts.
    init(json: JSONValue, path: ParameterPath) throws(QGAError)
}

/// A JSON object type: its initializer reads each member it knows through `object`; any
/// member left unread is then unexpected.
public protocol JSONObjectDecodable: JSONDecodable {
    init(from object: inout JSONObjectReader) throws(QGAError)
}

extension JSONObjectDecodable {
    // Inlinable, like the other entry points: the caller's module then specializes them for its
    // concrete types instead of going through witness tables on every request.
    @inlinable
    public init(json: JSONValue, path: ParameterPath) throws(QGAError) {
        var object = try JSONObjectReader(json, path: path)
        try self.init(from: &object)
        // As QEMU's visit_check_struct: at the end of each object, before its parent goes on.
        try object.checkAllRead()
    }
}

extension JSONDecodable {
    /// Decodes a command's `arguments`; absent arguments are `{}`.
    @inlinable
    public init(arguments: JSONValue?) throws(QGAError) {
        try self.init(json: arguments ?? .object([]), path: .root)
    }
}

/// Where a value sits in the arguments, as qemu-ga names it in errors: `vcpus[0].logical-id`.
///
/// The enclosing containers' part is formatted once per container; a member's own name is
/// only joined to it when an error text needs it.
public struct ParameterPath: Sendable, CustomStringConvertible {
    enum Last: Sendable {
        case none
        case member(String)
        case index(Int)
    }

    /// The formatted path of the enclosing object or array ("" at the top).
    let container: String
    let last: Last

    /// The arguments object itself.
    public static let root = ParameterPath(container: "", last: .none)

    public var description: String {
        switch last {
        case .none: return container
        case .member(let key): return container.isEmpty ? key : container + "." + key
        case .index(let index): return container + "[\(index)]"
        }
    }

    /// `Invalid parameter type for '<this path>', expected: <expected>`.
    public func typeMismatch(expected: String) -> QGAError {
        .invalidParameterType(description, expected: expected)
    }
}

/// Reads the members of one JSON object and remembers which were read.
public struct JSONObjectReader {
    let members: [JSONMember]
    /// This object's formatted path.
    let path: String
    /// Bit i: member i was read. Objects with more members than bits have unexpected ones
    /// among the first 64 anyway (no command takes that many).
    private var read: UInt64 = 0

    @usableFromInline
    init(_ json: JSONValue, path: ParameterPath) throws(QGAError) {
        guard case .object(let members) = json else { throw path.typeMismatch(expected: "object") }
        self.members = members
        self.path = path.description
    }

    /// The value of member `key`, or nil when it is absent; marks it read.
    private mutating func value(_ key: String) -> JSONValue? {
        // Objects are parsed without duplicate keys: the first match is the only one.
        for index in members.indices where members[index].key == key {
            if index < 64 { read |= 1 << UInt64(index) }
            return members[index].value
        }
        return nil
    }

    private func path(of key: String) -> ParameterPath {
        ParameterPath(container: path, last: .member(key))
    }

    /// Member `key`, which must be present.
    public mutating func required<T: JSONDecodable>(_ key: String) throws(QGAError) -> T {
        guard let json = value(key) else { throw .missingParameter(path(of: key).description) }
        return try T(json: json, path: path(of: key))
    }

    /// Member `key`, or nil when it is absent (`null` is not absent: it has the wrong type).
    public mutating func optional<T: JSONDecodable>(_ key: String) throws(QGAError) -> T? {
        guard let json = value(key) else { return nil }
        return try T(json: json, path: path(of: key))
    }

    /// Throws `Parameter 'x' is unexpected` for the first member nobody read.
    @usableFromInline
    func checkAllRead() throws(QGAError) {
        for index in members.indices where index >= 64 || read & (1 << UInt64(index)) == 0 {
            throw .unexpectedParameter(path(of: members[index].key).description)
        }
    }
}

// MARK: Scalars, arrays and enums

extension String: JSONDecodable {
    public init(json: JSONValue, path: ParameterPath) throws(QGAError) {
        guard case .string(let text) = json else { throw path.typeMismatch(expected: "string") }
        self = text
    }
}

extension Bool: JSONDecodable {
    public init(json: JSONValue, path: ParameterPath) throws(QGAError) {
        guard case .bool(let flag) = json else { throw path.typeMismatch(expected: "boolean") }
        self = flag
    }
}

extension JSONDecodable where Self: FixedWidthInteger {
    /// An integer in range; a fraction, `1e3` or a number beyond the type is not one.
    public init(json: JSONValue, path: ParameterPath) throws(QGAError) {
        let exact: Self?
        switch json {
        case .int(let value): exact = Self(exactly: value)
        case .uint(let value): exact = Self(exactly: value)
        default: exact = nil
        }
        guard let exact else { throw path.typeMismatch(expected: "integer") }
        self = exact
    }
}

extension Int: JSONDecodable {}
extension Int64: JSONDecodable {}
extension Int32: JSONDecodable {}
extension UInt64: JSONDecodable {}
extension UInt32: JSONDecodable {}
// No Double: no qemu-ga command takes a `number`, and reading one back from its lexeme needs
// strtod, which Embedded Swift's standard library does not bring.

extension JSONValue: JSONDecodable {
    /// Any value, as it is.
    public init(json: JSONValue, path: ParameterPath) { self = json }
}

extension Array: JSONDecodable where Element: JSONDecodable {
    public init(json: JSONValue, path: ParameterPath) throws(QGAError) {
        guard case .array(let elements) = json else { throw path.typeMismatch(expected: "array") }
        let container = path.description
        self = []
        reserveCapacity(elements.count)
        for index in elements.indices {
            append(try Element(json: elements[index], path: ParameterPath(container: container, last: .index(index))))
        }
    }
}

/// A QAPI enum: one of its strings.
extension JSONDecodable where Self: RawRepresentable, RawValue == String {
    public init(json: JSONValue, path: ParameterPath) throws(QGAError) {
        let text = try String(json: json, path: path)
        guard let value = Self(rawValue: text) else { throw .invalidParameterValue(path.description, value: text) }
        self = value
    }
}
