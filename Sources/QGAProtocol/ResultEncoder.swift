/// Encodes a command's `Encodable` result into a ``JSONValue``.
///
/// Members keep the order in which the type encodes them (for synthesized conformances, the
/// order of `CodingKeys`); `nil` optionals are left out, as qemu-ga leaves out absent members.
public enum ResultEncoder {
    public static func encode<T: Encodable>(_ value: T) throws(QGAError) -> JSONValue {
        if let json = value as? JSONValue { return json }
        let root = EncodingBox()
        do {
            try value.encode(to: BoxEncoder(box: root, codingPath: []))
        } catch let error as QGAError {
            throw error
        } catch {
            throw QGAError("\(error)")
        }
        return root.value
    }
}

/// A node of the value being built; containers fill it in place.
final class EncodingBox {
    enum Content {
        case empty
        case single(JSONValue)
        case object([(String, EncodingBox)])
        case array([EncodingBox])
    }

    var content: Content = .empty

    var value: JSONValue {
        switch content {
        case .empty: return .object([])
        case .single(let value): return value
        case .object(let members): return .object(members.map { JSONMember($0.0, $0.1.value) })
        case .array(let elements): return .array(elements.map(\.value))
        }
    }

    func makeObject() {
        if case .object = content { return }
        content = .object([])
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }

    func add(key: String) -> EncodingBox {
        let child = EncodingBox()
        if case .object(var members) = content {
            content = .empty  // keep the array uniquely referenced while appending
            members.append((key, child))
            content = .object(members)
        }
        return child
    }

    func append() -> EncodingBox {
        let child = EncodingBox()
        if case .array(var elements) = content {
            content = .empty
            elements.append(child)
            content = .array(elements)
        }
        return child
    }

    var count: Int {
        switch content {
        case .array(let elements): return elements.count
        case .object(let members): return members.count
        default: return 0
        }
    }
}

func boxed<T: Encodable>(_ value: T, into box: EncodingBox, path: [any CodingKey]) throws {
    switch value {
    case let v as String: box.content = .single(.string(v))
    case let v as Bool: box.content = .single(.bool(v))
    case let v as Int: box.content = .single(.int(Int64(v)))
    case let v as Int64: box.content = .single(.int(v))
    case let v as Int32: box.content = .single(.int(Int64(v)))
    case let v as UInt64: box.content = .single(v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint(v))
    case let v as UInt: box.content = .single(.int(Int64(v)))
    case let v as UInt32: box.content = .single(.int(Int64(v)))
    case let v as Double: box.content = .single(.double(v))
    case let v as Float: box.content = .single(.double(Double(v)))
    case let v as JSONValue: box.content = .single(v)
    default: try value.encode(to: BoxEncoder(box: box, codingPath: path))
    }
}

struct BoxEncoder: Encoder {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.makeObject()
        return KeyedEncodingContainer(KeyedBoxContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.makeArray()
        return UnkeyedBoxContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleBoxContainer(box: box, codingPath: codingPath)
    }
}

struct KeyedBoxContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodingBox
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { box.add(key: key.stringValue).content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try boxed(value, into: box.add(key: key.stringValue), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        BoxEncoder(box: box.add(key: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        BoxEncoder(box: box.add(key: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { BoxEncoder(box: box.add(key: "super"), codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        BoxEncoder(box: box.add(key: key.stringValue), codingPath: codingPath + [key])
    }
}

struct UnkeyedBoxContainer: UnkeyedEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    var count: Int { box.count }

    mutating func encodeNil() throws { box.append().content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try boxed(value, into: box.append(), path: codingPath + [IndexKey(intValue: count)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        BoxEncoder(box: box.append(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        BoxEncoder(box: box.append(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { BoxEncoder(box: box.append(), codingPath: codingPath) }
}

struct SingleBoxContainer: SingleValueEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { box.content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try boxed(value, into: box, path: codingPath)
    }
}
