import QGAProtocol
import Testing

/// Feeds `input` in chunks of `size` bytes (0 = all at once) and collects the events.
func parse(_ input: [UInt8], chunk size: Int, parser: RequestStreamParser = RequestStreamParser()) -> [StreamEvent] {
    var events: [StreamEvent] = []
    let step = size == 0 ? max(input.count, 1) : size
    var start = 0
    while start < input.count {
        let end = min(start + step, input.count)
        input[start..<end].withUnsafeBytes { parser.feed($0) { events.append($0) } }
        start = end
    }
    return events
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

let ping: JSONValue = ["execute": "guest-ping"]

struct ParserCase: CustomTestStringConvertible, Sendable {
    let name: String
    let input: [UInt8]
    let expected: [StreamEvent]
    var testDescription: String { name }
}

let parserCases: [ParserCase] = [
    ParserCase(name: "one request", input: bytes(#"{"execute":"guest-ping"}"#), expected: [.value(ping)]),
    ParserCase(
        name: "two requests back to back, newlines irrelevant",
        input: bytes("{\"execute\":\"guest-ping\"}\n\n{\r\n\"execute\"\n:\"guest-ping\"}\r\n"),
        expected: [.value(ping), .value(ping)]),
    ParserCase(
        name: "single-quoted strings (QMP extension)",
        input: bytes("{'execute':'guest-sync','arguments':{'id':1}}"),
        expected: [.value(["execute": "guest-sync", "arguments": ["id": 1]])]),
    ParserCase(
        name: "escaped quote in a single-quoted string",
        input: bytes(#"{'execute':'it\'s'}"#),
        expected: [.value(["execute": "it's"])]),
    ParserCase(
        name: "0xFF inside a request drops it",
        input: [UInt8](bytes(#"{"execute":"guest-ping""#)) + [0xFF] + bytes(#"{"execute":"guest-ping"}"#),
        expected: [.error("JSON parse error, stray '\u{FFFD}'"), .value(ping)]),
    ParserCase(
        name: "0xFF alone is answered with an error",
        input: [0xFF] + bytes(#"{"execute":"guest-ping"}"#),
        expected: [.error("JSON parse error, stray '\u{FFFD}'"), .value(ping)]),
    ParserCase(
        name: "invalid keyword reported when the message closes",
        input: bytes(#"{"execute": bad}{"execute":"guest-ping"}"#),
        expected: [.error("JSON parse error, invalid keyword 'bad'"), .value(ping)]),
    ParserCase(
        name: "stray byte, then recovery at the next structural character",
        input: bytes(#"{"a":%}{"execute":"guest-ping"}"#),
        expected: [.error("JSON parse error, stray '%'"), .error("JSON parse error, expecting value"), .value(ping)]),
    ParserCase(
        name: "leading zero is a stray token",
        input: bytes(#"{"a":01}"#),
        expected: [.error("JSON parse error, stray '01'"), .error("JSON parse error, expecting value")]),
    ParserCase(
        name: "raw tab inside a string",
        input: bytes("{\"tab\t\"}"),
        expected: [.error("JSON parse error, stray '\"tab\t'"), .error("JSON parse error, expecting value")]),
    ParserCase(
        name: "control byte",
        input: [0x04] + bytes(#"{"execute":"guest-ping"}"#),
        expected: [.error("JSON parse error, stray '\u{04}'"), .value(ping)]),
    ParserCase(
        name: "stray closer",
        input: bytes("}"),
        expected: [.error("JSON parse error, expecting value")]),
    ParserCase(
        name: "top-level scalars need a delimiter, strings do not",
        input: bytes(#"42 "s"null "#),
        expected: [.scalar, .scalar, .scalar]),
    ParserCase(name: "an unfinished scalar waits", input: bytes("42"), expected: []),
    ParserCase(
        name: "missing colon",
        input: bytes(#"{"a" 1}"#),
        expected: [.error("JSON parse error, missing : in object pair")]),
    ParserCase(
        name: "missing comma in list",
        input: bytes(#"{"a":[1 2]}"#),
        expected: [.error("JSON parse error, expected separator in list")]),
    ParserCase(
        name: "invalid UTF-8 in a string",
        input: bytes(#"{"a":""#) + [0xC3, 0x28] + bytes(#""}"#),
        expected: [.error("JSON parse error, invalid UTF-8 sequence in string")]),
    ParserCase(
        name: "trailing comma",
        input: bytes(#"{"a":1,}"#),
        expected: [.error("JSON parse error, expecting value")]),
    ParserCase(
        name: "64-bit integers exact, larger ones keep their text",
        input: bytes(#"{"a":18446744073709551615,"b":-9223372036854775808,"c":123456789012345678901234567890,"d":1e400}"#),
        expected: [
            .value([
                "a": .uint(UInt64.max), "b": .int(Int64.min), "c": .number("123456789012345678901234567890"),
                "d": .number("1e400"),
            ])
        ]),
    ParserCase(
        name: "unknown escape",
        input: bytes(#"{"a":"\x"}"#),
        expected: [.error("JSON parse error, invalid escape sequence in string")]),
    ParserCase(
        name: "lone surrogate",
        input: bytes(#"{"a":"\ud800"}"#),
        expected: [.error("JSON parse error, \\ud800 is not a valid Unicode character")]),
    ParserCase(
        name: "duplicate key",
        input: bytes(#"{"a":{"b":1,"b":2}}{"execute":"guest-ping"}"#),
        expected: [.error("JSON parse error, duplicate key"), .value(ping)]),
    ParserCase(
        name: "same key in sibling objects is fine",
        input: bytes(#"{"a":{"b":1},"c":[{"b":2},{"b":3}]}"#),
        expected: [.value(["a": ["b": 1], "c": [["b": 2], ["b": 3]]])]),
    ParserCase(
        name: "unicode escapes",
        input: bytes(#"{"a":"\u00e9\ud83d\ude00"}"#),
        expected: [.value(["a": "é😀"])]),
]

@Suite("Stream parser")
struct RequestStreamParserTests {
    @Test("every case gives the same events whatever the chunking", arguments: parserCases, [0, 1, 2, 3, 7])
    func chunked(testCase: ParserCase, chunk: Int) {
        #expect(parse(testCase.input, chunk: chunk) == testCase.expected)
    }

    @Test func depthLimitGivesOneErrorAndRecovers() {
        let limits = ParserLimits(maxDepth: 1024)
        let deep = String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000)
        let events = parse(bytes(deep + #"{"execute":"guest-ping"}"#), chunk: 0, parser: RequestStreamParser(limits: limits))
        #expect(events == [.error("JSON nesting depth limit exceeded"), .value(ping)])
        let ok = String(repeating: "[", count: 1024) + String(repeating: "]", count: 1024)
        #expect(parse(bytes(ok), chunk: 0, parser: RequestStreamParser(limits: limits)).count == 1)
    }

    @Test func tokenSizeLimit() {
        let parser = RequestStreamParser(limits: ParserLimits(maxTokenBytes: 1000))
        let big = #"{"execute":""# + String(repeating: "x", count: 2000) + #""}"#
        let events = parse(bytes(big + #"{"execute":"guest-ping"}"#), chunk: 100, parser: parser)
        #expect(events == [.error("JSON token size limit exceeded"), .value(ping)])
    }

    @Test func tokenCountLimit() {
        let parser = RequestStreamParser(limits: ParserLimits(maxTokens: 50))
        let many = "[" + Array(repeating: "1", count: 100).joined(separator: ",") + "]"
        let events = parse(bytes(many + #"{"execute":"guest-ping"}"#), chunk: 7, parser: parser)
        #expect(events == [.error("JSON token count limit exceeded"), .value(ping)])
    }

    @Test func resetForgetsAPartialRequest() {
        let parser = RequestStreamParser()
        #expect(parse(bytes(#"{"execute":"guest-ping""#), chunk: 0, parser: parser).isEmpty)
        parser.reset()
        #expect(parse(bytes(#"{"execute":"guest-ping"}"#), chunk: 0, parser: parser) == [.value(ping)])
    }

    @Test func withoutResetAPartialRequestSwallowsTheNext() {
        // The behaviour reset() exists to prevent (qemu-ga 7.2 leaks it across clients).
        let parser = RequestStreamParser()
        _ = parse(bytes(#"{"execute":"guest-ping","x":"#), chunk: 0, parser: parser)
        #expect(parse(bytes(#"{"execute":"guest-ping"}"#), chunk: 0, parser: parser) != [.value(ping)])
    }
}
