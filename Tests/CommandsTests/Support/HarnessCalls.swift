import Foundation

extension SysfsHarness {
    /// One reply, parsed: `["return": …]` or `["error": …]`.
    struct Reply {
        let object: [String: Any]
        var value: Any? { object["return"] }
        var result: [String: Any] { object["return"] as? [String: Any] ?? [:] }
        var errorDesc: String? { (object["error"] as? [String: Any])?["desc"] as? String }
        var errorClass: String? { (object["error"] as? [String: Any])?["class"] as? String }
    }

    /// Sends `execute` with `arguments` (serialized by Foundation, so any string is safe) and
    /// parses the single reply.
    func call(_ execute: String, _ arguments: [String: Any]? = nil) -> Reply {
        var request: [String: Any] = ["execute": execute]
        if let arguments { request["arguments"] = arguments }
        let data = (try? JSONSerialization.data(withJSONObject: request)) ?? Data()
        let reply = session.receive(Array(data))
        let object = (try? JSONSerialization.jsonObject(with: Data(reply), options: [.fragmentsAllowed])) as? [String: Any]
        return Reply(object: object ?? ["unparsed": String(decoding: reply, as: UTF8.self)])
    }
}

/// Base64 through Foundation: an independent check of the agent's own codec.
func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
func b64(_ text: String) -> String { b64(Array(text.utf8)) }
func unb64(_ text: Any?) -> [UInt8]? {
    guard let text = text as? String, let data = Data(base64Encoded: text) else { return nil }
    return Array(data)
}
