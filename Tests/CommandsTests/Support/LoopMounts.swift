import Commands
import Foundation
import Glibc
import QGAProtocol

/// Runs a shell command; returns its status and merged output.
@discardableResult
func shell(_ command: String) -> (status: Int32, output: String) {
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

/// Filesystems this test created: image files in a temp dir, loop-mounted under it.
///
/// SAFETY: this is the only thing the real-filesystem tests freeze. Agents under test see a
/// mount table listing only these mounts (``mountinfo``), and ``teardown()`` always FITHAWs,
/// unmounts and detaches them, whatever happened.
final class LoopMounts {
    let root = TempDirectory()
    private(set) var mountpoints: [String] = []
    /// Bind mounts of our mountpoints (``bindMount(of:)``): the same filesystems seen again.
    private(set) var binds: [String] = []
    private var torndown = false

    /// Filesystem types whose mkfs is installed (xfs needs xfsprogs).
    static var availableTypes: [String] {
        ["ext4", "xfs"].filter { type in
            ["/sbin/mkfs.\(type)", "/usr/sbin/mkfs.\(type)"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        }
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    init(count: Int, type: String = "ext4") throws {
        // xfs refuses filesystems under 300 MiB; the images are sparse either way.
        let size = type == "xfs" ? "320M" : "16M"
        let mkfs = type == "xfs" ? "mkfs.xfs -q -f" : "mkfs.ext4 -q -F"
        for index in 0..<count {
            let image = root.path + "/fs\(index).img"
            let mountpoint = root.path + "/mnt\(index)"
            let result = shell(
                "set -e; truncate -s \(size) '\(image)'; \(mkfs) '\(image)'; mkdir -p '\(mountpoint)'; mount -o loop '\(image)' '\(mountpoint)'"
            )
            guard result.status == 0 else {
                teardown()
                throw SetupError(description: "setting up \(mountpoint): \(result.output)")
            }
            mountpoints.append(mountpoint)
        }
    }

    deinit { teardown() }

    /// Bind-mounts our mountpoint `index` on a new directory; returns that directory.
    func bindMount(of index: Int) throws -> String {
        let target = root.path + "/bind\(binds.count)"
        let result = shell("set -e; mkdir -p '\(target)'; mount --bind '\(mountpoints[index])' '\(target)'")
        guard result.status == 0 else { throw SetupError(description: "bind-mounting \(target): \(result.output)") }
        binds.append(target)
        return target
    }

    /// This process's mountinfo lines for exactly our mounts (and binds), in mount order.
    var mountinfo: [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && (mountpoints + binds).contains(String(fields[4]))
        }
    }

    /// Writes a fake procfs whose `self/mountinfo` lists only our mounts; returns its root.
    func fakeProcfs() -> String {
        root.write("proc/self/mountinfo", mountinfo.map { $0 + "\n" }.joined())
        return root.path + "/proc"
    }

    /// FITHAW (until it fails) each of our mounts, unmount them, detach their loops.
    func teardown() {
        guard !torndown else { return }
        torndown = true
        // Binds first (thawing a mountpoint below thaws them too: one filesystem).
        for bind in binds where shell("umount '\(bind)'").status != 0 {
            shell("umount -l '\(bind)'")
        }
        for mountpoint in mountpoints {
            thawCompletely(mountpoint)
            if shell("umount '\(mountpoint)'").status != 0 {
                thawCompletely(mountpoint)
                shell("umount -l '\(mountpoint)'")
            }
        }
        // mount -o loop detaches on umount; make sure.
        for index in mountpoints.indices {
            let image = root.path + "/fs\(index).img"
            for device in shell("losetup -j '\(image)' -O NAME -n").output.split(separator: "\n") {
                shell("losetup -d '\(device.trimmingCharacters(in: .whitespaces))'")
            }
        }
    }

    private func thawCompletely(_ mountpoint: String) {
        let fd = open(mountpoint, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var calls = 0
        while calls < 64, ioctl(fd, UInt(0xC004_5878), CInt(0)) == 0 { calls += 1 }
    }
}

/// A child process writing into a directory: blocks while that filesystem is frozen.
final class Writer {
    let process = Process()

    init(into directory: String, name: String = "f") throws {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "echo x > '\(directory)/\(name)'"]
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Still running after `seconds` (bounded wait).
    func isBlocked(after seconds: Double = 0.5) -> Bool {
        usleep(UInt32(seconds * 1_000_000))
        return process.isRunning
    }

    /// Waits up to `seconds` for the write to finish; true when it exited with status 0.
    func finishes(within seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return !process.isRunning && process.terminationStatus == 0
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// An agent context over the real system, seeing only `mounts`.
func realContext(_ mounts: LoopMounts, stateDirectory: String? = nil, freeze: FreezeState = FreezeState(watchdogTimeout: 0), logger: AgentLogger = .discarding) -> CommandContext {
    let state = stateDirectory ?? mounts.root.path + "/state"
    try? FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    return CommandContext(
        system: LinuxSystem(), paths: SystemPaths(procfs: mounts.fakeProcfs()), registry: .standard(),
        logger: logger, stateDirectory: state, freeze: freeze)
}

extension AgentSession {
    func run(_ json: String) -> String {
        var text = String(decoding: receive(Array(json.utf8)), as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
