// Linked against QGAProtocol built in Embedded Swift by scripts/embedded-check.sh: the
// protocol layer's path for one request, from bytes to reply bytes, on stdout; then whether
// the runtime's swift_bridgeObjectRetain (Embedded/BridgeObjectRetain.c) hands back a String's
// object bits unchanged.
import QGAProtocol

/// Whether the runtime's retain of a String's object word returns that word unchanged
/// (scripts/embedded-smoke-retain.c).
@_extern(c, "smoke_bridge_object_retain_returns_argument")
func bridgeObjectRetainReturnsArgument(_ objectWord: UInt64) -> Int32

struct SyncArguments: JSONObjectDecodable {
    var id: Int64
    init(from object: inout JSONObjectReader) throws(QGAError) { id = try object.required("id") }
}

struct SyncResult: JSONEncodable {
    var id: Int64
    var note: String?
    func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("id", id)
        json.member("note", note)
        json.endObject()
    }
}

@main
struct EmbeddedSmoke {
    static func main() {
        let input: StaticString = """
            {"execute": "guest-sync", "arguments": {"id": 42}, "id": "a"}
            {"execute": "guest-sync", "arguments": {"id": "x"}}
            {"execute": "guest-sync", "arguments": {"id": 1, "extra": "é"}}
            """
        let parser = RequestStreamParser()
        var writer = JSONWriter()
        input.withUTF8Buffer { bytes in
            parser.feed(UnsafeRawBufferPointer(bytes)) { event in
                guard case .value(let value) = event, case .success(let request) = Request.validate(value) else {
                    return writer.writeError(QGAError("unexpected event"), id: nil)
                }
                do throws(QGAError) {
                    let arguments = try SyncArguments(arguments: request.arguments)
                    try writer.writeSuccess(id: request.id) { (reply) throws(QGAError) in
                        SyncResult(id: arguments.id, note: nil).encode(to: &reply)
                    }
                } catch {
                    writer.writeError(error, id: request.id)
                }
            }
        }
        print(String(decoding: writer.bytes, as: UTF8.self), terminator: "")
        // A small ASCII string keeps its discriminator (0xE_) in the top byte of the object
        // word; Swift 6.3's own retain returned it with the flags cleared (0x8_).
        let objectWord = unsafeBitCast(String(decoding: writer.bytes.prefix(10), as: UTF8.self), to: (UInt64, UInt64).self).1
        let kept = bridgeObjectRetainReturnsArgument(objectWord) != 0
        print(kept ? "bridgeObjectRetain kept the String" : "bridgeObjectRetain changed the String")
    }
}
