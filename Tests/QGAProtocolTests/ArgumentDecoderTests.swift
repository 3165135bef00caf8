import QGAProtocol
import Testing

struct VCPU: Decodable, Equatable {
    var logicalID: Int64
    var online: Bool
    enum CodingKeys: String, CodingKey {
        case logicalID = "logical-id"
        case online
    }
}

struct SetVCPUs: Decodable, Equatable { var vcpus: [VCPU] }

enum Whence: String, Decodable { case set, cur, end }

struct Seek: Decodable, Equatable {
    var handle: Int64
    var whence: Whence
    var count: Int64?
    var args: [String]?
}

@Suite("Argument decoding with qemu-ga's texts")
struct ArgumentDecoderTests {
    func error<T: Decodable>(_ type: T.Type, _ arguments: JSONValue) -> String? {
        do {
            _ = try ArgumentDecoder.decode(type, from: arguments)
            return nil
        } catch {
            return error.desc
        }
    }

    @Test func decodesNestedHyphenatedMembers() throws {
        let value = try ArgumentDecoder.decode(
            SetVCPUs.self, from: ["vcpus": [["logical-id": 1, "online": false]]])
        #expect(value == SetVCPUs(vcpus: [VCPU(logicalID: 1, online: false)]))
    }

    static let nestedCases: [(JSONValue, String)] = [
        (["vcpus": [["logical-id": "1", "online": true]]],
            "Invalid parameter type for 'vcpus[0].logical-id', expected: integer"),
        (["vcpus": [["logical-id": 1]]], "Parameter 'vcpus[0].online' is missing"),
        (["vcpus": [["logical-id": 1, "online": true, "x": 1]]], "Parameter 'vcpus[0].x' is unexpected"),
        (["vcpus": 3], "Invalid parameter type for 'vcpus', expected: array"),
        (["vcpus": [5]], "Invalid parameter type for 'vcpus[0]', expected: object"),
        ([:], "Parameter 'vcpus' is missing"),
    ]

    @Test(arguments: nestedCases)
    func nestedErrors(arguments: JSONValue, desc: String) {
        #expect(error(SetVCPUs.self, arguments) == desc)
    }

    static let scalarCases: [(JSONValue, String)] = [
        (["handle": 1, "whence": "bogus"],
            "Parameter 'whence' does not accept value 'bogus'"),
        (["handle": .number("1.5"), "whence": "set"], "Invalid parameter type for 'handle', expected: integer"),
        (["handle": .uint(UInt64.max), "whence": "set"], "Invalid parameter type for 'handle', expected: integer"),
        (["handle": nil, "whence": "set"], "Invalid parameter type for 'handle', expected: integer"),
        (["handle": 1, "whence": "set", "count": nil], "Invalid parameter type for 'count', expected: integer"),
        (["handle": 1, "whence": "set", "args": ["a", 2]], "Invalid parameter type for 'args[1]', expected: string"),
        (["handle": 1, "whence": "set", "extra": true], "Parameter 'extra' is unexpected"),
    ]

    @Test(arguments: scalarCases)
    func scalarErrors(arguments: JSONValue, desc: String) {
        #expect(error(Seek.self, arguments) == desc)
    }

    @Test func optionalMembersMayBeAbsent() throws {
        #expect(try ArgumentDecoder.decode(Seek.self, from: ["handle": 7, "whence": "end"])
            == Seek(handle: 7, whence: .end, count: nil, args: nil))
    }
}
