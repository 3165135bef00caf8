import Glibc
import QGAProtocol

/// `guest-fstrim`: FITRIM on every mount; one result per mount, errors per mount.
public enum GuestFstrim: GuestCommand {
    public static let name = "guest-fstrim"

    public struct Arguments {
        /// Smallest free extent, in bytes, worth discarding.
        public var minimum: Int64?
    }

    public struct Result {
        public var paths: [PathResult]
    }

    public struct PathResult: Equatable {
        public var path: String
        public var trimmed: UInt64?
        public var minimum: UInt64?
        public var error: String?
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Result {
        context.logger.audit("guest-fstrim called")
        let mounts = try MountTable.load(context)
        let system = context.system
        // qemu-ga passes the int64 to the u64 field unchanged.
        let minimum = UInt64(bitPattern: arguments.minimum ?? 0)
        var paths: [PathResult] = []
        for mount in mounts {
            var result = PathResult(path: mount.directory)
            defer { paths.append(result) }
            let fd: Int32
            do {
                fd = try system.openDirectory(mount.directory)
            } catch {
                result.error = "failed to open: \(QGAError.errorText(error.errno ?? EIO))"
                continue
            }
            defer { system.closeDescriptor(fd) }
            do {
                let range = try system.trimFilesystem(fd, minimum: minimum)
                result.minimum = range.minimum
                result.trimmed = range.trimmed
            } catch {
                let errno = error.errno ?? EIO
                // ENOTTY (a CD-ROM) and EOPNOTSUPP: this filesystem or device cannot discard.
                result.error = errno == ENOTTY || errno == EOPNOTSUPP
                    ? "trim not supported" : "failed to trim: \(QGAError.errorText(errno))"
            }
        }
        // qemu-ga prepends each result, so the reply lists mounts last to first.
        return Result(paths: paths.reversed())
    }
}

extension GuestFstrim.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        minimum = try object.optional("minimum")
    }
}

extension GuestFstrim.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("paths", paths)
        json.endObject()
    }
}

extension GuestFstrim.PathResult: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("path", path)
        json.member("trimmed", trimmed)
        json.member("minimum", minimum)
        json.member("error", error)
        json.endObject()
    }
}
