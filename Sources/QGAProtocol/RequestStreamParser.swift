import CJSONC

/// What the stream parser found in the bytes it was fed.
public enum StreamEvent: Sendable, Equatable {
    /// A complete top-level object or array.
    case value(JSONValue)
    /// A complete top-level scalar (`42 `, `"s"`, `null `): valid JSON, but not a request.
    case scalar
    /// A framing or syntax error; the text is the reply's `desc`.
    case error(String)
}

/// The limits qemu-ga applies to one message (QEMU `json-streamer.c`).
public struct ParserLimits: Sendable {
    public var maxTokenBytes: Int
    public var maxTokens: Int
    public var maxDepth: Int

    public init(maxTokenBytes: Int = 64 << 20, maxTokens: Int = 2 << 20, maxDepth: Int = 1024) {
        self.maxTokenBytes = maxTokenBytes
        self.maxTokens = maxTokens
        self.maxDepth = maxDepth
    }
}

/// Splits a byte stream into JSON messages the way qemu-ga does, and parses each with json-c.
///
/// Framing follows QEMU's lexer and streamer, so hosts see the same behaviour: a message ends
/// when its braces and brackets balance, newlines do not matter, a 0xFF byte (or any byte
/// invalid where it stands) drops the partial message with a `stray` error and the lexer
/// skips to the next structural character. The values themselves are built by json-c's
/// incremental tokener, fed as the bytes arrive, so a message split over many reads costs
/// no extra copy. Single-quoted strings are accepted (a QMP extension).
///
/// Unlike qemu-ga, after a limit error the rest of the offending message is skipped quietly
/// (one error, not one per leftover bracket), and nothing survives ``reset()``.
public final class RequestStreamParser {
    public let limits: ParserLimits
    /// All the mutable state, in one struct: a call makes one exclusive access to it instead
    /// of a dynamically checked access for every property it touches (about one per byte).
    private var machine: ParserMachine

    public init(limits: ParserLimits = ParserLimits()) {
        self.limits = limits
        machine = ParserMachine(limits: limits)
    }

    deinit { machine.release() }

    /// Forgets any partial message: a new client starts clean.
    public func reset() { machine.reset() }

    /// Feeds bytes; calls `emit` once per message or error, in stream order.
    public func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (StreamEvent) -> Void) {
        machine.feed(bytes, emit)
    }
}

/// The lexer and message state machine behind ``RequestStreamParser``.
private struct ParserMachine {
    private enum Lex: UInt8 {
        case start, string, stringEscape, stringUnicode, number, keyword, recovery
    }

    let limits: ParserLimits
    private let tokener: UnsafeMutablePointer<json_tokener>

    // Lexer state.
    private var lex: Lex = .start
    private var quote: UInt8 = 0
    private var unicodeDigitsLeft = 0
    private var numberState: UInt8 = 0
    private var tokenText: [UInt8] = []
    private static let tokenTextCap = 128

    // Message state.
    private var depth = 0
    private var inMessage = false
    private var draining = false
    private var topLevelScalar = false
    private var tokenBytes = 0
    private var tokenCount = 0
    private var lastStructural: UInt8 = 0
    private var failure: String?
    private var failurePosition = 0
    private var messagePosition = 0
    private var tokenStart = 0
    private var fedToTokener = 0
    private var parsed: OpaquePointer?
    private var saturatedIntegers: [(text: String, exact: Bool)] = []
    private var integerText: [UInt8] = []
    // \uXXXX escapes: the value being read and a high surrogate waiting for its pair.
    private var unicodeValue: UInt32 = 0
    private var pendingHighSurrogate: UInt32?
    // Duplicate keys: json-c keeps the last one silently, QEMU rejects them. Count keys per
    // object in document order and compare with what json-c built.
    private var objectKeyCounts: [Int] = []
    private var containerStack: [Int] = []

    init(limits: ParserLimits) {
        self.limits = limits
        guard let tokener = json_tokener_new_ex(Int32(limits.maxDepth + 2)) else {
            fatalError("json_tokener_new_ex: out of memory")
        }
        self.tokener = tokener
        json_tokener_set_flags(tokener, JSON_TOKENER_VALIDATE_UTF8)
        tokenText.reserveCapacity(Self.tokenTextCap)
    }

    /// Frees json-c's memory; the owning parser calls it once, from its deinit.
    mutating func release() {
        if let parsed { json_object_put(parsed) }
        parsed = nil
        json_tokener_free(tokener)
    }

    mutating func reset() {
        lex = .start
        draining = false
        resetMessage()
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (StreamEvent) -> Void) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var feedStart: Int? = inMessage ? 0 : nil
        var index = 0

        // Hands message bytes [feedStart, end) to json-c.
        func flush(upTo end: Int) {
            if let start = feedStart, end > start {
                feedTokener(base + start, end - start)
            }
            feedStart = end
        }

        while index < count {
            let byte = base[index]
            if byte >= 0xFE {
                // QEMU's resync byte: always an error, always drops the partial message.
                if lex == .start || lex == .recovery { tokenText.removeAll(keepingCapacity: true) }
                appendToken(byte)
                strayError(emit)
                feedStart = nil
                index += 1
                continue
            }
            switch lex {
            case .recovery:
                if isStructural(byte) || byte < 0x20 {
                    lex = .start
                    continue  // re-lex this byte
                }
                index += 1

            case .start:
                if !tokenText.isEmpty { tokenText.removeAll(keepingCapacity: true) }
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D:
                    break
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if !inMessage {
                        beginMessage()
                        feedStart = index
                    }
                    depth += 1
                    lastStructural = byte
                    if !draining {
                        if byte == UInt8(ascii: "{") {
                            containerStack.append(objectKeyCounts.count)
                            objectKeyCounts.append(0)
                        } else {
                            containerStack.append(-1)
                        }
                    }
                    if !countToken(bytes: 1, emit) { feedStart = nil; break }
                    if depth > limits.maxDepth && !draining {
                        limitError("JSON nesting depth limit exceeded", emit)
                        feedStart = nil
                    }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if !inMessage {
                        emit(.error("JSON parse error, expecting value"))
                        break
                    }
                    if lastStructural == UInt8(ascii: ",") { recordFailure("expecting value", at: messagePosition) }
                    _ = countToken(bytes: 1, emit)
                    depth -= 1
                    if !draining { _ = containerStack.popLast() }
                    lastStructural = byte
                    if depth == 0 {
                        if draining {
                            draining = false
                            resetMessage()
                        } else {
                            flush(upTo: index + 1)
                            finishMessage(emit)
                        }
                        feedStart = nil
                    }
                case UInt8(ascii: ":"), UInt8(ascii: ","):
                    if !inMessage {
                        emit(.error("JSON parse error, expecting value"))
                        break
                    }
                    if !countToken(bytes: 1, emit) { feedStart = nil; break }
                    lastStructural = byte
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    beginToken(byte)
                    quote = byte
                    lex = .string
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    beginToken(byte)
                    integerText.removeAll(keepingCapacity: true)
                    integerText.append(byte)
                    numberState = byte == UInt8(ascii: "-") ? 0 : (byte == UInt8(ascii: "0") ? 1 : 2)
                    lex = .number
                case UInt8(ascii: "a")...UInt8(ascii: "z"):
                    beginToken(byte)
                    lex = .keyword
                default:
                    appendToken(byte)
                    strayError(emit)
                    feedStart = nil
                }
                index += 1
                if inMessage { messagePosition += 1 }

            case .string:
                // Most string bytes are ordinary: take the whole run at once instead of one
                // pass of this loop (and its state accesses) per byte.
                let closing = quote
                var end = index
                while end < count {
                    let next = base[end]
                    if next < 0x20 || next >= 0xFE || next == closing || next == UInt8(ascii: "\\") { break }
                    end += 1
                }
                if end > index {
                    checkUnpairedSurrogate()
                    appendToken(UnsafeBufferPointer(start: base + index, count: end - index))
                    if inMessage { messagePosition += end - index }
                    index = end
                    continue
                }
                appendToken(byte)
                if byte != UInt8(ascii: "\\") { checkUnpairedSurrogate() }
                if byte == quote {
                    lex = .start
                    if !endToken(emit) { feedStart = nil }
                } else if byte == UInt8(ascii: "\\") {
                    lex = .stringEscape
                } else if byte < 0x20 {
                    strayError(emit)
                    feedStart = nil
                }
                index += 1
                if inMessage { messagePosition += 1 }

            case .stringEscape:
                appendToken(byte)
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    lex = .string
                case UInt8(ascii: "'"):
                    // json-c does not know \' (QEMU does): hand it an equivalent \u0027.
                    lex = .string
                    if inMessage, !draining, let start = feedStart {
                        // The backslash may already have gone to json-c with an earlier chunk.
                        let backslashPending = index >= 1 && index - 1 >= start
                        flush(upTo: backslashPending ? index - 1 : index)
                        let escaped: StaticString = "\\u0027"
                        escaped.withUTF8Buffer {
                            let skip = backslashPending ? 0 : 1
                            feedTokener($0.baseAddress! + skip, $0.count - skip)
                        }
                        feedStart = index + 1
                    }
                case UInt8(ascii: "u"):
                    lex = .stringUnicode
                    unicodeDigitsLeft = 4
                    unicodeValue = 0
                default:
                    if byte < 0x20 {
                        strayError(emit)
                        feedStart = nil
                    } else {
                        // QEMU's lexer takes any escape; its parser rejects the unknown ones.
                        lex = .string
                        if inMessage { recordFailure("invalid escape sequence in string", at: messagePosition) }
                    }
                }
                if byte != UInt8(ascii: "u") && lex == .string { checkUnpairedSurrogate() }
                index += 1
                if inMessage { messagePosition += 1 }

            case .stringUnicode:
                appendToken(byte)
                if isHexDigit(byte) {
                    unicodeDigitsLeft -= 1
                    unicodeValue = unicodeValue << 4 | hexValue(byte)
                    if unicodeDigitsLeft == 0 {
                        lex = .string
                        unicodeEscapeDone()
                    }
                } else {
                    strayError(emit)
                    feedStart = nil
                }
                index += 1
                if inMessage { messagePosition += 1 }

            case .number:
                switch numberStep(byte) {
                case .more:
                    appendToken(byte)
                    if numberState <= 2, integerText.count < 512 { integerText.append(byte) }
                    index += 1
                    if inMessage { messagePosition += 1 }
                case .end:
                    if numberState == 1 || numberState == 2 { noteIntegerLexeme() }
                    lex = .start
                    if !endToken(emit) { feedStart = nil }
                // re-lex this byte
                case .error:
                    appendToken(byte)
                    strayError(emit)
                    feedStart = nil
                    index += 1
                }

            case .keyword:
                if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") {
                    appendToken(byte)
                    index += 1
                    if inMessage { messagePosition += 1 }
                } else {
                    lex = .start
                    let word = String(decoding: tokenText, as: UTF8.self)
                    let valid = word == "true" || word == "false" || word == "null"
                    if !valid {
                        if inMessage {
                            recordFailure("invalid keyword '\(word)'", at: tokenStart, overridesTokener: true)
                        } else {
                            topLevelScalar = false
                            emit(.error("JSON parse error, invalid keyword '\(word)'"))
                            continue
                        }
                    }
                    if !endToken(emit) { feedStart = nil }
                    // re-lex this byte
                }
            }
        }
        if inMessage { flush(upTo: count) }
    }

    // MARK: Tokens

    /// A complete `\\uXXXX`: surrogates must come in high-low pairs (QEMU's rule).
    private mutating func unicodeEscapeDone() {
        let value = unicodeValue
        if (0xD800...0xDBFF).contains(value) {
            checkUnpairedSurrogate()
            pendingHighSurrogate = value
        } else if (0xDC00...0xDFFF).contains(value) {
            if pendingHighSurrogate == nil { surrogateFailure(value) }
            pendingHighSurrogate = nil
        } else {
            checkUnpairedSurrogate()
        }
    }

    private mutating func checkUnpairedSurrogate() {
        if let high = pendingHighSurrogate {
            pendingHighSurrogate = nil
            surrogateFailure(high)
        }
    }

    private mutating func surrogateFailure(_ value: UInt32) {
        guard inMessage else { return }
        let hex = String(value, radix: 16)
        recordFailure("\\u\(hex) is not a valid Unicode character", at: messagePosition)
    }

    private mutating func beginToken(_ byte: UInt8) {
        tokenText.removeAll(keepingCapacity: true)
        tokenText.append(byte)
        tokenStart = messagePosition
        if !inMessage { topLevelScalar = true }
    }

    @inline(__always) private mutating func appendToken(_ byte: UInt8) {
        if tokenText.count < Self.tokenTextCap { tokenText.append(byte) }
    }

    /// The first bytes of a run, up to the cap (the text is only kept for error messages).
    private mutating func appendToken(_ bytes: UnsafeBufferPointer<UInt8>) {
        let room = Self.tokenTextCap - tokenText.count
        if room > 0 { tokenText.append(contentsOf: UnsafeBufferPointer(rebasing: bytes.prefix(room))) }
    }

    /// A string, number or keyword token ended. Returns false when it broke a limit.
    private mutating func endToken(_ emit: (StreamEvent) -> Void) -> Bool {
        if topLevelScalar {
            topLevelScalar = false
            emit(.scalar)
            return true
        }
        if tokenText.first == quote, lastStructural == UInt8(ascii: "{") || lastStructural == UInt8(ascii: ","),
            let object = containerStack.last, object >= 0, !draining
        {
            objectKeyCounts[object] += 1
        }
        lastStructural = 0
        return countToken(bytes: messagePosition - tokenStart, emit)
    }

    /// Counts a token against the message limits. Returns false when one was exceeded.
    private mutating func countToken(bytes: Int, _ emit: (StreamEvent) -> Void) -> Bool {
        guard inMessage, !draining else { return true }
        tokenBytes += bytes
        tokenCount += 1
        if tokenBytes > limits.maxTokenBytes {
            limitError("JSON token size limit exceeded", emit)
            return false
        }
        if tokenCount > limits.maxTokens {
            limitError("JSON token count limit exceeded", emit)
            return false
        }
        return true
    }

    private enum NumberStep { case more, end, error }

    /// One step of QEMU's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    /// States: 0 after '-', 1 zero, 2 integer, 3 '.', 4 fraction, 5 'e', 6 exponent sign, 7 exponent.
    private mutating func numberStep(_ byte: UInt8) -> NumberStep {
        let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        let isExp = byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
        switch numberState {
        case 0:
            if byte == UInt8(ascii: "0") { numberState = 1; return .more }
            if digit { numberState = 2; return .more }
            return .error
        case 1:
            if digit { return .error }
            if byte == UInt8(ascii: ".") { numberState = 3; return .more }
            if isExp { numberState = 5; return .more }
            return .end
        case 2:
            if digit { return .more }
            if byte == UInt8(ascii: ".") { numberState = 3; return .more }
            if isExp { numberState = 5; return .more }
            return .end
        case 3:
            if digit { numberState = 4; return .more }
            return .error
        case 4:
            if digit { return .more }
            if isExp { numberState = 5; return .more }
            return .end
        case 5:
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { numberState = 6; return .more }
            if digit { numberState = 7; return .more }
            return .error
        case 6:
            if digit { numberState = 7; return .more }
            return .error
        default:
            return digit ? .more : .end
        }
    }

    /// json-c saturates integers beyond 64 bits; remember such lexemes so the value built
    /// from them keeps the text that was sent.
    private mutating func noteIntegerLexeme() {
        guard inMessage else { return }
        let negative = integerText.first == UInt8(ascii: "-")
        let digits = negative ? integerText.count - 1 : integerText.count
        let limit: StaticString = negative ? "9223372036854775808" : "18446744073709551615"
        let limitDigits = limit.utf8CodeUnitCount
        guard digits >= limitDigits else { return }
        let text = String(decoding: integerText, as: UTF8.self)
        if digits > limitDigits {
            saturatedIntegers.append((text, false))
            return
        }
        let tail = negative ? Array(integerText.dropFirst()) : integerText
        let bound = limit.withUTF8Buffer { Array($0) }
        if tail.lexicographicallyPrecedes(bound) { return }
        saturatedIntegers.append((text, tail == bound))
    }

    // MARK: Messages

    private mutating func beginMessage() {
        inMessage = true
        topLevelScalar = false
        json_tokener_reset(tokener)
        fedToTokener = 0
        messagePosition = 0
    }

    private mutating func resetMessage() {
        inMessage = false
        topLevelScalar = false
        depth = 0
        tokenBytes = 0
        tokenCount = 0
        lastStructural = 0
        failure = nil
        messagePosition = 0
        fedToTokener = 0
        saturatedIntegers.removeAll(keepingCapacity: true)
        objectKeyCounts.removeAll(keepingCapacity: true)
        containerStack.removeAll(keepingCapacity: true)
        pendingHighSurrogate = nil
        if let parsed {
            json_object_put(parsed)
            self.parsed = nil
        }
        json_tokener_reset(tokener)
    }

    private mutating func recordFailure(_ text: String, at position: Int, overridesTokener: Bool = false) {
        if failure == nil || position < failurePosition || (overridesTokener && position == failurePosition) {
            failure = text
            failurePosition = position
        }
    }

    private mutating func feedTokener(_ bytes: UnsafePointer<UInt8>, _ count: Int) {
        guard failure == nil, !draining, parsed == nil else { return }
        let result = bytes.withMemoryRebound(to: CChar.self, capacity: count) {
            json_tokener_parse_ex(tokener, $0, Int32(count))
        }
        let error = json_tokener_get_error(tokener)
        if let result {
            // Complete: only legitimate when this was the message's last byte.
            parsed = result
            if json_tokener_get_parse_end(tokener) != count {
                recordFailure("expecting value", at: fedToTokener + json_tokener_get_parse_end(tokener))
            }
        } else if error != json_tokener_continue {
            recordFailure(Self.describe(error), at: fedToTokener + json_tokener_get_parse_end(tokener))
            json_tokener_reset(tokener)
        }
        fedToTokener += count
    }

    private mutating func finishMessage(_ emit: (StreamEvent) -> Void) {
        if let failure {
            emit(.error("JSON parse error, \(failure)"))
        } else if let parsed {
            var saturated = saturatedIntegers[...]
            var keyCounts = objectKeyCounts[...]
            if let value = Self.convert(parsed, saturated: &saturated, keyCounts: &keyCounts) {
                emit(.value(value))
            } else {
                emit(.error("JSON parse error, duplicate key"))
            }
        } else {
            emit(.error("JSON parse error, premature EOI"))
        }
        resetMessage()
    }

    private mutating func strayError(_ emit: (StreamEvent) -> Void) {
        let token = String(decoding: tokenText, as: UTF8.self)
        emit(.error("JSON parse error, stray '\(token)'"))
        tokenText.removeAll(keepingCapacity: true)
        draining = false
        resetMessage()
        lex = .recovery
    }

    private mutating func limitError(_ text: String, _ emit: (StreamEvent) -> Void) {
        emit(.error(text))
        let keepDepth = depth
        resetMessage()
        // Skip the rest of this message quietly: the brackets still open must close first.
        inMessage = true
        draining = true
        depth = keepDepth
    }

    // MARK: json-c

    private static func describe(_ error: json_tokener_error) -> String {
        switch error {
        case json_tokener_error_depth: return "JSON nesting depth limit exceeded"
        case json_tokener_error_parse_array: return "expected separator in list"
        case json_tokener_error_parse_object_key_name: return "key is not a string in object"
        case json_tokener_error_parse_object_key_sep: return "missing : in object pair"
        case json_tokener_error_parse_object_value_sep: return "expected separator in dict"
        case json_tokener_error_parse_string: return "invalid escape sequence in string"
        case json_tokener_error_parse_utf8_string: return "invalid UTF-8 sequence in string"
        case json_tokener_error_size: return "JSON token size limit exceeded"
        default: return "expecting value"
        }
    }

    /// Builds the value from json-c's tree; nil when an object lost a duplicate key.
    static func convert(
        _ object: OpaquePointer?, saturated: inout ArraySlice<(text: String, exact: Bool)>,
        keyCounts: inout ArraySlice<Int>
    ) -> JSONValue? {
        guard let object else { return .null }
        switch json_object_get_type(object) {
        case json_type_null:
            return .null
        case json_type_boolean:
            return .bool(json_object_get_boolean(object) != 0)
        case json_type_int:
            let signed = json_object_get_int64(object)
            if signed == Int64.max {
                let unsigned = json_object_get_uint64(object)
                if unsigned == UInt64.max, let lexeme = saturated.popFirst(), !lexeme.exact {
                    return .number(lexeme.text)
                }
                return unsigned > UInt64(Int64.max) ? .uint(unsigned) : .int(signed)
            }
            if signed == Int64.min, let lexeme = saturated.popFirst(), !lexeme.exact {
                return .number(lexeme.text)
            }
            return .int(signed)
        case json_type_double:
            // json-c keeps the lexeme of a parsed double and prints it back unchanged.
            return .number(String(cString: json_object_to_json_string(object)))
        case json_type_string:
            let length = Int(json_object_get_string_len(object))
            let pointer = UnsafeRawPointer(json_object_get_string(object)!)
            return .string(String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self))
        case json_type_array:
            let count = json_object_array_length(object)
            var elements: [JSONValue] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                guard let element = convert(json_object_array_get_idx(object, index), saturated: &saturated, keyCounts: &keyCounts)
                else { return nil }
                elements.append(element)
            }
            return .array(elements)
        case json_type_object:
            let length = Int(json_object_object_length(object))
            if let expected = keyCounts.popFirst(), expected != length { return nil }
            var members: [JSONMember] = []
            members.reserveCapacity(length)
            var entry = json_object_get_object(object)?.pointee.head
            while let current = entry {
                let key = String(cString: current.pointee.k.assumingMemoryBound(to: CChar.self))
                guard let value = convert(OpaquePointer(current.pointee.v), saturated: &saturated, keyCounts: &keyCounts)
                else { return nil }
                members.append(JSONMember(key, value))
                entry = current.pointee.next
            }
            return .object(members)
        default:
            return .null
        }
    }
}

@inline(__always) private func isStructural(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"),
        UInt8(ascii: ":"), UInt8(ascii: ","):
        return true
    default:
        return false
    }
}

@inline(__always) private func isHexDigit(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
}

@inline(__always) private func hexValue(_ byte: UInt8) -> UInt32 {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
    default: return UInt32(byte - UInt8(ascii: "A") + 10)
    }
}
