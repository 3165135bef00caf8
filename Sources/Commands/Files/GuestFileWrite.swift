import QGAProtocol

/// `guest-file-write`: writes base64-decoded bytes (the first `count` of them, if given) at
/// the file position.
public enum GuestFileWrite: GuestCommand {
    public static let name = "guest-file-write"

    public struct Arguments: Decodable {
        public var handle: Int64
        public var bufB64: String
        public var count: Int64?

        enum CodingKeys: String, CodingKey {
            case handle
            case bufB64 = "buf-b64"
            case count
        }
    }

    public struct Result: Encodable {
        public var count: Int64
        public var eof: Bool
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws -> Result {
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
                Swift.Result { () throws(QGAError) -> Int in
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
