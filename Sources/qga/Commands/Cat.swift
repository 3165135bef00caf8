import ArgumentParser
import QGAProtocol

/// `qga cat PATH`: a guest file's content on stdout (guest-file-open, guest-file-read until
/// eof, guest-file-close), as qemu-ga-client's `cat`.
struct Cat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a guest file's content (guest-file-open, guest-file-read, guest-file-close).",
        discussion: "The bytes are written as they are. With --json: {\"path\", \"count\", \"buf-b64\"} for the whole file.")

    @ParentCommand var qga: QGA

    @Argument(help: ArgumentHelp("The file's path in the guest.", valueName: "path"))
    var path: String

    /// Bytes per guest-file-read: few round trips, and far below the agent's 48 MiB limit.
    static let chunkSize: Int64 = 1 << 16

    func run() throws {
        try reporting {
            let connection = try qga.connect()
            let handle = try qga.call(connection, "guest-file-open", arguments: ["path": .string(path), "mode": "r"])
            guard handle.int64Value != nil else { throw Failure.agent("guest-file-open returned no handle: \(handle.serialized)") }
            var content: [UInt8] = []
            do {
                while true {
                    let chunk = try qga.call(connection, "guest-file-read", arguments: ["handle": handle, "count": .int(Self.chunkSize)])
                    guard let text = chunk["buf-b64"]?.stringValue, let bytes = try? Base64.decode(text) else {
                        throw Failure.agent("guest-file-read returned no buf-b64: \(chunk.serialized)")
                    }
                    if qga.json { content += bytes } else { writeAll(1, bytes) }
                    if chunk["eof"]?.boolValue != false || bytes.isEmpty { break }
                }
            } catch {
                // The handle is the agent's to keep otherwise; an error still comes first.
                _ = try? qga.call(connection, "guest-file-close", arguments: ["handle": handle])
                throw error
            }
            _ = try qga.call(connection, "guest-file-close", arguments: ["handle": handle])
            if qga.json {
                printJSON(["path": .string(path), "count": .int(Int64(content.count)), "buf-b64": .string(Base64.encode(content))])
            }
        }
    }
}
