import QGAProtocol

/// One memory block (`GuestMemoryBlock`): returned by `guest-get-memory-blocks`, taken by
/// `guest-set-memory-blocks` (where `can-offline` is accepted and ignored).
public struct GuestMemoryBlock: Sendable, Equatable {
    public var physIndex: UInt64
    public var online: Bool
    public var canOffline: Bool?

    public init(physIndex: UInt64, online: Bool, canOffline: Bool? = nil) {
        self.physIndex = physIndex
        self.online = online
        self.canOffline = canOffline
    }
}

extension GuestMemoryBlock: JSONObjectDecodable {
    public init(from object: inout JSONObjectReader) throws(QGAError) {
        physIndex = try object.required("phys-index")
        online = try object.required("online")
        canOffline = try object.optional("can-offline")
    }
}

extension GuestMemoryBlock: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("phys-index", physIndex)
        json.member("online", online)
        json.member("can-offline", canOffline)
        json.endObject()
    }
}

/// The outcome for one block of `guest-set-memory-blocks` (`GuestMemoryBlockResponseType`).
public enum GuestMemoryBlockResponseType: String, JSONEncodable, Sendable {
    case success
    case notFound = "not-found"
    case operationNotSupported = "operation-not-supported"
    case operationFailed = "operation-failed"
}

/// `GuestMemoryBlockResponse`: the block, the outcome and, on failure, the errno.
public struct GuestMemoryBlockResponse: Sendable, Equatable {
    public var physIndex: UInt64
    public var response: GuestMemoryBlockResponseType
    public var errorCode: Int64?
}

extension GuestMemoryBlockResponse: JSONEncodable {
    public func encode(to json: inout JSONWriter) {
        json.beginObject()
        json.member("phys-index", physIndex)
        json.member("response", response)
        json.member("error-code", errorCode)
        json.endObject()
    }
}
