/// Writes replies in qemu-ga's shape: `{"return": X, "id": ID}\n` and
/// `{"id": ID, "error": {"class": C, "desc": D}}\n` (the member order qemu-ga 7.2 prints).
extension JSONWriter {
    /// The 0xFF that precedes the reply to `guest-sync-delimited` (`QGA_SENTINEL_BYTE`).
    public static let sentinelByte: UInt8 = 0xFF

    public mutating func writeSuccess(_ result: JSONValue, id: JSONValue?, delimited: Bool = false) {
        if delimited { raw(Self.sentinelByte) }
        raw("{\"return\": ")
        write(result)
        if let id {
            raw(", \"id\": ")
            write(id)
        }
        raw("}\n")
    }

    /// As ``writeSuccess(_:id:delimited:)``, with the result already serialized (a cached reply).
    public mutating func writeSuccess(serialized result: [UInt8], id: JSONValue?) {
        raw("{\"return\": ")
        raw(result)
        if let id {
            raw(", \"id\": ")
            write(id)
        }
        raw("}\n")
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
