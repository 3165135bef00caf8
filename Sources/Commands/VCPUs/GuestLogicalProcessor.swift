import QGAProtocol

/// One vCPU as qemu-ga describes it (`GuestLogicalProcessor`): returned by `guest-get-vcpus`,
/// taken by `guest-set-vcpus` (where `can-offline` is accepted and ignored).
public struct GuestLogicalProcessor: Sendable, Equatable {
    public var logicalID: Int64
    public var online: Bool
    public var canOffline: Bool?

    public init(logicalID: Int64, online: Bool, canOffline: Bool? = nil) {
        self.logicalID = logicalID
        self.online = online
        self.canOffline = canOffline
    }
}

extension GuestLogicalProcessor: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        logicalID = try object.required("logical-id")
        online = try object.required("online")
        canOffline = try object.optional("can-offline")
    }
}

extension GuestLogicalProcessor: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("logical-id", logicalID)
        json.member("online", online)
        json.member("can-offline", canOffline)
        json.endObject()
    }
}
