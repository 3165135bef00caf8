import QGAProtocol

/// `guest-get-load`: the 1, 5 and 15 minute load averages (qemu-ga 10.0), from
/// `<procfs>/loadavg`, which is what glibc's `getloadavg(3)` reads.
public enum GuestGetLoad: GuestCommand {
    public static let name = "guest-get-load"

    public struct Result: Equatable {
        public var load1m: Double
        public var load5m: Double
        public var load15m: Double
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Result {
        let path = context.paths.proc("loadavg")
        let bytes: [UInt8]
        do {
            bytes = try context.system.readFile(path, maxBytes: 256)
        } catch {
            throw QGAError.system("cannot query load average", errno: error.errno ?? 0)
        }
        let fields = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 3, let one = Double(fields[0]), let five = Double(fields[1]),
            let fifteen = Double(fields[2]), one.isFinite, five.isFinite, fifteen.isFinite
        else {
            throw QGAError("cannot query load average: unexpected content in \"\(path)\"")
        }
        return Result(load1m: one, load5m: five, load15m: fifteen)
    }
}

extension GuestGetLoad.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("load1m", load1m)
        json.member("load5m", load5m)
        json.member("load15m", load15m)
        json.endObject()
    }
}
