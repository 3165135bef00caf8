import QGAProtocol
import Testing

struct VCPU: JSONObjectDecodable, Equatable {
    var logicalID: Int64
    var online: Bool
}

extension VCPU {
    init(from object: inout JSONObjectReader) throws(QGAError) {
        logicalID = try object.required("logical-id")
        online = try object.required("online")
    }
}

struct SetVCPUs: JSONObjectDecodable, Equatable {
    var vcpus: [VCPU]
    init(vcpus: [VCPU]) { self.vcpus = vcpus }
    init(from object: inout JSONObjectReader) throws(QGAError) { vcpus = try object.required("vcpus") }
}

enum Whence: String, JSONDecodable { case set, cur, end }

struct Seek: JSONObjectDecodable, Equatable {
    var handle: Int64
    var whence: Whence
    var count: Int64?
    var args: [String]?
}

extension Seek {
    init(from object: inout JSONObjectReader) throws(QGAError) {
        handle = try object.required("handle")
        whence = try object.required("whence")
        count = try object.optional("count")
        args = try object.optional("args")
    }
}

@Suite("Argument decoding with qemu-ga's texts")
struct JSONDecodableTests {
    func error<T: JSONDecodable>(_ type: T.Type, _ arguments: JSONValue) -> String? {
        do {
            _ = try T(arguments: arguments)
            return nil
        } catch {
            return error.desc
        }
    }

    @Test func decodesNestedHyphenatedMembers() throws {
        let value = try SetVCPUs(arguments: ["vcpus": [["logical-id": 1, "online": false]]])
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
        #expect(try Seek(arguments: ["handle": 7, "whence": "end"])
            == Seek(handle: 7, whence: .end, count: nil, args: nil))
    }

    /// QEMU checks each object for unexpected members when it ends, before its parent reads on
    /// (qemu-ga 7.2 answers these two so).
    static let orderCases: [(JSONValue, String)] = [
        (["vcpus": [["logical-id": 1, "online": true, "x": 1], ["logical-id": 2]]], "Parameter 'vcpus[0].x' is unexpected"),
        (["vcpus": [["logical-id": 1, "online": true], ["logical-id": 2]], "y": 1], "Parameter 'vcpus[1].online' is missing"),
    ]

    @Test(arguments: orderCases)
    func unexpectedMembersWhenTheirObjectEnds(arguments: JSONValue, desc: String) {
        #expect(error(SetVCPUs.self, arguments) == desc)
    }

    @Test func absentArgumentsAreAnEmptyObject() throws {
        #expect(throws: QGAError.missingParameter("vcpus")) { try SetVCPUs(arguments: nil) }
    }
}
