import QGAProtocol

/// `guest-file-write`: writes base64-decoded bytes (the first `count` of them, if given) at
/// the file position.
public enum GuestFileWrite: GuestCommand {
    public static let name = "guest-file-write"

    public struct Arguments {
        public var handle: Int64
        public var bufB64: String
        public var count: Int64?
    }

    public struct Result {
        public var count: Int64
        public var eof: Bool
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Result {
        let fd = try context.files.descriptor(arguments.handle)
        let bytes = try Base64.decode(arguments.bufB64)
        var count = bytes.count
        if let requested = arguments.count {
            guard requested >= 0, requested <= Int64(bytes.count) else {
                throw QGAError("value '\(requested)' is invalid for argument count")
            }
            count = Int(requested)
        }
        let system = context.system
        var written = 0
        while written < count {
            let result = bytes.withUnsafeBytes { raw in
                Swift.Result { () throws(SystemCallError) -> Int in
                    try system.writeDescriptor(fd, UnsafeRawBufferPointer(rebasing: raw[written..<count]))
                }
            }
            switch result {
            case .success(let n):
                if n == 0 { return Result(count: Int64(written), eof: false) }
                written += n
            case .failure(let error):
                context.logger.audit("guest-file-write failed, handle: \(arguments.handle)")
                throw QGAError.system("failed to write to file", from: error)
            }
        }
        return Result(count: Int64(written), eof: false)
    }
}

extension GuestFileWrite.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        handle = try object.required("handle")
        bufB64 = try object.required("buf-b64")
        count = try object.optional("count")
    }
}

extension GuestFileWrite.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("count", count)
        json.member("eof", eof)
        json.endObject()
    }
}
