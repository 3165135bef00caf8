import QGAProtocol

/// `guest-file-read`: reads up to `count` bytes (default 4096, at most 48 MiB) at the file
/// position and returns them base64-encoded.
///
/// Like `fread`, it keeps reading until `count` bytes or end of file; `eof` is true only when
/// it met the end, so reading exactly the bytes that are left gives `eof:false` and the next
/// read `count:0, buf-b64:"", eof:true`.
public enum GuestFileRead: GuestCommand {
    public static let name = "guest-file-read"

    public struct Arguments {
        public var handle: Int64
        public var count: Int64?
    }

    public struct Result {
        public var count: Int64
        public var bufB64: String
        public var eof: Bool
    }

    /// `QGA_READ_COUNT_DEFAULT`.
    public static let defaultCount = 4096
    /// `GUEST_FILE_READ_COUNT_MAX`: 48 MiB, whose base64 still fits the 64 MiB JSON limit.
    public static let maximumCount: Int64 = 48 << 20
    /// Bytes asked of the kernel at a time, so a huge `count` on a small file stays small.
    static let chunk = 1 << 20

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Result {
        let fd = try context.files.descriptor(arguments.handle)
        var count = defaultCount
        if let requested = arguments.count {
            guard requested >= 0, requested <= maximumCount else {
                throw QGAError("value '\(requested)' is invalid for argument count")
            }
            count = Int(requested)
        }
        let system = context.system
        var data: [UInt8] = []
        data.reserveCapacity(min(count, chunk))
        var eof = false
        while data.count < count {
            let start = data.count
            let want = min(count - start, chunk)
            data.append(contentsOf: repeatElement(0, count: want))
            let result = data.withUnsafeMutableBytes { raw in
                Swift.Result { () throws(SystemCallError) -> Int in
                    try system.readDescriptor(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<start + want]))
                }
            }
            switch result {
            case .success(let n):
                data.removeLast(want - n)
                if n == 0 { eof = true }
            case .failure(let error):
                context.logger.audit("guest-file-write failed, handle: \(arguments.handle)")  // sic: qemu-ga's text
                throw QGAError.system("failed to read file", from: error)
            }
            if eof { break }
        }
        return Result(count: Int64(data.count), bufB64: Base64.encode(data), eof: eof)
    }
}

extension GuestFileRead.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        handle = try object.required("handle")
        count = try object.optional("count")
    }
}

extension GuestFileRead.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("count", count)
        json.member("buf-b64", bufB64)
        json.member("eof", eof)
        json.endObject()
    }
}
