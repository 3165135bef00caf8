import Foundation
import Testing

/// guest-exec children are reaped the moment they exit, as qemu-ga's GLib child watch does:
/// a burst of short commands must not leave zombies waiting for the host's next
/// guest-exec-status, and the exit codes are still there when the host asks.
@Suite("Agent binary: guest-exec children are reaped when they exit", .serialized)
struct ExecReapingTests {
    /// `State:` of /proc/PID/status (`Z` for a zombie); nil once the pid is gone (reaped).
    static func state(_ pid: Int) -> String? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("State:") }
        // "State:\tZ (zombie)"
        return line.flatMap { $0.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) }
    }

    /// Polls until `done` holds or `seconds` pass; false on timeout.
    static func wait(seconds: Double, until done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() {
            if Date() >= deadline { return false }
            usleep(20_000)
        }
        return true
    }

    @Test(arguments: [60])
    func aBurstOfShortChildrenLeavesNoZombie(count: Int) throws {
        let agent = try AgentProcess()
        let client = try agent.connect()
        var children: [(pid: Int, code: Int)] = []
        for index in 0..<count {
            let code = index % 7
            let request = try JSONSerialization.data(withJSONObject: [
                "execute": "guest-exec", "arguments": ["path": "/bin/sh", "arg": ["-c", "sleep 0.3; exit \(code)"]],
            ])
            let reply = try client.call(String(decoding: request, as: UTF8.self))
            let pid = try #require((reply["return"] as? [String: Any])?["pid"] as? Int, "guest-exec: \(reply)")
            children.append((pid, code))
        }
        // Every child has exited: it is either a zombie or already gone.
        let allEnded = Self.wait(seconds: 30) { children.allSatisfy { Self.state($0.pid).map { $0 == "Z" } ?? true } }
        #expect(allEnded, "children still running after 30 s")
        // The agent collects each exit as it happens, with no guest-exec-status asked yet;
        // the bound only covers the time its loop needs to take the last SIGCHLD.
        _ = Self.wait(seconds: 5) { children.allSatisfy { Self.state($0.pid) == nil } }
        let zombies = children.filter { Self.state($0.pid) == "Z" }.map(\.pid)
        #expect(zombies.isEmpty, "\(zombies.count) of \(count) children left as zombies: \(zombies)")

        // The exit statuses were kept for the host.
        for child in children {
            let reply = try client.call(#"{"execute": "guest-exec-status", "arguments": {"pid": \#(child.pid)}}"#)
            let status = try #require(reply["return"] as? [String: Any], "guest-exec-status: \(reply)")
            #expect(status["exited"] as? Bool == true)
            #expect(status["exitcode"] as? Int == child.code, "pid \(child.pid)")
        }
        #expect(agent.terminate() == 0)
    }
}
