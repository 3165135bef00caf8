import Glibc
import SystemCalls

/// A freshly started agent on a unix socket in its own temp dir; SIGKILLed when done.
///
/// SIGKILL, not SIGTERM: qemu-ga 7.2 can deadlock on SIGTERM (it quits its main loop from
/// the signal handler).
final class RunningAgent {
    let pid: pid_t
    let dir: String
    let socketPath: String
    let spawnedAt: UInt64

    init(binary: String) throws(BenchError) {
        dir = try makeTempDir()
        socketPath = dir + "/sock"
        let state = dir + "/state"
        mkdir(state, 0o700)
        // An empty config file keeps /etc/qemu/qemu-ga.conf out of the measurement.
        let conf = dir + "/empty.conf"
        close(open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600))
        let argv = [binary, "-m", "unix-listen", "-p", socketPath, "-t", state]
        let env = ["QGA_CONF=" + conf, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        spawnedAt = MonotonicClock.nanoseconds()
        pid = try spawn(argv, environment: env)
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        // The agents leave files of their own (qemu-ga's qga.state, a socket): remove what is
        // in the two directories this run made, then the directories.
        for directory in [dir + "/state", dir] {
            for name in listDirectory(directory) { unlink(directory + "/" + name) }
        }
        rmdir(dir + "/state")
        rmdir(dir)
    }

    /// Connects, retrying until the socket accepts (at most `seconds`).
    func connect(within seconds: Double = 10) throws(BenchError) -> BenchClient {
        let deadline = MonotonicClock.nanoseconds() + UInt64(seconds * 1e9)
        while true {
            if let client = BenchClient(path: socketPath) { return client }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { throw BenchError("\(socketPath): the agent exited (status \(status))") }
            if MonotonicClock.nanoseconds() > deadline { throw BenchError("\(socketPath): no agent listening after \(seconds) s") }
            usleep(100)
        }
    }

    /// CPU time the agent has used so far, user and kernel, over all its threads (the first
    /// field of each /proc/PID/task/TID/schedstat, in nanoseconds).
    func cpuNanoseconds() -> UInt64 {
        var total: UInt64 = 0
        for task in listDirectory("/proc/\(pid)/task") {
            guard let text = readFile("/proc/\(pid)/task/\(task)/schedstat"),
                let first = text.split(separator: " ").first, let value = UInt64(first)
            else { continue }
            total += value
        }
        return total
    }

    /// A `VmXXX:` line of /proc/PID/status, in kB.
    func status(_ key: String) -> Double? {
        guard let text = readFile("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let digits = line.dropFirst(key.count + 1).filter { $0 >= "0" && $0 <= "9" }
            return Double(String(digits))
        }
        return nil
    }

    /// The shared objects the process has mapped (path → size on disk).
    func sharedObjects() -> [String: Int] {
        guard let maps = readFile("/proc/\(pid)/maps") else { return [:] }
        var result: [String: Int] = [:]
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let path = String(line[slash...])
            guard path.contains(".so"), result[path] == nil else { continue }
            result[path] = fileSize(path) ?? 0
        }
        return result
    }
}
