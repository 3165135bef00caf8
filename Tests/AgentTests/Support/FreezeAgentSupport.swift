import Foundation
import Glibc

/// Runs a shell command; returns its status and merged output.
@discardableResult
func freezeShell(_ command: String) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A temp dir with loop-mounted ext4 images this test created, and a fake procfs whose
/// `self/mountinfo` lists only them (the agent is pointed at it with QGA_PROCFS_ROOT).
/// SAFETY: teardown FITHAWs, unmounts and detaches them whatever happened.
final class FreezeScene {
    let root: String
    private(set) var mountpoints: [String] = []
    private var torndown = false

    init(filesystems: Int) throws {
        root = NSTemporaryDirectory() + "qga-agent-freeze-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/proc/self", withIntermediateDirectories: true)
        for index in 0..<filesystems {
            let image = "\(root)/fs\(index).img", mnt = "\(root)/mnt\(index)"
            let result = freezeShell("set -e; truncate -s 16M '\(image)'; mkfs.ext4 -q -F '\(image)'; mkdir -p '\(mnt)'; mount -o loop '\(image)' '\(mnt)'")
            guard result.status == 0 else {
                teardown()
                throw SceneError(description: result.output)
            }
            mountpoints.append(mnt)
        }
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let ours = text.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && mountpoints.contains(String(fields[4]))
        }
        try (ours.joined(separator: "\n") + "\n").write(toFile: root + "/proc/self/mountinfo", atomically: true, encoding: .utf8)
    }

    struct SceneError: Error, CustomStringConvertible { var description: String }

    deinit { teardown() }

    var stateFile: String { root + "/state/qga.state.isfrozen" }

    func script(_ name: String, _ body: String) -> String {
        let path = root + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        let bytes = Array(body.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return path
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: root + "/" + name, encoding: .utf8)) ?? ""
    }

    func teardown() {
        guard !torndown else { return }
        torndown = true
        for mnt in mountpoints {
            let fd = open(mnt, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                var calls = 0
                while calls < 64, ioctl(fd, UInt(0xC004_5878), CInt(0)) == 0 { calls += 1 }
                close(fd)
            }
            if freezeShell("umount '\(mnt)'").status != 0 { freezeShell("umount -l '\(mnt)'") }
        }
        for index in mountpoints.indices {
            for device in freezeShell("losetup -j '\(root)/fs\(index).img' -O NAME -n").output.split(separator: "\n") {
                freezeShell("losetup -d '\(device.trimmingCharacters(in: .whitespaces))'")
            }
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// The real `qemu-ga-swift` binary (`agentBinary`) on a unix socket, state and log in the scene.
final class FreezeAgent {
    let process = Process()
    let socketPath: String
    private var fd: Int32 = -1

    init(scene: FreezeScene, arguments: [String], log: String = "agent.log") throws {
        socketPath = scene.root + "/qga.sock"
        process.executableURL = URL(fileURLWithPath: agentBinary)
        process.arguments = ["-m", "unix-listen", "-p", socketPath, "-t", scene.root + "/state", "-l", scene.root + "/" + log] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["QGA_PROCFS_ROOT"] = scene.root + "/proc"
        // An empty config file: whatever /etc/qemu/qemu-ga.conf says does not apply.
        FileManager.default.createFile(atPath: scene.root + "/qemu-ga.conf", contents: Data("[general]\n".utf8))
        environment["QGA_CONF"] = scene.root + "/qemu-ga.conf"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        try connect()
    }

    deinit {
        if fd >= 0 { close(fd) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private func connect() throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
            }
            let ok = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if ok == 0 {
                fd = sock
                var timeout = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                return
            }
            close(sock)
            if !process.isRunning { break }
            usleep(50_000)
        }
        throw FreezeScene.SceneError(description: "agent did not listen on \(socketPath)")
    }

    /// Sends one request and returns one reply line (without the newline).
    func request(_ json: String) -> String {
        let bytes = Array(json.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var reply: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { break }
            reply.append(byte)
        }
        return String(decoding: reply, as: UTF8.self)
    }

    /// Sends `signal` and waits (bounded) for the exit status; nil if it did not exit.
    func stop(with signal: Int32 = SIGTERM, within seconds: Double = 20) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }
}

/// A child writing into a directory: blocks while that filesystem is frozen.
final class BlockedWriter {
    let process = Process()

    init(into directory: String) throws {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "echo x > '\(directory)/f'"]
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    func isBlocked(after seconds: Double = 0.5) -> Bool {
        usleep(UInt32(seconds * 1_000_000))
        return process.isRunning
    }

    func finishes(within seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return !process.isRunning && process.terminationStatus == 0
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
