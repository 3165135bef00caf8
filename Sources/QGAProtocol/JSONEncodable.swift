/// A type written into a reply as JSON.
///
/// An object writes ``JSONWriter/beginObject()``, one `member(_:_:)` per
/// member in qemu-ga's order, and ``JSONWriter/endObject()``; a `nil` optional member is left
/// out, as qemu-ga leaves out absent members.
public protocol JSONEncodable {
    func encode(to json: inout JSONWriter)
}

extension JSONWriter {
    public mutating func beginObject() { raw(UInt8(ascii: "{")) }

    public mutating func endObject() { raw(UInt8(ascii: "}")) }

    /// `"key": value`, preceded by `", "` unless it is the object's first member.
    ///
    /// - Parameter key: a member name as qemu-ga spells it (ASCII, nothing to escape).
    public mutating func member<T: JSONEncodable>(_ key: StaticString, _ value: T) {
        // Only before the first member is the last byte the object's own `{`: no state to keep.
        if bytes.last != UInt8(ascii: "{") { raw(", ") }
        raw(UInt8(ascii: "\""))
        raw(key)
        raw("\": ")
        value.encode(to: &self)
    }

    /// `"key": value`, or nothing when `value` is nil.
    public mutating func member<T: JSONEncodable>(_ key: StaticString, _ value: T?) {
        if let value { member(key, value) }
    }
}

// MARK: Scalars, arrays and enums

extension String: JSONEncodable {
    public func encode(to json: inout JSONWriter) { json.writeString(self) }
}

extension Bool: JSONEncodable {
    public func encode(to json: inout JSONWriter) { self ? json.raw("true") : json.raw("false") }
}

extension JSONEncodable where Self: BinaryInteger {
    public func encode(to json: inout JSONWriter) {
        if Self.isSigned {
            json.writeInteger(Int64(truncatingIfNeeded: self))
        } else {
            json.writeUnsigned(UInt64(truncatingIfNeeded: self))
        }
    }
}

extension Int: JSONEncodable {}
extension Int8: JSONEncodable {}
extension Int16: JSONEncodable {}
extension Int32: JSONEncodable {}
extension Int64: JSONEncodable {}
extension UInt: JSONEncodable {}
extension UInt8: JSONEncodable {}
extension UInt16: JSONEncodable {}
extension UInt32: JSONEncodable {}
extension UInt64: JSONEncodable {}

extension Double: JSONEncodable {
    public func encode(to json: inout JSONWriter) { json.writeDouble(self) }
}

extension Float: JSONEncodable {
    public func encode(to json: inout JSONWriter) { json.writeDouble(Double(self)) }
}

extension JSONValue: JSONEncodable {
    public func encode(to json: inout JSONWriter) { json.write(self) }
}

extension Array: JSONEncodable where Element: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.raw(UInt8(ascii: "["))
        for index in indices {
            if index > 0 { json.raw(", ") }
            self[index].encode(to: &json)
        }
        json.raw(UInt8(ascii: "]"))
    }
}

/// A QAPI enum: its string.
extension JSONEncodable where Self: RawRepresentable, RawValue == String {
    public func encode(to json: inout JSONWriter) { json.writeString(rawValue) }
}
