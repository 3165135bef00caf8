import Foundation
import ProcessRunner
import Testing

@Suite("Running child processes")
struct SubprocessTests {
    @Test func exitStatusAndInterleavedOutput() {
        let outcome = Subprocess.run(ProcessInvocation("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"]))
        #expect(outcome.termination == .exited(3))
        #expect(outcome.outputText == "out\nerr\n")
    }

    @Test func bareNamesAreLookedUpInPath() {
        #expect(Subprocess.run(ProcessInvocation("true")).succeeded)
    }

    @Test func missingExecutableFailsToStart() {
        #expect(Subprocess.run(ProcessInvocation("/nonexistent/qga-test")).termination == .failedToStart(ENOENT))
    }

    @Test func inputBytesReachStdinAndDefaultIsDevNull() {
        let echoed = Subprocess.run(ProcessInvocation("/bin/cat", input: .bytes(Array("user:secret\n".utf8))))
        #expect(echoed.outputText == "user:secret\n")
        let empty = Subprocess.run(ProcessInvocation("/bin/cat"))
        #expect(empty.succeeded && empty.output.isEmpty)
    }

    @Test func environmentIsReplacedWhenGiven() {
        let outcome = Subprocess.run(
            ProcessInvocation("/bin/sh", ["-c", "echo \"$QGA_X-$HOME\""], environment: ["QGA_X=1"]))
        #expect(outcome.outputText == "1-\n")
    }

    @Test func signalDeathIsReported() {
        let outcome = Subprocess.run(ProcessInvocation("/bin/sh", ["-c", "kill -9 $$"]))
        #expect(outcome.termination == .signaled(SIGKILL))
    }

    @Test func timeoutKillsTheWholeGroup() throws {
        let dir = NSTemporaryDirectory() + "qga-pr-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The grandchild records its pid and would touch a file after 3 s unless it is killed.
        let script = "sleep 30 & echo $! > \(dir)/grandchild; (sleep 3; touch \(dir)/survived) & wait"
        let outcome = Subprocess.run(ProcessInvocation("/bin/sh", ["-c", script], timeout: 0.5))
        #expect(outcome.termination == .timedOut)
        let pidText = try String(contentsOfFile: dir + "/grandchild", encoding: .utf8)
        let grandchild = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(grandchild > 0)
        usleep(100_000)
        // Gone with its group (or a zombie waiting for init to reap it).
        let state = (try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
        #expect(state == nil || state == "Z")
        sleep(4)
        #expect(!FileManager.default.fileExists(atPath: dir + "/survived"))
    }

    @Test func outputBeyondTheLimitIsDroppedWithoutBlockingTheChild() {
        let outcome = Subprocess.run(
            ProcessInvocation("/bin/sh", ["-c", "head -c 1000000 /dev/zero"], outputLimit: 1000))
        #expect(outcome.succeeded)
        #expect(outcome.output.count == 1000)
    }

    @Test func childGetsItsOwnSessionAndNoBlockedSignals() {
        let outcome = Subprocess.run(
            ProcessInvocation("/bin/sh", ["-c", "ps -o sid= -p $$; grep SigBlk /proc/self/status"]))
        let lines = outcome.outputText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first.flatMap { Int32($0) } != getsid(0))
        #expect(lines.last?.hasSuffix("0000000000000000") == true)
    }

    @Test func childInheritsOnlyStandardDescriptors() {
        // A descriptor opened without O_CLOEXEC, as a careless launcher would leave one.
        let stray = open("/dev/null", O_RDONLY)
        #expect(stray > 2)
        defer { close(stray) }
        let outcome = Subprocess.run(ProcessInvocation("/bin/sh", ["-c", "ls /proc/$$/fd"]))
        let fds = Set(outcome.outputText.split(separator: "\n").compactMap { Int32($0) })
        #expect(!fds.contains(stray))
        #expect(fds.isSuperset(of: [0, 1, 2]))
    }
}
