import QGAProtocol
import Testing

@Suite("JSON output in qemu-ga's format")
struct JSONWriterTests {
    static let cases: [(JSONValue, String)] = [
        (["a": 1, "b": [true, nil]], #"{"a": 1, "b": [true, null]}"#),
        (JSONValue.string("é😀"), #""\u00E9\uD83D\uDE00""#),
        (JSONValue.string("q\"b\\s/\n\t\u{7F}\u{01}"), #""q\"b\\s/\n\t\u007F\u0001""#),
        (JSONValue.int(Int64.min), "-9223372036854775808"),
        (JSONValue.uint(UInt64.max), "18446744073709551615"),
        (JSONValue.double(.infinity), "null"),
        (JSONValue.double(0.5), "0.5"),
        (JSONValue.double(3), "3"),
        (JSONValue.number("1e400"), "1e400"),
        (JSONValue.string(""), #""""#),
        (JSONValue.string("a longer string than fifteen bytes, all printable"), #""a longer string than fifteen bytes, all printable""#),
        (JSONValue.string("\u{A9} 2\u{20AC} x\u{10FFFF}\u{7F}end\"\\"), #""\u00A9 2\u20AC x\uDBFF\uDFFF\u007Fend\"\\""#),
        (JSONValue.string("\n\r\u{08}\u{0C}\u{1F}"), #""\n\r\b\f\u001F""#),
        (["k\u{E9}y": "v"], #"{"k\u00E9y": "v"}"#),
    ]

    @Test(arguments: cases)
    func serializes(value: JSONValue, expected: String) {
        #expect(value.serialized == expected)
    }

    @Test func replies() {
        var writer = JSONWriter()
        writer.writeSuccess([:], id: 42)
        writer.writeSuccess(123, id: nil, delimited: true)
        writer.writeError(QGAError("boom"), id: "x")
        let expected: [UInt8] = Array(#"{"return": {}, "id": 42}"#.utf8) + [0x0A, 0xFF]
            + Array("{\"return\": 123}\n{\"id\": \"x\", \"error\": {\"class\": \"GenericError\", \"desc\": \"boom\"}}\n".utf8)
        #expect(writer.bytes == expected)
    }
}

@Suite("Request validation")
struct RequestTests {
    static let cases: [(JSONValue, String, JSONValue?)] = [
        (JSONValue.array([]), "QMP input must be a JSON object", nil),
        (["id": 5], "QMP input lacks member 'execute'", JSONValue?.some(5)),
        (["execute": 1], "QMP input member 'execute' must be a string", nil),
        (["execute": "guest-ping", "arguments": nil], "QMP input member 'arguments' must be an object", nil),
        (["exec-oob": "guest-ping"], "QMP input member 'exec-oob' is unexpected", nil),
    ]

    @Test(arguments: cases)
    func rejects(value: JSONValue, desc: String, id: JSONValue?) {
        #expect(Request.validate(value) == .failure(RequestError(error: QGAError(desc), id: id)))
    }

    @Test func accepts() {
        let value: JSONValue = ["execute": "guest-sync", "arguments": ["id": 1], "id": ["any": [1, 2]]]
        #expect(
            Request.validate(value)
                == .success(Request(execute: "guest-sync", arguments: ["id": 1], id: ["any": [1, 2]])))
    }
}
