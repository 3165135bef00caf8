import SystemCalls

/// Which peers a `vsock-listen` agent serves: the host, and the CIDs an administrator added
/// (`--allow-vsock-cids`).
///
/// A socket bound to `VMADDR_CID_ANY` listens on every vsock transport, the guest's own
/// loopback (`vsock_loopback`, CID 1) included, so without this check any local user could
/// reach a root agent (qemu-ga accepts every peer). The peer's CID is the one the kernel
/// reports for the connection; a process cannot choose it.
public struct VsockPeerPolicy: Sendable, Equatable {
    /// `VMADDR_CID_HOST`: the hypervisor's end of the guest's virtio-vsock device.
    public static let hostCID: UInt32 = 2

    /// CIDs served besides the host's (a relay VM's, say), in the order given.
    public var extraCIDs: [UInt32]

    public init(extraCIDs: [UInt32] = []) {
        self.extraCIDs = extraCIDs
    }

    /// Whether a peer with context ID `cid` may talk to the agent.
    public func admits(cid: UInt32) -> Bool {
        cid == Self.hostCID || extraCIDs.contains(cid)
    }

    /// Why the connection from `peer` is closed unanswered, or nil when it is served. Unix
    /// peers are served: the socket file's mode (0600, owner only) decides who connects. A
    /// peer whose address the kernel did not report is refused.
    public func refusal(of peer: SocketAddress?) -> String? {
        switch peer {
        case .unix: return nil
        case .vsock(let cid, let port):
            if admits(cid: cid) { return nil }
            return "refused vsock connection from CID \(cid) port \(port): only the host (CID \(Self.hostCID))"
                + (extraCIDs.isEmpty ? "" : " and CIDs \(Self.listText(extraCIDs))") + " may connect"
        case nil: return "refused connection from a peer of unknown address family"
        }
    }

    /// CIDs in the form `--allow-vsock-cids` and `-D` use: decimal, `,`-separated.
    public static func listText(_ cids: [UInt32]) -> String {
        cids.map { "\($0)" }.joined(separator: ",")
    }

    /// The CIDs `items` name (each a decimal number from 0 to 4294967295), or nil when any
    /// item is not one (an empty item included).
    public static func parseCIDs(_ items: [String]) -> [UInt32]? {
        var cids: [UInt32] = []
        for item in items {
            guard !item.isEmpty, item.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let cid = UInt32(item)
            else { return nil }
            cids.append(cid)
        }
        return cids
    }
}
