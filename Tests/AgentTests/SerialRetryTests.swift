import Foundation
import Testing

/// A pseudo-terminal standing in for a serial line: the test holds the master side, the agent
/// opens the slave through a symlink the test can re-point (a "hot-plugged" device).
final class PseudoTerminal {
    let master: Int32
    let slavePath: String

    init() throws {
        // posix_openpt/unlockpt/ptsname by hand: /dev/ptmx, TIOCSPTLCK, TIOCGPTN.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: CInt = 0
        var number: CInt = 0
        let tiocsptlck: UInt = 0x4004_5431
        let tiocgptn: UInt = 0x8004_5430
        guard master >= 0, ioctl(master, tiocsptlck, &unlock) == 0, ioctl(master, tiocgptn, &number) == 0 else {
            throw AgentTestError("no pty: errno \(errno)")
        }
        slavePath = "/dev/pts/\(number)"
    }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Bytes until a newline arrives (or `timeout` passes).
    func readLine(timeout: Double = 10) -> String? {
        var data: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var byte: UInt8 = 0
        while Date() < deadline {
            var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            guard read(master, &byte, 1) == 1 else { return nil }
            if byte == 0x0A { return String(decoding: data, as: UTF8.self) }
            data.append(byte)
        }
        return nil
    }

    func hangUp() { close(master) }

    /// Sends `request` until a line comes back: the agent flushes input when it opens the line
    /// (tcflush, as qemu-ga), so what was sent before that is lost by design.
    func call(_ request: String, timeout: Double = 15) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            send(request)
            if let line = readLine(timeout: 0.5) { return line }
        }
        return nil
    }
}

/// CPU ticks (user + system) a process has used, from /proc/PID/stat.
func cpuTicks(_ pid: Int32) -> Int? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = stat.split(separator: ")").last
    else { return nil }
    let fields = afterName.split(separator: " ")
    guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
    return user + system
}

@Suite("isa-serial and -r/--retry-path", .serialized)
struct SerialRetryTests {
    func startAgent(link: String, dir: TempDir, extra: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: agentBinary)
        process.arguments = ["-m", "isa-serial", "-p", link, "-t", dir.path, "-v", "-l", dir.file("log")] + extra
        var env = ProcessInfo.processInfo.environment
        env["QGA_CONF"] = "/nonexistent/qemu-ga.conf"  // qemu-ga refuses /dev/null: not a regular file
        process.environment = env
        try process.run()
        return process
    }

    @Test func servesASerialLine() throws {
        let dir = TempDir()
        let pty = try PseudoTerminal()
        try FileManager.default.createSymbolicLink(atPath: dir.file("tty"), withDestinationPath: pty.slavePath)
        let agent = try startAgent(link: dir.file("tty"), dir: dir, extra: [])
        defer { if agent.isRunning { kill(agent.processIdentifier, SIGKILL) } }
        #expect(pty.call(#"{"execute":"guest-sync","arguments":{"id":31}}"#) == #"{"return": 31}"#)
        // Without -r a hang-up ends the agent, with a warning and status 0: qemu-ga's main
        // loop ends the same way on a read error (a hot-unplugged virtio port reads ENODEV),
        // and a "failed" status would mark the unplugged service failed in systemd.
        pty.hangUp()
        let deadline = Date().addingTimeInterval(10)
        while agent.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!agent.isRunning)
        #expect(agent.isRunning || agent.terminationStatus == 0)
        let log = (try? String(contentsOfFile: dir.file("log"), encoding: .utf8)) ?? ""
        #expect(log.contains("warning: error reading channel '\(dir.file("tty"))'"))
    }

    @Test func retryPathReopensTheDeviceWithoutSpinning() throws {
        let dir = TempDir()
        let first = try PseudoTerminal()
        let link = dir.file("tty")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: first.slavePath)
        let agent = try startAgent(link: link, dir: dir, extra: ["-r"])
        defer { if agent.isRunning { kill(agent.processIdentifier, SIGKILL) } }
        #expect(first.call(#"{"execute":"guest-sync","arguments":{"id":1}}"#) == #"{"return": 1}"#)

        // Unplug: the line hangs up and its device node goes away.
        first.hangUp()
        try FileManager.default.removeItem(atPath: link)
        usleep(300_000)
        let before = cpuTicks(agent.processIdentifier)
        sleep(2)
        let after = cpuTicks(agent.processIdentifier)
        #expect(agent.isRunning)
        // A retry loop that spins would burn ~200 ticks in 2 s; waiting costs next to none.
        if let before, let after { #expect(after - before < 20) } else { Issue.record("no /proc stat") }

        // Plug a new line in at the same path: the agent reopens it (qemu-ga retries every 5 s).
        let second = try PseudoTerminal()
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: second.slavePath)
        let reply = second.call(#"{"execute":"guest-sync","arguments":{"id":2}}"#)
        #expect(reply?.hasSuffix(#"{"return": 2}"#) == true)
        #expect(agent.isRunning)
    }
}
