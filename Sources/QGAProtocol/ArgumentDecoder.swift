/// Decodes a command's `arguments` into its `Decodable` type with qemu-ga's error texts.
///
/// Mirrors QEMU's QObject input visitor: a missing member is `Parameter 'x' is missing`, a
/// member of the wrong JSON type is `Invalid parameter type for 'x', expected: integer`, a
/// member nobody read is `Parameter 'x' is unexpected`, and an enum value that does not exist
/// is `Parameter 'x' does not accept value 'y'`. Nested names read `vcpus[0].logical-id`.
/// `null` is a value like any other: it does not stand for an absent optional member.
public enum ArgumentDecoder {
    public static func decode<T: Decodable>(_ type: T.Type, from arguments: JSONValue?) throws(QGAError) -> T {
        let state = DecodingState()
        let root = arguments ?? .object([])
        do {
            let value = try T(from: ValueDecoder(value: root, codingPath: [], state: state))
            try state.checkUnexpected()
            return value
        } catch let error as QGAError {
            throw error
        } catch DecodingError.dataCorrupted(let context) {
            // A RawRepresentable enum whose raw value did not match.
            let name = parameterName(context.codingPath)
            let text: String
            if case .string(let s)? = lookup(root, context.codingPath) { text = s } else { text = "" }
            throw QGAError.invalidParameterValue(name, value: text)
        } catch {
            throw QGAError("\(error)")
        }
    }

    /// `vcpus[0].logical-id` from a coding path.
    public static func parameterName(_ path: [any CodingKey]) -> String {
        var name = ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                name += "[\(index)]"
            } else {
                if !name.isEmpty { name += "." }
                name += key.stringValue
            }
        }
        return name
    }

    static func lookup(_ value: JSONValue, _ path: [any CodingKey]) -> JSONValue? {
        var current = value
        for key in path {
            switch current {
            case .object:
                guard let next = current[key.stringValue] else { return nil }
                current = next
            case .array(let elements):
                guard let index = key.intValue, elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }
}

/// Which members of each decoded object were read, to find the unexpected ones afterwards.
final class DecodingState {
    final class ObjectUsage {
        let members: [JSONMember]
        let path: [any CodingKey]
        var used: Set<String> = []
        init(members: [JSONMember], path: [any CodingKey]) {
            self.members = members
            self.path = path
        }
    }

    var objects: [ObjectUsage] = []

    func checkUnexpected() throws(QGAError) {
        for object in objects {
            for member in object.members where !object.used.contains(member.key) {
                throw QGAError.unexpectedParameter(
                    ArgumentDecoder.parameterName(object.path + [IndexKey(stringValue: member.key)]))
            }
        }
    }
}

struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let state: DecodingState
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw QGAError.invalidParameterType(ArgumentDecoder.parameterName(codingPath), expected: "object")
        }
        let usage = DecodingState.ObjectUsage(members: members, path: codingPath)
        state.objects.append(usage)
        return KeyedDecodingContainer(KeyedContainer<Key>(usage: usage, codingPath: codingPath, state: state))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw QGAError.invalidParameterType(ArgumentDecoder.parameterName(codingPath), expected: "array")
        }
        return UnkeyedContainer(elements: elements, codingPath: codingPath, state: state)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: value, codingPath: codingPath, state: state)
    }
}

/// Converts one JSON value to a primitive Swift type, or throws qemu-ga's type error.
func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, path: [any CodingKey], state: DecodingState) throws -> T {
    func mismatch(_ expected: String) -> QGAError {
        QGAError.invalidParameterType(ArgumentDecoder.parameterName(path), expected: expected)
    }
    func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
        switch value {
        case .int(let i): if let v = I(exactly: i) { return v }
        case .uint(let u): if let v = I(exactly: u) { return v }
        default: break
        }
        throw mismatch("integer")
    }
    switch type {
    case is String.Type:
        guard case .string(let s) = value else { throw mismatch("string") }
        return s as! T
    case is Bool.Type:
        guard case .bool(let b) = value else { throw mismatch("boolean") }
        return b as! T
    case is Int64.Type: return try integer(Int64.self) as! T
    case is Int.Type: return try integer(Int.self) as! T
    case is Int32.Type: return try integer(Int32.self) as! T
    case is Int16.Type: return try integer(Int16.self) as! T
    case is Int8.Type: return try integer(Int8.self) as! T
    case is UInt64.Type: return try integer(UInt64.self) as! T
    case is UInt.Type: return try integer(UInt.self) as! T
    case is UInt32.Type: return try integer(UInt32.self) as! T
    case is UInt16.Type: return try integer(UInt16.self) as! T
    case is UInt8.Type: return try integer(UInt8.self) as! T
    case is Double.Type, is Float.Type:
        let number: Double
        switch value {
        case .int(let i): number = Double(i)
        case .uint(let u): number = Double(u)
        case .double(let d): number = d
        case .number(let text): number = Double(text) ?? .nan
        default: throw mismatch("number")
        }
        return (type is Float.Type ? Float(number) as Any : number as Any) as! T
    case is JSONValue.Type:
        return value as! T
    default:
        return try T(from: ValueDecoder(value: value, codingPath: path, state: state))
    }
}

struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let usage: DecodingState.ObjectUsage
    let codingPath: [any CodingKey]
    let state: DecodingState

    var allKeys: [Key] { usage.members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool {
        usage.used.insert(key.stringValue)
        return usage.members.contains { $0.key == key.stringValue }
    }

    private func member(_ key: Key) throws -> JSONValue {
        usage.used.insert(key.stringValue)
        for member in usage.members where member.key == key.stringValue { return member.value }
        throw QGAError.missingParameter(ArgumentDecoder.parameterName(codingPath + [key]))
    }

    // JSON null is a value of the wrong type, as in QEMU, never "absent".
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try unbox(try member(key), as: type, path: codingPath + [key], state: state)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try ValueDecoder(value: try member(key), codingPath: codingPath + [key], state: state)
            .container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: try member(key), codingPath: codingPath + [key], state: state).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: .object(usage.members), codingPath: codingPath, state: state)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: try member(key), codingPath: codingPath + [key], state: state)
    }
}

struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    let state: DecodingState
    var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey], state: DecodingState) {
        self.elements = elements
        self.codingPath = codingPath
        self.state = state
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> (JSONValue, [any CodingKey]) {
        guard !isAtEnd else {
            throw QGAError.missingParameter(ArgumentDecoder.parameterName(codingPath + [IndexKey(intValue: currentIndex)]))
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], codingPath + [IndexKey(intValue: currentIndex)])
    }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next()
        return try unbox(value, as: type, path: path, state: state)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let (value, path) = try next()
        return try ValueDecoder(value: value, codingPath: path, state: state).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next()
        return try ValueDecoder(value: value, codingPath: path, state: state).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next()
        return ValueDecoder(value: value, codingPath: path, state: state)
    }
}

struct SingleValueContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let state: DecodingState

    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try unbox(value, as: type, path: codingPath, state: state)
    }
}
