// fsfreeze-bench: freeze+thaw time for loop-mounted ext4 filesystems, through the agent's
// command path (AgentSession → FSFreeze → FIFREEZE/FITHAW), with and without hooks.
//
// Run as root from the repository root:
//   swift run -c release fsfreeze-bench [iterations] [filesystems] [image-dir]
// image-dir (default /tmp) holds the images: on a disk, every freeze's flush becomes an fsync of
// the image files there (like a virtual disk's flush on the host); on /dev/shm it does not.
// SAFETY: it creates its own images and loop mounts under a temp dir, and the agent it drives
// sees a mount table listing only those; it thaws and unmounts them before exiting.
import Commands
import FreezeHooks
import Glibc
import ProcessRunner
import SystemCalls

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20 : 20
let filesystemCount = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 4 : 4

func sh(_ command: String) -> Int32 {
    let status = system(command)
    return (status >> 8) & 0xFF
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { fatalError("cannot write \(path)") }
    _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    chmod(path, mode)
}

let imageDirectory = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : "/tmp"
var template = Array("\(imageDirectory)/qga-fsfreeze-bench.XXXXXX".utf8CString)
guard let rootPointer = mkdtemp(&template) else { fatalError("mkdtemp failed") }
let root = String(cString: rootPointer)
var mountpoints: [String] = []

@MainActor func teardown() {
    for mnt in mountpoints {
        let fd = open(mnt, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            while ioctl(fd, UInt(0xC004_5878), CInt(0)) == 0 {}
            close(fd)
        }
        _ = sh("umount '\(mnt)' || umount -l '\(mnt)'")
    }
    _ = sh("rm -rf '\(root)'")
}

for index in 0..<filesystemCount {
    let image = "\(root)/fs\(index).img", mnt = "\(root)/mnt\(index)"
    guard sh("truncate -s 64M '\(image)' && mkfs.ext4 -q -F '\(image)' && mkdir -p '\(mnt)' && mount -o loop '\(image)' '\(mnt)'") == 0 else {
        teardown()
        fatalError("could not set up \(mnt)")
    }
    mountpoints.append(mnt)
}

// The mount table the agent sees: this process's mountinfo lines for our mounts only.
_ = sh("mkdir -p '\(root)/proc/self' '\(root)/state' '\(root)/hooks/fsfreeze-hook.d' '\(root)/empty.d'")
let mountinfo = String(decoding: (try? LinuxSystem().readFile("/proc/self/mountinfo")) ?? [], as: UTF8.self)
let ours = mountinfo.split(separator: "\n").filter { line in
    let fields = line.split(separator: " ")
    return fields.count > 4 && mountpoints.contains(String(fields[4]))
}
writeFile("\(root)/proc/self/mountinfo", ours.joined(separator: "\n") + "\n")
guard ours.count == filesystemCount else { teardown(); fatalError("mount table has \(ours.count) of our mounts") }

writeFile("\(root)/hooks/trivial", "#!/bin/sh\nexit 0\n", mode: 0o755)
writeFile("\(root)/hooks/fsfreeze-hook.d/10-noop", "#!/bin/sh\necho \"noop $1\"\n", mode: 0o755)
let shippedHook = getcwd(nil, 0).map { String(cString: $0) + "/hooks/fsfreeze-hook" } ?? "hooks/fsfreeze-hook"
guard access(shippedHook, X_OK) == 0 else { teardown(); fatalError("run from the repository root (\(shippedHook))") }
var baseEnvironment: [String] = []
var environ_ = environ
while let entry = environ_.pointee { baseEnvironment.append(String(cString: entry)); environ_ += 1 }

struct Scenario {
    var name: String
    var hook: FreezeHook?
    var dirtyBytes: Int
    /// Idle time before each freeze (not timed): back-to-back freezes find the kernel's
    /// percpu-rwsem/RCU state still warm from the last thaw; a real freeze does not.
    var pauseMilliseconds: UInt32 = 0
}

let scenarios: [Scenario] = [
    Scenario(name: "no hook, clean, back to back", hook: nil, dirtyBytes: 0),
    Scenario(name: "no hook, clean, 100 ms idle before each freeze", hook: nil, dirtyBytes: 0, pauseMilliseconds: 100),
    Scenario(name: "no hook, 4 MiB dirty per fs", hook: nil, dirtyBytes: 4 << 20),
    Scenario(name: "hook: /bin/sh exit 0", hook: FreezeHook(path: "\(root)/hooks/trivial"), dirtyBytes: 0),
    Scenario(
        name: "hook: shipped fsfreeze-hook, empty .d",
        hook: FreezeHook(path: shippedHook, environment: baseEnvironment + ["FSFREEZE_HOOK_D=\(root)/empty.d", "FSFREEZE_HOOK_LOG=\(root)/hook.log"]),
        dirtyBytes: 0),
    Scenario(
        name: "hook: shipped fsfreeze-hook, one .d script",
        hook: FreezeHook(path: shippedHook, environment: baseEnvironment + ["FSFREEZE_HOOK_D=\(root)/hooks/fsfreeze-hook.d", "FSFREEZE_HOOK_LOG=\(root)/hook.log"]),
        dirtyBytes: 0),
    Scenario(
        name: "hook: shipped fsfreeze-hook, one .d script, 100 ms idle",
        hook: FreezeHook(path: shippedHook, environment: baseEnvironment + ["FSFREEZE_HOOK_D=\(root)/hooks/fsfreeze-hook.d", "FSFREEZE_HOOK_LOG=\(root)/hook.log"]),
        dirtyBytes: 0, pauseMilliseconds: 100),
]

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}

func ms(_ seconds: Double) -> String {
    let value = (seconds * 10_000).rounded() / 10
    return String(value)
}

let dirtyChunk = [UInt8](repeating: 0x5A, count: 1 << 20)
print("fsfreeze-bench: \(filesystemCount) loop-mounted ext4 filesystems (64 MiB, images in \(imageDirectory)), \(iterations) iterations each; times in ms")
print("scenario | freeze median | freeze p90 | thaw median | thaw p90 | freeze+thaw median | freeze+thaw p90")
var failed = false
for scenario in scenarios {
    let context = CommandContext(
        system: LinuxSystem(), paths: SystemPaths(procfs: "\(root)/proc"), registry: .standard(),
        stateDirectory: "\(root)/state",
        freeze: FreezeState(hook: scenario.hook, watchdogTimeout: 0))
    let session = AgentSession(context: context)
    var freezeTimes: [Double] = [], thawTimes: [Double] = [], totals: [Double] = []
    for iteration in 0..<iterations {
        if scenario.dirtyBytes > 0 {
            for mnt in mountpoints {
                let fd = open("\(mnt)/dirty", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                for _ in 0..<(scenario.dirtyBytes >> 20) { _ = dirtyChunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
                close(fd)
            }
        }
        if scenario.pauseMilliseconds > 0 { usleep(scenario.pauseMilliseconds * 1000) }
        let t0 = MonotonicClock.seconds()
        let frozen = String(decoding: session.receive(Array(#"{"execute":"guest-fsfreeze-freeze"}"#.utf8)), as: UTF8.self)
        let t1 = MonotonicClock.seconds()
        let thawed = String(decoding: session.receive(Array(#"{"execute":"guest-fsfreeze-thaw"}"#.utf8)), as: UTF8.self)
        let t2 = MonotonicClock.seconds()
        let expected = "{\"return\": \(filesystemCount)}\n"
        if frozen != expected || thawed != expected {
            print("unexpected replies in \(scenario.name) #\(iteration): \(frozen) \(thawed)")
            failed = true
            break
        }
        freezeTimes.append(t1 - t0)
        thawTimes.append(t2 - t1)
        totals.append(t2 - t0)
    }
    if freezeTimes.isEmpty { continue }
    print(
        "\(scenario.name) | \(ms(percentile(freezeTimes, 0.5))) | \(ms(percentile(freezeTimes, 0.9))) | \(ms(percentile(thawTimes, 0.5))) | \(ms(percentile(thawTimes, 0.9))) | \(ms(percentile(totals, 0.5))) | \(ms(percentile(totals, 0.9)))"
    )
}
teardown()
exit(failed ? 1 : 0)
