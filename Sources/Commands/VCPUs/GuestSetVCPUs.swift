import QGAProtocol

/// `guest-set-vcpus`: brings vCPUs online or offline, in order.
///
/// Returns how many leading entries succeeded; it stops at the first failure and reports that
/// error only when it was the first entry (qemu-ga's semantics: the host retries the rest).
public enum GuestSetVCPUs: GuestCommand {
    public static let name = "guest-set-vcpus"

    public struct Arguments {
        public var vcpus: [GuestLogicalProcessor]
    }

    public static func run(_ arguments: Arguments, context: CommandContext) throws(QGAError) -> Int64 {
        var processed: Int64 = 0
        for vcpu in arguments.vcpus {
            do {
                try CPUSysfs.set(vcpu.logicalID, online: vcpu.online, context)
            } catch {
                if processed == 0 { throw error }
                context.logger.info("guest-set-vcpus stopped after \(processed) entries: \(error.desc)")
                break
            }
            processed += 1
        }
        return processed
    }
}

extension GuestSetVCPUs.Arguments: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        vcpus = try object.required("vcpus")
    }
}
