import QGAProtocol
import Testing

@Suite struct Base64Tests {
    /// RFC 4648 §10.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: vectors)
    func encodesTheRFCVectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
    }

    @Test(arguments: vectors)
    func decodesTheRFCVectors(plain: String, encoded: String) throws {
        #expect(try Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func roundTripsEveryByteValueAtEveryLengthRemainder() throws {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        for length in 0...bytes.count where length < 20 || length % 37 == 0 || length == bytes.count {
            let slice = Array(bytes[0..<length])
            #expect(try Base64.decode(Base64.encode(slice)) == slice)
        }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    }

    /// What Debian's qemu-ga 7.2 wrote to a file for each of these `buf-b64` values (measured:
    /// glib's lenient decoder behind qemu's character check).
    static let lenient: [(String, [UInt8])] = [
        ("QQ", []),  // a partial group is dropped
        ("QQ==QQ==", [0x41, 0x41]),  // padding in the middle
        ("Q=Q=", [0x40, 0x04]),  // '=' counts as a zero digit and drops a byte
        ("QUJD\nREVG", Array("ABCDEF".utf8)),  // newlines are skipped
        ("SGVsbG8gV29ybGQhCgA=", Array("Hello World!\n\0".utf8)),
    ]

    @Test(arguments: lenient)
    func decodesLikeQemuGA(text: String, bytes: [UInt8]) throws {
        #expect(try Base64.decode(text) == bytes)
    }

    @Test(arguments: ["!!!", "QUJD QUJD", "QUJD\r\n", "QUJ-", "é"])
    func rejectsCharactersOutsideTheAlphabet(text: String) {
        #expect(throws: QGAError("Base64 data contains invalid characters")) { try Base64.decode(text) }
    }
}
