import Channel
import SystemCalls
import Testing

/// Which peers a vsock-listen agent serves: a pure decision over the peer's address and the
/// `--allow-vsock-cids` list.
@Suite struct VsockPeerPolicyTests {
    static let decisions: [(cid: UInt32, extra: [UInt32], admitted: Bool)] = [
        (2, [], true),  // the host
        (1, [], false),  // the guest's own loopback transport: any local user
        (0, [], false),  // the hypervisor (VMADDR_CID_HYPERVISOR)
        (3, [], false),  // another guest
        (4_294_967_295, [], false),  // VMADDR_CID_ANY never names a peer
        (1, [1], true),
        (7, [3, 7], true),
        (8, [3, 7], false),
        (2, [1], true),  // the host stays allowed whatever the list says
    ]

    @Test(arguments: decisions)
    func admitsTheHostAndTheListedCIDsOnly(cid: UInt32, extra: [UInt32], admitted: Bool) {
        let policy = VsockPeerPolicy(extraCIDs: extra)
        #expect(policy.admits(cid: cid) == admitted)
        #expect((policy.refusal(of: .vsock(cid: cid, port: 1234)) == nil) == admitted)
    }

    @Test func theRefusalNamesTheCIDAndWhoMayConnect() {
        #expect(VsockPeerPolicy().refusal(of: .vsock(cid: 1, port: 40000))
            == "refused vsock connection from CID 1 port 40000: only the host (CID 2) may connect")
        #expect(VsockPeerPolicy(extraCIDs: [5, 9]).refusal(of: .vsock(cid: 3, port: 7))
            == "refused vsock connection from CID 3 port 7: only the host (CID 2) and CIDs 5,9 may connect")
    }

    @Test func unixPeersAreLeftToTheSocketFilesModeAndUnknownPeersAreRefused() {
        #expect(VsockPeerPolicy().refusal(of: .unix(path: "")) == nil)
        #expect(VsockPeerPolicy(extraCIDs: [1]).refusal(of: nil) != nil)
    }

    static let lists: [([String], [UInt32]?)] = [
        ([], []),
        (["1"], [1]),
        (["1", "3", "1"], [1, 3, 1]),
        (["4294967295"], [4_294_967_295]),
        (["4294967296"], nil),
        (["-1"], nil),
        (["+1"], nil),
        ([" 1"], nil),
        (["1", ""], nil),
        (["0x3"], nil),
        (["host"], nil),
    ]

    @Test(arguments: lists)
    func parsesDecimalCIDs(items: [String], expected: [UInt32]?) {
        #expect(VsockPeerPolicy.parseCIDs(items) == expected)
    }
}
