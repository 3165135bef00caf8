import Foundation
import FreezeHooks
import Glibc
import ProcessRunner
import Testing

/// A temp directory for hook scripts, removed at deinit.
final class HookDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "qga-hook-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func script(_ name: String, _ body: String, mode: Int = 0o755) -> String {
        let full = path + "/" + name
        try? FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        writeExecutableSafely(full, body, mode: mode)
        return full
    }

    func read(_ name: String) -> String {
        FileManager.default.contents(atPath: path + "/" + name).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// Writes a file through a close-on-exec descriptor: tests run in parallel and spawn children,
/// and a child that inherited a writable descriptor would make exec of the script fail with
/// ETXTBSY.
func writeExecutableSafely(_ path: String, _ text: String, mode: Int) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
    guard fd >= 0 else { return }
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    chmod(path, mode_t(mode))
}

/// True when `pid` no longer runs (gone, or a zombie nobody has reaped yet).
func isDead(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return true }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}

@Suite("FreezeHookRunner with real scripts")
struct FreezeHookRunnerTests {
    @Test("the invocation is a value: argv, stdin /dev/null, own session, timeout, environment")
    func invocationValue() {
        let hook = FreezeHook(path: "/etc/qemu/fsfreeze-hook", timeout: 5, environment: ["A=1"])
        let invocation = hook.invocation(.thaw)
        #expect(invocation == FreezeHookInvocation(hook: "/etc/qemu/fsfreeze-hook", action: .thaw, timeout: 5, environment: ["A=1"]))
        #expect(
            invocation.process
                == ProcessInvocation("/etc/qemu/fsfreeze-hook", ["thaw"], environment: ["A=1"], input: .null, timeout: 5, newSession: true))
        #expect(FreezeHook(path: "/h", timeout: 0).invocation(.freeze).timeout == nil)
        #expect(FreezeHook().path == "/etc/qemu/fsfreeze-hook")
        #expect(FreezeHook().timeout == 60)
    }

    @Test("success returns the output for the log")
    func success() throws {
        let dir = HookDirectory()
        let hook = dir.script("hook", "#!/bin/sh\necho \"hook $1\"\necho err >&2\n")
        let report = try FreezeHookRunner.run(FreezeHook(path: hook).invocation(.freeze))
        #expect(report.output == "hook freeze\nerr\n")
    }

    @Test("exit 3 with output: qemu-ga's text carries the output; without output, the status")
    func exitStatus() {
        let dir = HookDirectory()
        let noisy = dir.script("noisy", "#!/bin/sh\necho 'database busy'\nexit 3\n")
        let quiet = dir.script("quiet", "#!/bin/sh\nexit 3\n")
        #expect(throws: FreezeHookError.self) { try FreezeHookRunner.run(FreezeHook(path: noisy).invocation(.freeze)) }
        do {
            _ = try FreezeHookRunner.run(FreezeHook(path: noisy).invocation(.freeze))
            Issue.record("expected the noisy hook to fail")
        } catch {
            #expect(error.message == "child process has failed to execute fsfreeze hook: database busy\n")
            #expect(error.reason == .failed(status: 3))
        }
        do {
            _ = try FreezeHookRunner.run(FreezeHook(path: quiet).invocation(.freeze))
            Issue.record("expected the quiet hook to fail")
        } catch {
            #expect(error.message == "child process has failed to execute fsfreeze hook: exit status 3")
        }
    }

    @Test("killed by a signal: terminated abnormally")
    func signaled() {
        let dir = HookDirectory()
        let hook = dir.script("hook", "#!/bin/sh\necho dying\nkill -9 $$\n")
        do {
            _ = try FreezeHookRunner.run(FreezeHook(path: hook).invocation(.freeze))
            Issue.record("expected an error")
        } catch {
            #expect(error.reason == .terminated(signal: SIGKILL))
            #expect(error.message == "child process has terminated abnormally: dying\n")
        }
    }

    @Test("a hanging hook is killed at the timeout, with everything it started")
    func hanging() throws {
        let dir = HookDirectory()
        let hook = dir.script("hook", "#!/bin/sh\nsleep 1000 &\necho $! > \(dir.path)/child.pid\necho started\nwait\n")
        do {
            _ = try FreezeHookRunner.run(FreezeHook(path: hook, timeout: 1).invocation(.freeze))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.reason == .timedOut(seconds: 1))
            #expect(error.message == "fsfreeze hook '\(hook)' timed out after 1 seconds: started\n")
        }
        let child = try #require(pid_t(dir.read("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        // SIGKILL to the group is delivered before run() returns; allow the kernel a moment.
        var dead = isDead(child)
        for _ in 0..<50 where !dead {
            usleep(20_000)
            dead = isDead(child)
        }
        #expect(dead)
    }

    @Test("not executable, or missing: qemu-ga 10.x's failed to exec, nothing ran", arguments: [true, false])
    func notExecutable(exists: Bool) {
        let dir = HookDirectory()
        let hook = exists ? dir.script("hook", "#!/bin/sh\ntouch \(dir.path)/ran\n", mode: 0o644) : dir.path + "/missing"
        do {
            _ = try FreezeHookRunner.run(FreezeHook(path: hook).invocation(.freeze))
            Issue.record("expected an error")
        } catch {
            let (errno, text) = exists ? (EACCES, "Permission denied") : (ENOENT, "No such file or directory")
            #expect(error.reason == .execFailed(errno: errno))
            #expect(error.message == "child process has failed to execute fsfreeze hook: failed to exec '\(hook)': \(text)\n")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/ran"))
    }

    @Test("an executable that cannot be executed (bad interpreter): failed to exec")
    func execFailure() {
        let dir = HookDirectory()
        let hook = dir.script("hook", "#!/nonexistent/interpreter\n")
        do {
            _ = try FreezeHookRunner.run(FreezeHook(path: hook).invocation(.thaw))
            Issue.record("expected an error")
        } catch {
            #expect(error.reason == .execFailed(errno: ENOENT))
            #expect(
                error.message
                    == "child process has failed to execute fsfreeze hook: failed to exec '\(hook)': No such file or directory\n")
        }
    }

    @Test("the hook runs with stdin /dev/null in its own session")
    func environmentOfTheChild() throws {
        let dir = HookDirectory()
        let hook = dir.script("hook", "#!/bin/sh\nread line; echo \"read=$? sid=$(cut -d' ' -f6 /proc/$$/stat) pid=$$ v=$QGA_HOOK_TEST\"\n")
        var environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        environment.append("QGA_HOOK_TEST=yes")
        let report = try FreezeHookRunner.run(FreezeHook(path: hook, environment: environment).invocation(.freeze))
        let fields = report.output.split(whereSeparator: { $0 == " " || $0 == "\n" })
        #expect(fields.contains("read=1"))  // EOF at once: /dev/null
        #expect(fields.contains("v=yes"))
        let sid = fields.first { $0.hasPrefix("sid=") }.map { $0.dropFirst(4) }
        let pid = fields.first { $0.hasPrefix("pid=") }.map { $0.dropFirst(4) }
        #expect(sid != nil && sid == pid)
    }
}
