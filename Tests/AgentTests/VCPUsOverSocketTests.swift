import Foundation
import Testing

/// The real binary over unix-listen, pointed at a fake sysfs tree with `QGA_SYSFS_ROOT`:
/// the guest-get-vcpus / guest-set-vcpus round trip, and the memory-block reads. Never the
/// machine's own /sys.
///
/// Self-contained on purpose (private helpers): the shared AgentTests support was not in main
/// yet when this was written; switch to it once it is.
@Suite("vCPUs and memory blocks over unix-listen with QGA_SYSFS_ROOT", .serialized)
struct VCPUsOverSocketTests {
    @Test func getSetGetRoundTrip() throws {
        let agent = try FakeSysfsAgent()
        let sys = agent.sysfs
        let client = try agent.connect()

        #expect(vcpus(try client.call(#"{"execute": "guest-get-vcpus"}"#)) == [0: true, 1: true, 2: false])

        let set = try client.call(
            #"{"execute": "guest-set-vcpus", "arguments": {"vcpus": [{"logical-id": 1, "online": false}, {"logical-id": 2, "online": true}]}}"#)
        #expect(set["return"] as? Int == 2)
        #expect(try String(contentsOfFile: sys + "/devices/system/cpu/cpu1/online", encoding: .utf8) == "0")
        #expect(try String(contentsOfFile: sys + "/devices/system/cpu/cpu2/online", encoding: .utf8) == "1")

        #expect(vcpus(try client.call(#"{"execute": "guest-get-vcpus"}"#)) == [0: true, 1: false, 2: true])

        let refused = try client.call(
            #"{"execute": "guest-set-vcpus", "arguments": {"vcpus": [{"logical-id": 0, "online": false}]}}"#)
        #expect(errorDesc(refused) == "logical processor #0 can't be offlined")
        let unknown = try client.call(
            #"{"execute": "guest-set-vcpus", "arguments": {"vcpus": [{"logical-id": 99, "online": true}]}}"#)
        #expect(errorDesc(unknown) == "Could not open '\(sys)/devices/system/cpu/cpu99/': No such file or directory")

        let blocks = try client.call(#"{"execute": "guest-get-memory-blocks"}"#)
        let block = (blocks["return"] as? [[String: Any]])?.first
        #expect(block?["phys-index"] as? Int == 4)
        #expect(block?["can-offline"] as? Bool == true)
        let info = try client.call(#"{"execute": "guest-get-memory-block-info"}"#)
        #expect((info["return"] as? [String: Any])?["size"] as? Int == 0x800_0000)
        #expect(agent.terminate() == 0)
    }

    private func vcpus(_ reply: [String: Any]) -> [Int: Bool] {
        var states: [Int: Bool] = [:]
        for entry in reply["return"] as? [[String: Any]] ?? [] {
            if let id = entry["logical-id"] as? Int, let online = entry["online"] as? Bool { states[id] = online }
        }
        return states
    }

    private func errorDesc(_ reply: [String: Any]) -> String? {
        (reply["error"] as? [String: Any])?["desc"] as? String
    }
}

private struct FakeSysfsAgentError: Error, CustomStringConvertible {
    var description: String
}

/// `qemu-ga-swift -m unix-listen` in a temp dir, with `QGA_SYSFS_ROOT` at a fake tree there:
/// cpu0 without `online`, cpu1 online, cpu2 offline, one removable memory block.
private final class FakeSysfsAgent {
    let directory: String
    let process = Process()
    var sysfs: String { directory + "/sys" }
    var socketPath: String { directory + "/sock" }

    init() throws {
        directory = NSTemporaryDirectory() + "qga-vcpus-" + UUID().uuidString
        let fm = FileManager.default
        for dir in ["state", "sys/devices/system/cpu/cpu0", "sys/devices/system/cpu/cpu1", "sys/devices/system/cpu/cpu2",
            "sys/devices/system/memory/memory4"]
        {
            try fm.createDirectory(atPath: directory + "/" + dir, withIntermediateDirectories: true)
        }
        for (file, content) in [
            ("devices/system/cpu/cpu1/online", "1\n"), ("devices/system/cpu/cpu2/online", "0\n"),
            ("devices/system/memory/block_size_bytes", "8000000\n"), ("devices/system/memory/memory4/state", "online\n"),
            ("devices/system/memory/memory4/removable", "1\n"),
        ] {
            try content.write(toFile: sysfs + "/" + file, atomically: false, encoding: .utf8)
        }

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let binary = ProcessInfo.processInfo.environment["QGA_BINARY"] ?? root.appendingPathComponent(".build/debug/qemu-ga-swift").path
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-m", "unix-listen", "-p", socketPath, "-t", directory + "/state"]
        var environment = ProcessInfo.processInfo.environment
        environment["QGA_SYSFS_ROOT"] = sysfs
        environment["QGA_CONF"] = nil
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !fm.fileExists(atPath: socketPath) {
            guard process.isRunning, Date() < deadline else { throw FakeSysfsAgentError(description: "no socket from \(binary)") }
            usleep(10_000)
        }
    }

    func connect() throws -> LineClient { try LineClient(path: socketPath) }

    /// SIGTERM to the agent this test started (by pid); its exit status, nil after a SIGKILL.
    @discardableResult
    func terminate() -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        terminate()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// One unix-socket connection: a request out, one reply line in.
private final class LineClient {
    let fd: Int32
    private var pending: [UInt8] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 { throw FakeSysfsAgentError(description: "connect \(path): errno \(errno)") }
    }

    deinit { close(fd) }

    func call(_ request: String) throws -> [String: Any] {
        let bytes = Array(request.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw FakeSysfsAgentError(description: "write failed") }
            offset += n
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(10)
        while !pending.contains(0x0A) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = deadline.timeIntervalSinceNow
            guard left > 0, poll(&pfd, 1, Int32(left * 1000)) > 0 else {
                throw FakeSysfsAgentError(description: "no reply to \(request)")
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw FakeSysfsAgentError(description: "connection closed") }
            pending += buffer[0..<n]
        }
        let newline = pending.firstIndex(of: 0x0A) ?? pending.endIndex
        let line = Array(pending[..<newline])
        pending.removeSubrange(...newline)
        guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw FakeSysfsAgentError(description: "not an object: \(String(decoding: line, as: UTF8.self))")
        }
        return object
    }
}
