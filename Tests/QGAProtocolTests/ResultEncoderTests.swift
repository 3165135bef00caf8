import QGAProtocol
import Testing

/// ResultEncoder: Encodable results to JSONValue, members in CodingKeys order, nil left out.
@Suite("Result encoding")
struct ResultEncoderTests {
    struct Processor: Encodable {
        var logicalID: Int64
        var online: Bool
        var canOffline: Bool?
        enum CodingKeys: String, CodingKey {
            case logicalID = "logical-id"
            case online
            case canOffline = "can-offline"
        }
    }

    enum Mode: String, Encodable { case thawed, frozen }

    struct Everything: Encodable {
        var string = "é\u{1F600}"
        var bool = false
        var int = -5
        var int64 = Int64.min
        var int32: Int32 = 7
        var uint64 = UInt64.max
        var uint32: UInt32 = 9
        var uint = UInt(12)
        var double = 1.5
        var float: Float = 0.25
        var mode = Mode.frozen
        var missing: String? = nil
        var present: String? = "x"
        var list = ["a", "b"]
        var nested = [Processor(logicalID: 1, online: true, canOffline: nil)]
        var raw: JSONValue = ["k": [1, nil]]
        var empty = Empty()
    }

    struct Empty: Encodable {}

    @Test func membersTypesAndOrder() throws {
        let value = try ResultEncoder.encode(Everything())
        let expected: JSONValue = .object([
            JSONMember("string", .string("é\u{1F600}")),
            JSONMember("bool", .bool(false)),
            JSONMember("int", .int(-5)),
            JSONMember("int64", .int(Int64.min)),
            JSONMember("int32", .int(7)),
            JSONMember("uint64", .uint(UInt64.max)),
            JSONMember("uint32", .int(9)),
            JSONMember("uint", .int(12)),
            JSONMember("double", .double(1.5)),
            JSONMember("float", .double(0.25)),
            JSONMember("mode", .string("frozen")),
            JSONMember("present", .string("x")),
            JSONMember("list", .array([.string("a"), .string("b")])),
            JSONMember("nested", .array([.object([JSONMember("logical-id", .int(1)), JSONMember("online", .bool(true))])])),
            JSONMember("raw", .object([JSONMember("k", .array([.int(1), .null]))])),
            JSONMember("empty", .object([])),
        ])
        #expect(value == expected)
    }

    @Test func topLevelValues() throws {
        #expect(try ResultEncoder.encode(Int64(42)) == .int(42))
        #expect(try ResultEncoder.encode("thawed") == .string("thawed"))
        #expect(try ResultEncoder.encode(Mode.thawed) == .string("thawed"))
        #expect(try ResultEncoder.encode(true) == .bool(true))
        #expect(try ResultEncoder.encode([Int64]()) == .array([]))
        #expect(try ResultEncoder.encode(Empty()) == .object([]))
        #expect(try ResultEncoder.encode(JSONValue.string("as is")) == .string("as is"))
        let processors = [Processor(logicalID: 0, online: true, canOffline: false), Processor(logicalID: 1, online: false, canOffline: true)]
        #expect(try ResultEncoder.encode(processors).serialized
            == #"[{"logical-id": 0, "online": true, "can-offline": false}, {"logical-id": 1, "online": false, "can-offline": true}]"#)
    }

    @Test func smallIntegers() throws {
        struct Small: Encodable {
            var a: Int8 = -1
            var b: Int16 = 300
            var c: UInt8 = 255
            var d: UInt16 = 65535
        }
        #expect(try ResultEncoder.encode(Small()).serialized == #"{"a": -1, "b": 300, "c": 255, "d": 65535}"#)
        #expect(try ResultEncoder.encode(UInt8(7)) == .int(7))
    }

    /// A hand-written encode(to:) may fill nested containers in any order and ask for its path.
    struct Custom: Encodable {
        enum Keys: String, CodingKey { case first, second, third }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var list = container.nestedUnkeyedContainer(forKey: .first)
            var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .second)
            try container.encodeNil(forKey: .third)
            try list.encode(1)
            try inner.encode(inner.codingPath.map(\.stringValue).joined(separator: "."), forKey: .first)
            try list.encode("two")
            var deeper = list.nestedContainer(keyedBy: Keys.self)
            try deeper.encode(list.count, forKey: .third)
        }
    }

    @Test func nestedContainersInAnyOrder() throws {
        #expect(try ResultEncoder.encode(Custom()).serialized
            == #"{"first": [1, "two", {"third": 3}], "second": {"first": "second"}, "third": null}"#)
    }

    @Test func throwingEncoderBecomesAQGAError() {
        struct Failing: Encodable {
            func encode(to encoder: any Encoder) throws { throw QGAError("cannot encode this") }
        }
        #expect(throws: QGAError("cannot encode this")) { try ResultEncoder.encode(Failing()) }
    }
}
