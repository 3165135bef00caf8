import QGAProtocol

/// `guest-get-osinfo`: the kernel (from `uname`) and the distribution (from `os-release`).
///
/// The file is `$QGA_OS_RELEASE` when set, else `/etc/os-release`, else `/usr/lib/os-release`.
/// A file that cannot be read or is not UTF-8 is skipped, as in qemu-ga; with none, only the
/// kernel members are returned. `virsh guestinfo --os` shows the result.
public enum GuestGetOSInfo: GuestCommand {
    public static let name = "guest-get-osinfo"

    public struct Result: Equatable {
        public var kernelRelease: String?
        public var kernelVersion: String?
        public var machine: String?
        public var id: String?
        public var name: String?
        public var prettyName: String?
        public var version: String?
        public var versionID: String?
        public var variant: String?
        public var variantID: String?
    }

    public static func run(_ arguments: NoArguments, context: CommandContext) throws(QGAError) -> Result {
        var result = Result()
        do {
            let kernel = try context.system.kernelIdentity()
            result.kernelRelease = kernel.release
            result.kernelVersion = kernel.version
            result.machine = kernel.machine
        } catch {
            // uname cannot fail in practice; the distribution members are still worth sending.
            context.logger.warning(QGAError(error).desc)
        }
        if let release = load(context) {
            result.id = release["ID"]
            result.name = release["NAME"]
            result.prettyName = release["PRETTY_NAME"]
            result.version = release["VERSION"]
            result.versionID = release["VERSION_ID"]
            result.variant = release["VARIANT"]
            result.variantID = release["VARIANT_ID"]
        }
        return result
    }

    /// The first readable, UTF-8 os-release file of the candidates.
    static func load(_ context: CommandContext) -> OSRelease? {
        let candidates = context.paths.osRelease.map { [$0] } ?? ["/etc/os-release", "/usr/lib/os-release"]
        for path in candidates {
            do {
                let bytes = try context.system.readFile(path)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    context.logger.audit("file is not utf-8 encoded: \(path)")
                    continue
                }
                return OSRelease(parsing: text)
            } catch {
                context.logger.warning("failed to read '\(path)', error: \(QGAError(error).desc)")
            }
        }
        return nil
    }
}

extension GuestGetOSInfo.Result: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("kernel-release", kernelRelease)
        json.member("kernel-version", kernelVersion)
        json.member("machine", machine)
        json.member("id", id)
        json.member("name", name)
        json.member("pretty-name", prettyName)
        json.member("version", version)
        json.member("version-id", versionID)
        json.member("variant", variant)
        json.member("variant-id", variantID)
        json.endObject()
    }
}
