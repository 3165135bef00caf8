/// Writes replies in qemu-ga's shape: `{"return": X, "id": ID}\n` and
/// `{"id": ID, "error": {"class": C, "desc": D}}\n` (the member order qemu-ga 7.2 prints).
extension JSONWriter {
    /// The 0xFF that precedes the reply to `guest-sync-delimited` (`QGA_SENTINEL_BYTE`).
    public static let sentinelByte: UInt8 = 0xFF

    public mutating func writeSuccess(_ result: JSONValue, id: JSONValue?, delimited: Bool = false) {
        writeSuccess(id: id, delimited: delimited) { $0.write(result) }
    }

    /// As ``writeSuccess(_:id:delimited:)``, with the result written by `writeResult` straight
    /// into this writer; when that throws, the writer is left as it was.
    @inlinable
    public mutating func writeSuccess<Failure: Error>(
        id: JSONValue?, delimited: Bool = false, result writeResult: (inout JSONWriter) throws(Failure) -> Void
    ) throws(Failure) {
        let start = bytes.count
        if delimited { raw(Self.sentinelByte) }
        raw("{\"return\": ")
        do {
            try writeResult(&self)
        } catch {
            truncate(to: start)
            throw error
        }
        if let id {
            raw(", \"id\": ")
            write(id)
        }
        raw("}\n")
    }

    /// As ``writeSuccess(_:id:delimited:)``, with the result already serialized (a cached reply).
    public mutating func writeSuccess(serialized result: [UInt8], id: JSONValue?) {
        writeSuccess(id: id) { $0.raw(result) }
    }

    public mutating func writeError(_ error: QGAError, id: JSONValue?) {
        raw(UInt8(ascii: "{"))
        if let id {
            raw("\"id\": ")
            write(id)
            raw(", ")
        }
        raw("\"error\": {\"class\": ")
        writeString(error.errorClass.rawValue)
        raw(", \"desc\": ")
        writeString(error.desc)
        raw("}}\n")
    }
}
