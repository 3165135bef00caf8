import QGAProtocol
import Testing

/// JSONEncodable: results written as JSON, members in the order written, nil left out.
@Suite("Result encoding")
struct JSONEncodableTests {
    func serialized<T: JSONEncodable>(_ value: T) -> String {
        var writer = JSONWriter()
        value.encode(to: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    struct Processor: JSONEncodable {
        var logicalID: Int64
        var online: Bool
        var canOffline: Bool?
        func encode(to json: inout JSONWriter) {
            json.beginObject()
            json.member("logical-id", logicalID)
            json.member("online", online)
            json.member("can-offline", canOffline)
            json.endObject()
        }
    }

    enum Mode: String, JSONEncodable { case thawed, frozen }

    struct Everything: JSONEncodable {
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

        func encode(to json: inout JSONWriter) {
            json.beginObject()
            json.member("string", string)
            json.member("bool", bool)
            json.member("int", int)
            json.member("int64", int64)
            json.member("int32", int32)
            json.member("uint64", uint64)
            json.member("uint32", uint32)
            json.member("uint", uint)
            json.member("double", double)
            json.member("float", float)
            json.member("mode", mode)
            json.member("missing", missing)
            json.member("present", present)
            json.member("list", list)
            json.member("nested", nested)
            json.member("raw", raw)
            json.member("empty", empty)
            json.endObject()
        }
    }

    struct Empty: JSONEncodable {
        func encode(to json: inout JSONWriter) {
            json.beginObject()
            json.endObject()
        }
    }

    @Test func membersTypesAndOrder() throws {
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
        #expect(serialized(Everything()) == expected.serialized)
    }

    @Test func topLevelValues() throws {
        #expect(serialized(Int64(42)) == JSONValue.int(42).serialized)
        #expect(serialized("thawed") == JSONValue.string("thawed").serialized)
        #expect(serialized(Mode.thawed) == JSONValue.string("thawed").serialized)
        #expect(serialized(true) == JSONValue.bool(true).serialized)
        #expect(serialized([Int64]()) == JSONValue.array([]).serialized)
        #expect(serialized(Empty()) == JSONValue.object([]).serialized)
        #expect(serialized(JSONValue.string("as is")) == JSONValue.string("as is").serialized)
        let processors = [Processor(logicalID: 0, online: true, canOffline: false), Processor(logicalID: 1, online: false, canOffline: true)]
        #expect(serialized(processors)
            == #"[{"logical-id": 0, "online": true, "can-offline": false}, {"logical-id": 1, "online": false, "can-offline": true}]"#)
    }

    @Test func smallIntegers() throws {
        struct Small: JSONEncodable {
            var a: Int8 = -1
            var b: Int16 = 300
            var c: UInt8 = 255
            var d: UInt16 = 65535
            func encode(to json: inout JSONWriter) {
                json.beginObject()
                json.member("a", a)
                json.member("b", b)
                json.member("c", c)
                json.member("d", d)
                json.endObject()
            }
        }
        #expect(serialized(Small()) == #"{"a": -1, "b": 300, "c": 255, "d": 65535}"#)
        #expect(serialized(UInt8(7)) == JSONValue.int(7).serialized)
    }

    /// Objects inside arrays inside objects: each container finds its own first member.
    struct Custom: JSONEncodable {
        struct Second: JSONEncodable {
            func encode(to json: inout JSONWriter) {
                json.beginObject()
                json.member("first", "second")
                json.endObject()
            }
        }

        func encode(to json: inout JSONWriter) {
            json.beginObject()
            json.member("first", [JSONValue.int(1), "two", ["third": 3]])
            json.member("second", Second())
            json.member("third", JSONValue.null)
            json.endObject()
        }
    }

    @Test func nestedContainers() throws {
        #expect(serialized(Custom())
            == #"{"first": [1, "two", {"third": 3}], "second": {"first": "second"}, "third": null}"#)
    }

    @Test func aThrowingResultLeavesNoPartialReply() {
        var writer = JSONWriter()
        writer.writeSuccess(1, id: 1)
        let before = writer.bytes
        #expect(throws: QGAError("cannot encode this")) {
            try writer.writeSuccess(id: 2) { (reply) throws(QGAError) in
                Int64(5).encode(to: &reply)
                throw QGAError("cannot encode this")
            }
        }
        #expect(writer.bytes == before)
    }
}
