/// Encodes a command's `Encodable` result into a ``JSONValue``.
///
/// Members keep the order in which the type encodes them (for synthesized conformances, the
/// order of `CodingKeys`); `nil` optionals are left out, as qemu-ga leaves out absent members.
///
/// Every reply goes through here, so the containers store scalars directly (no node object
/// per member), recognise types by metatype identity instead of dynamic casts, and build a
/// coding path only for nested values.
public enum ResultEncoder {
    public static func encode<T: Encodable>(_ value: T) throws(QGAError) -> JSONValue {
        if let scalar = scalarValue(value) { return scalar }
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
    /// A member or element: a finished scalar, or a node still being filled.
    enum Child {
        case value(JSONValue)
        case box(EncodingBox)

        var value: JSONValue {
            switch self {
            case .value(let value): return value
            case .box(let box): return box.value
            }
        }
    }

    enum Content {
        case empty
        case single(JSONValue)
        case object([(String, Child)])
        case array([Child])
    }

    var content: Content = .empty

    var value: JSONValue {
        switch content {
        case .empty: return .object([])
        case .single(let value): return value
        case .object(let members):
            var result: [JSONMember] = []
            result.reserveCapacity(members.count)
            for (key, child) in members { result.append(JSONMember(key, child.value)) }
            return .object(result)
        case .array(let elements):
            var result: [JSONValue] = []
            result.reserveCapacity(elements.count)
            for child in elements { result.append(child.value) }
            return .array(result)
        }
    }

    func makeObject() {
        if case .object = content { return }
        // Results are small structs: room for a few members spares the first regrowths.
        var members: [(String, Child)] = []
        members.reserveCapacity(4)
        content = .object(members)
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }

    func add(key: String, _ child: Child) {
        if case .object(var members) = content {
            content = .empty  // keep the array uniquely referenced while appending
            members.append((key, child))
            content = .object(members)
        }
    }

    func append(_ child: Child) {
        if case .array(var elements) = content {
            content = .empty
            elements.append(child)
            content = .array(elements)
        }
    }

    /// A new node as member `key`.
    func addBox(key: String) -> EncodingBox {
        let child = EncodingBox()
        add(key: key, .box(child))
        return child
    }

    /// A new node as the next element.
    func appendBox() -> EncodingBox {
        let child = EncodingBox()
        append(.box(child))
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

/// The JSON of a value that needs no encoder of its own: the standard scalars and JSONValue.
///
/// Compares metatypes (a pointer comparison) rather than casting, which costs a runtime
/// conformance lookup for every type that does not match.
@inline(__always)
func scalarValue<T>(_ value: T) -> JSONValue? {
    if T.self == String.self { return .string(reinterpret(value, as: String.self)) }
    if T.self == Bool.self { return .bool(reinterpret(value, as: Bool.self)) }
    if T.self == Int.self { return .int(Int64(reinterpret(value, as: Int.self))) }
    if T.self == Int64.self { return .int(reinterpret(value, as: Int64.self)) }
    if T.self == JSONValue.self { return reinterpret(value, as: JSONValue.self) }
    if T.self == Double.self { return .double(reinterpret(value, as: Double.self)) }
    if T.self == UInt64.self { return unsigned(reinterpret(value, as: UInt64.self)) }
    if T.self == Int32.self { return .int(Int64(reinterpret(value, as: Int32.self))) }
    if T.self == UInt32.self { return .int(Int64(reinterpret(value, as: UInt32.self))) }
    if T.self == UInt.self { return unsigned(UInt64(reinterpret(value, as: UInt.self))) }
    if T.self == Float.self { return .double(Double(reinterpret(value, as: Float.self))) }
    if T.self == Int16.self { return .int(Int64(reinterpret(value, as: Int16.self))) }
    if T.self == Int8.self { return .int(Int64(reinterpret(value, as: Int8.self))) }
    if T.self == UInt16.self { return .int(Int64(reinterpret(value, as: UInt16.self))) }
    if T.self == UInt8.self { return .int(Int64(reinterpret(value, as: UInt8.self))) }
    return nil
}

/// `value` as `U`; only called once `T.self == U.self` has been checked.
@inline(__always)
private func reinterpret<T, U>(_ value: T, as type: U.Type) -> U {
    withUnsafePointer(to: value) { UnsafeRawPointer($0).load(as: U.self) }
}

@inline(__always)
func unsigned(_ value: UInt64) -> JSONValue {
    value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value)
}

/// The child for a value of any Encodable type: scalars directly, anything else through its
/// own `encode(to:)` into a new node.
func child<T: Encodable>(_ value: T, path: @autoclosure () -> [any CodingKey]) throws -> EncodingBox.Child {
    if let scalar = scalarValue(value) { return .value(scalar) }
    let box = EncodingBox()
    try value.encode(to: BoxEncoder(box: box, codingPath: path()))
    // A type that encodes itself as one scalar (an enum with a raw value) needs no node.
    if case .single(let single) = box.content { return .value(single) }
    return .box(box)
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

    private func put(_ value: JSONValue, _ key: Key) { box.add(key: key.stringValue, .value(value)) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(.double(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(.double(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(unsigned(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.add(key: key.stringValue, try child(value, path: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        BoxEncoder(box: box.addBox(key: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        BoxEncoder(box: box.addBox(key: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { BoxEncoder(box: box.addBox(key: "super"), codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        BoxEncoder(box: box.addBox(key: key.stringValue), codingPath: codingPath + [key])
    }
}

struct UnkeyedBoxContainer: UnkeyedEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    var count: Int { box.count }

    private func put(_ value: JSONValue) { box.append(.value(value)) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(.double(value)) }
    mutating func encode(_ value: Float) throws { put(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { put(.int(value)) }
    mutating func encode(_ value: UInt) throws { put(unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { put(unsigned(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        box.append(try child(value, path: codingPath + [IndexKey(intValue: index)]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        BoxEncoder(box: box.appendBox(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        BoxEncoder(box: box.appendBox(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { BoxEncoder(box: box.appendBox(), codingPath: codingPath) }
}

struct SingleBoxContainer: SingleValueEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]

    private func put(_ value: JSONValue) { box.content = .single(value) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(.double(value)) }
    mutating func encode(_ value: Float) throws { put(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { put(.int(value)) }
    mutating func encode(_ value: UInt) throws { put(unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { put(unsigned(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        if let scalar = scalarValue(value) { return put(scalar) }
        try value.encode(to: BoxEncoder(box: box, codingPath: codingPath))
    }
}
